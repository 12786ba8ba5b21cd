// When a workload may roll again. A change rolls at once unless secretsync rolled the workload
// less than one window ago (its pause-period, else --rollout-debounce); then it waits until that
// window ends, and everything that changed meanwhile goes out in that one rollout. So a single
// rotation restarts pods at once, and a burst makes at most one more rollout, at the window's end.
// The last rollout time is the pod template's restartedAt stamp, which secretsync writes with each
// restart: it survives controller restarts and leader changes, so neither makes an extra rollout.

export interface CooldownInput {
  /** When secretsync last rolled the workload (ms since the epoch), undefined if never. */
  lastRolloutAt: number | undefined;
  now: number;
  /** Minimum time between two rollouts of the workload; 0 rolls every change at once. */
  windowMs: number;
}

/** Asked only when a restart is due: roll now, or wait until `at` (then decide again). */
export type RollTiming = { roll: 'now' } | { roll: 'later'; at: number };

export function rollTiming({ lastRolloutAt, now, windowMs }: CooldownInput): RollTiming {
  if (lastRolloutAt === undefined || !(windowMs > 0)) return { roll: 'now' };
  // A stamp ahead of our clock (written by a replica whose clock runs ahead) counts as now, so a
  // skewed clock never holds a change back for longer than one window.
  const at = Math.min(lastRolloutAt, now) + windowMs;
  return at <= now ? { roll: 'now' } : { roll: 'later', at };
}

/** The restartedAt stamp secretsync writes on a pod template, as ms; undefined if absent or unreadable. */
export function parseRestartedAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
