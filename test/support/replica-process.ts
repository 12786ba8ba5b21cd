// Sharded controller replicas as OS processes (test/support/shard-replica.ts), bundled from the
// sources under test at the first start (so no stale build is run), each authenticated as its own
// audited ServiceAccount. kill() is a real SIGKILL: the replica's Lease is left to expire.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { RawFlags } from '../../src/config';
import type { AuditedAccount } from './audited';
import { eventually } from './eventually';

const repo = join(__dirname, '..', '..');
// Inside the repository so that the bundle's external packages resolve from its node_modules.
const outDir = join(repo, '.testbed', 'replicas', String(process.pid));
/** Each replica's output, kept for a look after a failure (like the testbed's logs). */
export const replicaLogDir = join(repo, '.testbed', 'replicas', 'logs');
let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(outDir, 'shard-replica.js');
    mkdirSync(outDir, { recursive: true });
    await build({
      entryPoints: [join(__dirname, 'shard-replica.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}

/** Removes the bundle (afterAll). */
export function removeReplicaBundle(): void {
  rmSync(outDir, { recursive: true, force: true });
}

/** One shard-gate entry and exit: the replica acted on `ns` in [from, to] (epoch ms). */
export interface GateInterval {
  ns: string;
  from: number;
  to: number;
}

export interface ReplicaProcess {
  account: AuditedAccount;
  identity: string;
  pid: number;
  /** Closed gate intervals. */
  intervals: GateInterval[];
  /** Gate entries not left yet: namespace → (count, since). */
  open: Map<string, { count: number; since: number }>;
  /** Its raw output (for canary sweeps). */
  text(): string;
  /** When it was SIGKILLed (epoch ms). */
  killedAt?: number;
  kill(): Promise<void>;
  /** SIGTERM (it leaves the ring), SIGKILL if still running after 10 s. */
  stop(): Promise<void>;
}

export async function startReplica(o: {
  name: string;
  account: AuditedAccount;
  prefix: string;
  flags: RawFlags;
}): Promise<ReplicaProcess> {
  const entry = await bundle();
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      POD_NAME: o.name,
      SHARD_REPLICA_ARGS: JSON.stringify({
        server: o.account.server,
        token: o.account.token,
        prefix: o.prefix,
        flags: o.flags,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mkdirSync(replicaLogDir, { recursive: true });
  const file = createWriteStream(join(replicaLogDir, `${o.name}-${child.pid}.log`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', () => file.end());
  const chunks: string[] = [];
  let partial = '';
  let identity = '';
  const r: ReplicaProcess = {
    account: o.account,
    identity: '',
    pid: child.pid!,
    intervals: [],
    open: new Map(),
    text: () => chunks.join(''),
    async kill() {
      r.killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  const onLine = (l: string) => {
    if (!l.startsWith('{"gate"') && !l.startsWith('{"replica"')) return;
    const e = JSON.parse(l) as { gate?: string; ns: string; t: number; identity?: string };
    if (e.identity) identity = e.identity;
    if (e.gate === 'enter') {
      const x = r.open.get(e.ns) ?? { count: 0, since: e.t };
      x.count++;
      r.open.set(e.ns, x);
    } else if (e.gate === 'leave') {
      const x = r.open.get(e.ns);
      if (x && --x.count === 0) {
        r.open.delete(e.ns);
        r.intervals.push({ ns: e.ns, from: x.since, to: e.t });
      }
    }
  };
  child.stdout.on('data', (b: Buffer) => {
    const s = b.toString();
    chunks.push(s);
    file.write(s);
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  child.stderr.on('data', (b: Buffer) => {
    chunks.push(b.toString());
    file.write(b);
  });
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`replica ${o.name} exited: ${r.text().slice(-2000)}`);
      if (!identity) throw new Error(`replica ${o.name} not running yet`);
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `replica ${o.name} running` },
  );
  r.identity = identity;
  return r;
}
