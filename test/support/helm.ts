// Helm, built from its Go module (dev/testbed/install.ts), run against the testbed with its state
// (repository cache, config) in a scratch directory so that tests never read or write ~/.config.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHelm } from '../../dev/testbed/install';

/** A cold build of Helm takes minutes on a loaded 2-core machine (measured in the commit message). */
export const HELM_BUILD_TIMEOUT_MS = 40 * 60_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export interface Helm {
  bin: string;
  (...args: string[]): Promise<Run>;
  /** Removes Helm's scratch state directory. */
  dispose(): void;
}

export async function helm(
  progress: (l: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<Helm> {
  const bin = await ensureHelm(progress);
  const home = mkdtempSync(join(tmpdir(), 'secretsync-helm-'));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    HELM_CONTENT_CACHE: join(home, 'content'),
  };
  const fn = ((...args: string[]) => run(bin, args, { env })) as Helm;
  fn.bin = bin;
  fn.dispose = () => rmSync(home, { recursive: true, force: true });
  return fn;
}

/** Fails with the command's output when it did not exit 0. */
export function ok(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return r.stdout;
}
