// Small helpers shared by the benchmark: bounded parallelism, waiting on a condition, statistics
// and number formatting.
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Runs `fn` over `items` with at most `width` in flight; rejects on the first failure. */
export async function pool<T>(items: readonly T[], width: number, fn: (t: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

export class Timeout extends Error {}

/** Polls `cond` every `everyMs` until it is true; throws Timeout (naming `what`) after `timeoutMs`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Timeout(`timed out after ${Math.round(timeoutMs / 1000)}s: ${what}`);
    await sleep(everyMs);
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; undefined for none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Parses 20s, 1500ms, 2m, 1h into milliseconds. */
export function durationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (!m) throw new Error(`not a duration (e.g. 20s): ${v}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** A figure for a table: integers as is, others with up to `digits` decimals; '—' for none. */
export function fmt(v: number | undefined | null, digits = 1): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(digits);
}

/** ours/naive as "0.10×"; '—' when either side is missing, "0/0" when both are zero. */
export function ratio(ours: number | undefined, naive: number | undefined): string {
  if (ours === undefined || naive === undefined || Number.isNaN(ours) || Number.isNaN(naive)) return '—';
  if (naive === 0) return ours === 0 ? '0/0' : '∞';
  const r = ours / naive;
  return `${r < 0.1 && r > 0 ? r.toFixed(3) : r.toFixed(2)}×`;
}

export const MB = 1024 * 1024;
