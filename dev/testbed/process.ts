// Child processes of the testbed: each logs to its own file, runs in its own process group (so a
// wrapper script's children die with it) and is recorded by pid so that a crashed run's leftovers
// can be killed by the next one.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class TestbedError extends Error {}

export interface Managed {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnManaged(opts: SpawnOptions): Managed {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new TestbedError(`${opts.name}: could not start ${opts.command}`);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return { name: opts.name, pid: child.pid, logFile: opts.logFile, child, exited };
}

export function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

export function failure(name: string, what: string, logFile: string): TestbedError {
  return new TestbedError(`testbed: ${name} ${what} — log: ${logFile}\n${tail(logFile)}`);
}

/** Polls `probe` until it returns true; fails naming the component if it exits or times out. */
export async function waitReady(
  m: Managed | undefined,
  name: string,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  // eslint-disable-next-line @typescript-eslint/no-floating-promises -- exited never rejects (it resolves on 'exit')
  void m?.exited.then((c) => (exitCode = c));
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw failure(name, `exited with code ${exitCode} before it was ready`, logFile);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw failure(name, `was not ready within ${Math.round(timeoutMs / 1000)}s`, logFile);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the process group, then SIGKILL whatever is left after the grace period. */
export async function killGroup(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!alive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) signal('SIGKILL');
}

interface PidRecord {
  name: string;
  pid: number;
  marker: string;
  /** The node process that started this testbed. */
  owner: number;
}

/** Records pids in a file; `reapStale` kills those of a crashed earlier run (checked by cmdline). */
export class PidFile {
  constructor(private readonly file: string) {}

  read(): PidRecord[] {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as PidRecord[];
    } catch {
      return [];
    }
  }

  add(rec: PidRecord): void {
    writeFileSync(this.file, JSON.stringify([...this.read(), rec]));
  }

  clear(): void {
    writeFileSync(this.file, '[]');
  }

  async reapStale(): Promise<string[]> {
    const reaped: string[] = [];
    for (const rec of this.read()) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      if (!cmdline.includes(rec.marker)) continue; // pid reused by an unrelated process
      await killGroup(rec.pid, 2000);
      reaped.push(`${rec.name}(${rec.pid})`);
    }
    this.clear();
    return reaped;
  }
}
