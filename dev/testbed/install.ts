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
