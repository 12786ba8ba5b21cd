// Toxiproxy (github.com/Shopify/toxiproxy, a Go module built by ensureToxiproxy) between the
// controller and its peers, for the resilience suite: a TCP proxy per upstream whose faults
// (toxics: timeout, latency, reset_peer, bandwidth, limit_data, …) and on/off state are switched
// through Toxiproxy's HTTP API while traffic flows. One server per caller, on free ports, stopped by
// its pid.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureToxiproxy } from './install';
import { freePort } from './ports';
import { alive, killGroup, spawnManaged, waitReady, type Managed } from './process';

export type ToxicType =
  'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

export interface Toxic {
  /** Unique per proxy; default `<type>_<stream>`. */
  name?: string;
  type: ToxicType;
  /** `downstream` (server → client, Toxiproxy's default) or `upstream` (client → server). */
  stream?: 'upstream' | 'downstream';
  /** Fraction of connections affected, 0..1 (default 1). */
  toxicity?: number;
  /** Toxic-specific, e.g. `{timeout: 0}` (never answer), `{latency: 500, jitter: 100}`. */
  attributes: Record<string, number>;
}

export interface Proxy {
  name: string;
  /** host:port the proxy listens on. */
  listen: string;
  /** host:port it forwards to. */
  upstream: string;
  /** `http://<listen>`, for HTTP upstreams. */
  url: string;
  /** Adds a toxic to new and open connections; returns its name. */
  addToxic(t: Toxic): Promise<string>;
  removeToxic(name: string): Promise<void>;
  /** Disabled: the listener is closed (connection refused) and open connections are cut. */
  setEnabled(enabled: boolean): Promise<void>;
}

export interface Toxiproxy {
  /** The HTTP API, e.g. http://127.0.0.1:8474. */
  api: string;
  pid: number;
  logFile: string;
  /** A proxy forwarding a free loopback port to `upstream` (host:port or an http:// URL). */
  proxy(name: string, upstream: string): Promise<Proxy>;
  /** Removes every toxic and re-enables every proxy. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function call(api: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

// A disabled proxy closes its listener. Had the kernel picked its port (listen on :0), that port
// would be in the ephemeral range, where any outgoing connection made meanwhile may take it, and
// re-enabling would fail with "address already in use" (seen once on a busy machine). Ports below
// that range are only ever taken by an explicit bind.
const PROXY_PORTS = { from: 20_000, to: 32_767 };
const PROXY_PORT_TRIES = 20;

async function createProxy(
  api: string,
  name: string,
  upstream: string,
): Promise<{ listen: string; upstream: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = PROXY_PORTS.from + Math.floor(Math.random() * (PROXY_PORTS.to - PROXY_PORTS.from + 1));
    try {
      return (await call(api, 'POST', '/proxies', {
        name,
        listen: `127.0.0.1:${port}`,
        upstream,
        enabled: true,
      })) as { listen: string; upstream: string };
    } catch (err) {
      // Taken by another process: try another port (toxiproxy keeps no proxy it could not start).
      if (attempt >= PROXY_PORT_TRIES || !/address already in use/.test(String(err))) throw err;
    }
  }
}

function hostPort(upstream: string): string {
  return upstream.includes('://') ? new URL(upstream).host : upstream;
}

export async function startToxiproxy(opts: {
  /** Directory for the server's log. */
  logDir: string;
  progress?: (l: string) => void;
}): Promise<Toxiproxy> {
  const progress = opts.progress ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const bin = await ensureToxiproxy(progress);
  const port = await freePort();
  mkdirSync(opts.logDir, { recursive: true });
  await reapOrphans(opts.logDir);
  const logFile = join(opts.logDir, `toxiproxy-${port}.log`);
  const pidFile = join(opts.logDir, `toxiproxy-${port}.pid`);
  const m: Managed = spawnManaged({
    name: 'toxiproxy',
    command: bin,
    args: ['-host', '127.0.0.1', '-port', String(port)],
    logFile,
  });
  writeFileSync(pidFile, JSON.stringify({ pid: m.pid, owner: process.pid }));
  const api = `http://127.0.0.1:${port}`;
  try {
    await waitReady(m, 'toxiproxy', logFile, async () => (await fetch(`${api}/version`)).ok, 30_000);
  } catch (err) {
    await killGroup(m.pid);
    rmSync(pidFile, { force: true });
    throw err;
  }
  return {
    api,
    pid: m.pid,
    logFile,
    async proxy(name, upstream) {
      const created = await createProxy(api, name, hostPort(upstream));
      const path = `/proxies/${encodeURIComponent(name)}`;
      return {
        name,
        listen: created.listen,
        upstream: created.upstream,
        url: `http://${created.listen}`,
        async addToxic(t) {
          const stream = t.stream ?? 'downstream';
          const toxicName = t.name ?? `${t.type}_${stream}`;
          await call(api, 'POST', `${path}/toxics`, {
            name: toxicName,
            type: t.type,
            stream,
            toxicity: t.toxicity ?? 1,
            attributes: t.attributes,
          });
          return toxicName;
        },
        async removeToxic(toxicName) {
          await call(api, 'DELETE', `${path}/toxics/${encodeURIComponent(toxicName)}`);
        },
        async setEnabled(enabled) {
          await call(api, 'POST', path, { enabled });
        },
      };
    },
    async reset() {
      await call(api, 'POST', '/reset');
    },
    async stop() {
      await killGroup(m.pid, 2000);
      rmSync(pidFile, { force: true });
    },
  };
}

/** Stops toxiproxy servers left behind by runs that died without stopping them (owner gone). */
async function reapOrphans(dir: string): Promise<void> {
  for (const f of readdirSync(dir).filter((n) => /^toxiproxy-\d+\.pid$/.test(n))) {
    let rec: { pid: number; owner: number };
    try {
      rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number; owner: number };
    } catch {
      continue;
    }
    if (alive(rec.owner)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8');
    } catch {
      /* gone */
    }
    if (cmdline.includes('toxiproxy-server')) await killGroup(rec.pid, 2000);
    rmSync(join(dir, f), { force: true });
  }
}
