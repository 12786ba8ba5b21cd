// The retry schedule the controller promises (DESIGN §3: per-key exponential backoff from ~1 s,
// capped at ~5 min), as numbers a scenario can compare what it counted with.
import { BACKOFF } from './knobs';

export function delayAfter(failures: number): number {
  return Math.min(BACKOFF.baseMs * BACKOFF.factor ** failures, BACKOFF.maxMs);
}

/**
 * Start times (ms from the first failure) of the attempts one key makes while every attempt fails
 * for `windowMs`, each attempt taking `attemptMs`.
 */
export function attemptSchedule(windowMs: number, attemptMs = 0): number[] {
  const out: number[] = [];
  let t = 0;
  for (let failures = 0; t <= windowMs; failures++) {
    out.push(t);
    t += attemptMs + delayAfter(failures);
  }
  return out;
}

/** How long after the store returns at `windowMs` a key waits, at most, for its next attempt. */
export function pendingDelayAt(windowMs: number, attemptMs = 0): number {
  const s = attemptSchedule(windowMs, attemptMs);
  return delayAfter(s.length - 1) + attemptMs;
}

/** Gaps between consecutive timestamps. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}
