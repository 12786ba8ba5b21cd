// Polls until an assertion passes or the deadline passes; the last failure is rethrown. Tests wait
// with this, with a deadline derived from the configuration under test, never with fixed sleeps.
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(
  check: () => Promise<T> | T,
  opts: { timeoutMs: number; intervalMs?: number; what?: string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const msg = last instanceof Error ? last.message : String(last);
      throw new Error(`${opts.what ?? 'condition'} not met within ${opts.timeoutMs} ms: ${msg}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
