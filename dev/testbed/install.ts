// Installs what the testbed runs, once, into ~/.cache/secretsync keyed by version and source hash:
// the control-plane binary (Go), moto in a Python venv. A missing tool fails fast with one line
// that says how to get it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneSrc, imagesSrc } from './paths';
import { TestbedError } from './process';

export const MOTO_VERSION = '5.2.5';
export const KUBERNETES_VERSION = 'v1.36.3';
export const TOXIPROXY_VERSION = 'v2.5.0';
/** Helm v4 (its v3 line's newest release is not approved for this project). */
export const HELM_MODULE = { path: 'helm.sh/helm/v4', version: 'v4.3.2' } as const;
/** Prometheus' Go module versions its releases v0.<major*100+minor>.<patch>: v0.316.0 is Prometheus 3.16.0. */
/** gopher-lua, the Lua VM Argo CD runs health checks and actions in (the GitOps kit's tests). */
export const GOPHER_LUA_MODULE = { path: 'github.com/yuin/gopher-lua', version: 'v1.1.2' } as const;
export const PROMETHEUS_MODULE = { path: 'github.com/prometheus/prometheus', version: 'v0.316.0' } as const;

export const cacheRoot = process.env.SECRETSYNC_CACHE_DIR ?? join(homedir(), '.cache', 'secretsync');

const installHints: Record<string, string> = {
  go: 'install Go ≥ 1.26 (https://go.dev/dl, or apt-get install golang) and put `go` on PATH',
  python3: 'install Python ≥ 3.10 with venv (apt-get install python3 python3-venv)',
  java: 'install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)',
  gcloud:
    'install the Google Cloud CLI and its Pub/Sub emulator (gcloud components install pubsub-emulator, or apt-get install google-cloud-cli-pubsub-emulator)',
};

export function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function requireTool(tool: keyof typeof installHints): string {
  const path = which(tool);
  if (!path) throw new TestbedError(`testbed: \`${tool}\` not found — ${installHints[tool]}`);
  return path;
}

/** Go builds run at low priority: the machine's CPUs are shared with the tests that wait for them. */
function niced(): string {
  return which('nice') ? 'nice -n 10 ' : '';
}

/** Runs a slow install step with a progress line every 15 s so a cold start never looks hung. */
export async function runStep(
  progress: (l: string) => void,
  what: string,
  script: string,
  cached = true,
): Promise<void> {
  const started = Date.now();
  const secs = () => Math.round((Date.now() - started) / 1000);
  progress(`testbed: ${what}${cached ? ' (first run only; cached afterwards)' : ''}…`);
  const timer = setInterval(() => progress(`testbed: still ${what} — ${secs()}s`), 15000);
  try {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b: Buffer) => (out = (out + b.toString()).slice(-20000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) {
      const last = out.trim().split('\n').slice(-20).join('\n');
      throw new TestbedError(`testbed: ${what} failed (exit ${code})\n${last}`);
    }
  } finally {
    clearInterval(timer);
  }
  progress(`testbed: ${what} done in ${secs()}s`);
}

/** Hash of a Go module's go.mod, go.sum and .go files (recursively): the cache key of what it builds. */
function goSourceKey(dir: string, h = createHash('sha256'), rel = ''): string {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const f = join(rel, e.name);
    if (e.isDirectory()) goSourceKey(dir, h, f);
    else if (e.name === 'go.mod' || e.name === 'go.sum' || e.name.endsWith('.go'))
      h.update(f).update(readFileSync(join(dir, f)));
  }
  return rel ? '' : h.digest('hex').slice(0, 16);
}

function controlPlaneKey(): string {
  return goSourceKey(controlPlaneSrc);
}

/**
 * Path of the Kubernetes binary (etcd, apiserver, controller-manager, scheduler, kubelet and proxy
 * subcommands).
 */
export async function ensureControlPlane(progress: (l: string) => void): Promise<string> {
  const dir = join(cacheRoot, `controlplane-${KUBERNETES_VERSION}-${controlPlaneKey()}`);
  const bin = join(dir, 'controlplane');
  if (existsSync(bin)) return bin;
  const go = requireTool('go');
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  await runStep(
    progress,
    `building kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and etcd ${KUBERNETES_VERSION} from Go modules`,
    `cd "${controlPlaneSrc}" && ${niced()}"${go}" build -trimpath -ldflags='-s -w' -o "${tmp}" .`,
  );
  renameSync(tmp, bin);
  return bin;
}

/** Path of moto_server inside a venv keyed by moto and Python versions. */
export async function ensureMoto(progress: (l: string) => void): Promise<string> {
  const python = requireTool('python3');
  const pyVersion = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  }).trim();
  const dir = join(cacheRoot, `moto-${MOTO_VERSION}-py${pyVersion}`);
  const bin = join(dir, 'bin', 'moto_server');
  if (existsSync(join(dir, '.complete'))) return bin;
  rmSync(dir, { recursive: true, force: true });
  await runStep(
    progress,
    `installing moto ${MOTO_VERSION} into a Python venv`,
    `"${python}" -m venv "${dir}" && "${dir}/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==${MOTO_VERSION}'`,
  );
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return bin;
}

/** The Pub/Sub emulator's launcher script from the machine's Google Cloud CLI. */
export function findPubSubEmulator(): string {
  requireTool('java');
  const candidates = [
    process.env.PUBSUB_EMULATOR_BIN,
    '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator',
    '/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator',
  ];
  let found = candidates.find((c) => c && existsSync(c));
  const gcloud = found ? undefined : which('gcloud');
  if (gcloud) {
    const r = spawnSync(gcloud, ['info', '--format=value(installation.sdk_root)'], { encoding: 'utf8' });
    const candidate = join(r.stdout.trim(), 'platform/pubsub-emulator/bin/cloud-pubsub-emulator');
    if (r.status === 0 && r.stdout.trim() && existsSync(candidate)) found = candidate;
  }
  if (!found) throw new TestbedError(`testbed: Pub/Sub emulator not found — ${installHints.gcloud}`);
  return found;
}

/**
 * Path of toxiproxy-server (the fault-injection proxy of the resilience suite), built from its Go
 * module into a cache directory keyed by version.
 */
export async function ensureToxiproxy(progress: (l: string) => void): Promise<string> {
  const dir = join(cacheRoot, `toxiproxy-${TOXIPROXY_VERSION}`);
  const bin = join(dir, 'toxiproxy-server');
  if (existsSync(bin)) return bin;
  const go = requireTool('go');
  const tmp = join(dir, `.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await runStep(
    progress,
    `installing toxiproxy ${TOXIPROXY_VERSION} from its Go module`,
    `cd "${tmp}" && GOBIN="${tmp}" "${go}" install github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}`,
  );
  renameSync(join(tmp, 'server'), bin);
  rmSync(tmp, { recursive: true, force: true });
  return bin;
}

/**
 * Builds commands of one Go module version with `go install` into a cache directory keyed by the
 * module, version, packages, build tags and Go version (a new Go may build a different binary), at
 * low CPU priority: on a shared 2-core machine a cold build must not starve running tests.
 * Returns the directory holding the binaries (named after their package's last element).
 */
async function ensureGoTool(
  progress: (l: string) => void,
  what: string,
  mod: { path: string; version: string },
  pkgs: string[],
  tags: string[] = [],
): Promise<string> {
  const go = which('go');
  if (!go) throw new TestbedError(`testbed: \`go\` not found (needed to build ${what}) — ${installHints.go}`);
  const goVersion = execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256')
    .update(JSON.stringify({ mod, pkgs, tags, goVersion }))
    .digest('hex')
    .slice(0, 12);
  const name = mod.path
    .split('/')
    .filter((p) => !/^v\d+$/.test(p))
    .pop()!;
  const dir = join(cacheRoot, `${name}-${mod.version}-${key}`);
  const bins = pkgs.map((p) => p.split('/').pop()!);
  if (bins.every((b) => existsSync(join(dir, b)))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const targets = pkgs.map((p) => `${mod.path}/${p}@${mod.version}`).join(' ');
  const tagFlag = tags.length > 0 ? `-tags=${tags.join(',')}` : '';
  await runStep(
    progress,
    `building ${what} ${mod.version} from its Go module`,
    `cd "${tmp}" && GOBIN="${tmp}" nice -n 10 "${go}" install -trimpath -ldflags='-s -w' ${tagFlag} ${targets}`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** Path of the `helm` binary (the chart tests: lint, template, install, upgrade, uninstall). */
export async function ensureHelm(progress: (l: string) => void): Promise<string> {
  return join(await ensureGoTool(progress, 'Helm', HELM_MODULE, ['cmd/helm']), 'helm');
}

/**
 * Paths of `prometheus` and `promtool` (the monitoring tests). Built without the service-discovery
 * plugins (tag remove_all_sd: static and file targets remain), which the tests do not use and
 * which make most of the build.
 */
export async function ensurePrometheus(
  progress: (l: string) => void,
): Promise<{ prometheus: string; promtool: string }> {
  const dir = await ensureGoTool(
    progress,
    'Prometheus and promtool',
    PROMETHEUS_MODULE,
    ['cmd/prometheus', 'cmd/promtool'],
    ['remove_all_sd'],
  );
  return { prometheus: join(dir, 'prometheus'), promtool: join(dir, 'promtool') };
}

/** Path of `glua`, gopher-lua's interpreter: Argo CD's Lua, for the health checks of examples/gitops/argocd. */
export async function ensureGlua(progress: (l: string) => void): Promise<string> {
  return join(await ensureGoTool(progress, 'gopher-lua', GOPHER_LUA_MODULE, ['cmd/glua']), 'glua');
}

// ---- The node: container runtime, CNI plugins, images ----

export const CONTAINERD_VERSION = 'v2.4.2';
export const RUNC_VERSION = 'v1.5.3';

/** Where Debian's containernetworking-plugins puts bridge, host-local, loopback and portmap. */
export const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

export function cniBinDir(): string | undefined {
  return CNI_BIN_DIRS.find((d) =>
    ['bridge', 'host-local', 'loopback', 'portmap'].every((p) => existsSync(join(d, p))),
  );
}

/**
 * What the node needs from the machine's packages: buildah (images, no Docker engine), the CNI
 * plugins, iptables (their portmap plugin) and libseccomp's headers (runc is built with seccomp so
 * that pods asking for `seccompProfile: RuntimeDefault`, as deploy/ does, can run). Installed with
 * apt-get when missing, which needs root — as the node itself does. debootstrap too, for the
 * controller image's locally made base (dev/testbed/image.ts).
 */
export async function ensureNodePackages(progress: (l: string) => void): Promise<void> {
  const missing: string[] = [];
  if (!which('buildah')) missing.push('buildah');
  if (!cniBinDir()) missing.push('containernetworking-plugins');
  if (!which('iptables')) missing.push('iptables');
  if (!existsSync('/usr/include/seccomp.h')) missing.push('libseccomp-dev');
  if (!which('pkg-config')) missing.push('pkg-config');
  // Not for the node itself: the base image of `npm run image` (dev/testbed/image.ts).
  if (!which('debootstrap')) missing.push('debootstrap');
  if (!missing.length) return;
  if (!which('apt-get') || process.getuid?.() !== 0)
    throw new TestbedError(
      `testbed: the node needs ${missing.join(', ')} — install them as root (apt-get install ${missing.join(' ')})`,
    );
  await runStep(
    progress,
    `installing ${missing.join(', ')} with apt-get`,
    `apt-get install -y --no-install-recommends ${missing.join(' ')} >/dev/null || (apt-get update -qq && apt-get install -y --no-install-recommends ${missing.join(' ')})`,
  );
}

export interface RuntimeBinaries {
  dir: string;
  containerd: string;
  ctr: string;
  runc: string;
}

/**
 * containerd 2.x (Kubernetes 1.36's kubelet needs it; Debian's is 1.6) and runc, built from their
 * Go modules with the build tags of their Makefiles: the shim without cgo, runc with cgo (its
 * nsenter is C) and seccomp.
 */
export async function ensureContainerRuntime(progress: (l: string) => void): Promise<RuntimeBinaries> {
  const dir = join(cacheRoot, `runtime-containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}`);
  const bins: RuntimeBinaries = {
    dir,
    containerd: join(dir, 'containerd'),
    ctr: join(dir, 'ctr'),
    runc: join(dir, 'runc'),
  };
  if (existsSync(join(dir, '.complete'))) return bins;
  const go = requireTool('go');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const mod = 'github.com/containerd/containerd/v2/cmd';
  const n = niced();
  await runStep(
    progress,
    `building containerd ${CONTAINERD_VERSION} and runc ${RUNC_VERSION} from Go modules`,
    [
      `cd "${tmp}"`,
      `export GOBIN="${tmp}" GOFLAGS=-trimpath`,
      `CGO_ENABLED=0 ${n}"${go}" install -ldflags='-s -w' -tags urfave_cli_no_docs ${mod}/containerd@${CONTAINERD_VERSION} ${mod}/ctr@${CONTAINERD_VERSION}`,
      `CGO_ENABLED=0 ${n}"${go}" install -ldflags='-s -w' -tags 'urfave_cli_no_docs no_grpc' ${mod}/containerd-shim-runc-v2@${CONTAINERD_VERSION}`,
      `CGO_ENABLED=1 ${n}"${go}" install -ldflags='-s -w' -tags 'seccomp urfave_cli_no_docs' github.com/opencontainers/runc@${RUNC_VERSION}`,
    ].join(' && '),
  );
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return bins;
}

export interface NodeImages {
  /** The pod sandbox image (containerd's pinned `sandbox` image). */
  pause: string;
  /** The application that logs SHA-256 hashes of what it reads (dev/testbed/images/secrethash). */
  secrethash: string;
  /** OCI archives to import into containerd, by image name. */
  archives: Record<string, string>;
}

const IMAGE_PREFIX = 'localhost/secretsync-testbed';

/**
 * The images every pod on the node needs, built locally (no registry is reachable): each is one
 * static Go binary from dev/testbed/images on an empty base, built with buildah (vfs storage under
 * the cache, chroot isolation: no daemon, no overlay mounts) and saved as an OCI archive. Tagged
 * with the sources' hash, so an image never goes stale under its name.
 */
export async function ensureNodeImages(progress: (l: string) => void): Promise<NodeImages> {
  const key = goSourceKey(imagesSrc);
  const dir = join(cacheRoot, `images-${key}`);
  const names = ['pause', 'secrethash'] as const;
  const ref = (n: string) => `${IMAGE_PREFIX}/${n}:${key}`;
  const images: NodeImages = {
    pause: ref('pause'),
    secrethash: ref('secrethash'),
    archives: Object.fromEntries(names.map((n) => [ref(n), join(dir, `${n}.tar`)])),
  };
  if (existsSync(join(dir, '.complete'))) return images;
  const go = requireTool('go');
  const buildah = which('buildah');
  if (!buildah) throw new TestbedError('testbed: `buildah` not found — npm run testbed:install installs it');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const store = join(cacheRoot, 'buildah');
  const b = `"${buildah}" --storage-driver vfs --root "${store}/storage" --runroot "${store}/run"`;
  const steps: string[] = [];
  for (const n of names) {
    const ctx = join(tmp, `${n}-context`);
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Containerfile'), `FROM scratch\nCOPY ${n} /${n}\nENTRYPOINT ["/${n}"]\n`);
    steps.push(
      `CGO_ENABLED=0 ${niced()}"${go}" build -C "${imagesSrc}" -trimpath -ldflags='-s -w' -o "${ctx}/${n}" ./${n}`,
      `${b} bud --quiet --isolation chroot -f "${ctx}/Containerfile" -t ${ref(n)} "${ctx}"`,
      `${b} push --quiet ${ref(n)} "oci-archive:${tmp}/${n}.tar:${ref(n)}"`,
      `${b} rmi ${ref(n)}`,
      `rm -rf "${ctx}"`,
    );
  }
  await runStep(progress, "building the node's images (pause, secrethash) with buildah", steps.join(' && '));
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return images;
}

/** Everything the node runs, installed when missing (cached afterwards). */
export async function ensureNode(progress: (l: string) => void): Promise<{
  kube: string;
  runtime: RuntimeBinaries;
  images: NodeImages;
  cniBin: string;
}> {
  await ensureNodePackages(progress);
  const [kube, runtime, images] = await Promise.all([
    ensureControlPlane(progress),
    ensureContainerRuntime(progress),
    ensureNodeImages(progress),
  ]);
  return { kube, runtime, images, cniBin: cniBinDir()! };
}

/** Whether everything the node runs is already built (a node then starts in seconds). */
export function nodeInstalled(): boolean {
  return (
    !!which('buildah') &&
    !!cniBinDir() &&
    existsSync(join(cacheRoot, `controlplane-${KUBERNETES_VERSION}-${controlPlaneKey()}`, 'controlplane')) &&
    existsSync(
      join(cacheRoot, `runtime-containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}`, '.complete'),
    ) &&
    existsSync(join(cacheRoot, `images-${goSourceKey(imagesSrc)}`, '.complete'))
  );
}
