// The controller as its own OS process (`node dist/src/main.js controller …`, as the container
// runs it), so that SIGKILL is real and a removed RBAC verb cannot hang the test process. Its JSON
// log lines are kept in memory and in a file under .testbed/resilience/logs/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../dev/testbed/ports';
import { eventually } from '../../support/eventually';

const repo = join(__dirname, '..', '..', '..');
export const mainJs = join(repo, 'dist', 'src', 'main.js');
export const logDir = join(repo, '.testbed', 'resilience', 'logs');

/** Fails with what to do when the build the process runs from is missing or older than src/. */
export function requireBuild(): void {
  if (!existsSync(mainJs)) {
    throw new Error(`${mainJs} is missing: run \`npm run build\` (npm run test:resilience does it first)`);
  }
}

export interface ControllerProcess {
  name: string;
  pid: number;
  metricsPort: number;
  /** Parsed JSON log lines, in order. */
  logs: Record<string, unknown>[];
  /** Raw output (for canary sweeps). */
  text(): string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
  /** Resolves with the first log line whose msg matches (after `from`, an index into logs). */
  waitForLog(msg: RegExp, opts?: { timeoutMs?: number; from?: number }): Promise<Record<string, unknown>>;
  leader(): Promise<boolean>;
}

export interface ControllerProcessOptions {
  name: string;
  kubeconfig: string;
  /** The one namespace to watch; every namespace when omitted. */
  namespace?: string;
  leaseId?: string;
  /** Extra flags, e.g. ['--no-leader-elect'] or ['--concurrency', '2']. */
  flags?: string[];
  env?: Record<string, string>;
}

export async function startControllerProcess(o: ControllerProcessOptions): Promise<ControllerProcess> {
  requireBuild();
  mkdirSync(logDir, { recursive: true });
  const metricsPort = await freePort();
  const args = [
    mainJs,
    'controller',
    '--kubeconfig',
    o.kubeconfig,
    ...(o.namespace !== undefined ? ['--namespace', o.namespace] : []),
    '--metrics-port',
    String(metricsPort),
    '--bind-address',
    '127.0.0.1',
    '--log-level',
    'debug',
    '--leader-election-namespace',
    'secretsync-system',
    '--leader-election-id',
    o.leaseId ?? `secretsync-${o.namespace ?? o.name}`,
    '--lease-duration',
    '3s',
    '--renew-deadline',
    '2s',
    '--retry-period',
    '500ms',
    ...(o.flags ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, POD_NAME: o.name, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start controller ${o.name}`);
  const file = createWriteStream(join(logDir, `${o.name}-${child.pid}.log`));
  const logs: Record<string, unknown>[] = [];
  let raw = '';
  let partial = '';
  const onData = (b: Buffer) => {
    const s = b.toString();
    raw += s;
    file.write(s);
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.trim()) continue;
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ msg: l, unparsed: true });
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  child.once('exit', () => {
    file.end();
    gone = true;
  });
  const proc: ControllerProcess = {
    name: o.name,
    pid: child.pid,
    metricsPort,
    logs,
    text: () => raw,
    exited,
    kill: (signal) => {
      if (!gone) child.kill(signal);
    },
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    waitForLog: (msg, opts = {}) =>
      eventually(
        () => {
          const hit = logs.slice(opts.from ?? 0).find((l) => msg.test(String(l.msg ?? '')));
          if (!hit) throw new Error(`no log line matching ${msg} from ${o.name}`);
          return hit;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100, what: `${o.name}: ${msg}` },
      ),
    async leader() {
      try {
        const text = await (
          await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) })
        ).text();
        return /^secretsync_leader 1$/m.test(text);
      } catch {
        return false;
      }
    },
  };
  return proc;
}

/** Milliseconds since epoch of a pino log line. */
export function logTime(l: Record<string, unknown>): number {
  return typeof l.time === 'number' ? l.time : Date.parse(String(l.time));
}
