// Installs what the testbed runs, once, into ~/.cache/secretsync keyed by version and source hash:
// the control-plane binary (Go), moto in a Python venv. A missing tool fails fast with one line
// that says how to get it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneSrc } from './paths';
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

function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function requireTool(tool: keyof typeof installHints): string {
  const path = which(tool);
  if (!path) throw new TestbedError(`testbed: \`${tool}\` not found — ${installHints[tool]}`);
  return path;
}

/** Runs a slow install step with a progress line every 15 s so a cold start never looks hung. */
async function runStep(progress: (l: string) => void, what: string, script: string): Promise<void> {
  const started = Date.now();
  const secs = () => Math.round((Date.now() - started) / 1000);
  progress(`testbed: ${what} (first run only; cached afterwards)…`);
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

function controlPlaneKey(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(controlPlaneSrc).sort()) {
    if (f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
      h.update(f).update(readFileSync(join(controlPlaneSrc, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Path of the control-plane binary (etcd, kube-apiserver, kube-controller-manager subcommands). */
export async function ensureControlPlane(progress: (l: string) => void): Promise<string> {
  const dir = join(cacheRoot, `controlplane-${KUBERNETES_VERSION}-${controlPlaneKey()}`);
  const bin = join(dir, 'controlplane');
  if (existsSync(bin)) return bin;
  const go = requireTool('go');
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  await runStep(
    progress,
    `building kube-apiserver, kube-controller-manager and etcd ${KUBERNETES_VERSION} from Go modules`,
    `cd "${controlPlaneSrc}" && "${go}" build -trimpath -ldflags='-s -w' -o "${tmp}" .`,
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
