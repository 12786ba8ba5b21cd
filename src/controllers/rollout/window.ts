// secretsync.io/rollout-window: when a workload may roll. The value is a 5-field cron expression
// (or a macro) in UTC, optionally preceded by `TZ=<IANA zone> `; the window is open during every
// minute the expression matches, so "* 2-4 * * *" is open from 02:00 to 04:59 and
// "* 22-23,0-5 * * MON-FRI" through weekday nights. Pure: time is passed in.
import { CronError, nextCronFire, previousCronFire, validateCron } from '../../runtime/cron';

export interface RolloutWindow {
  expression: string;
  timeZone: string;
}

export type WindowState = { open: true } | { open: false; opensAt?: number };

const MINUTE = 60_000;

/** Parses the annotation's value; throws CronError (its message says what to write) when invalid. */
export function parseRolloutWindow(value: string): RolloutWindow {
  const m = /^\s*(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(value);
  const window = m ? { expression: (m[2] as string).trim(), timeZone: m[1] as string } : undefined;
  const w = window ?? { expression: value.trim(), timeZone: 'UTC' };
  validateCron(w.expression, w.timeZone);
  return w;
}

/** Parses, or returns the problem as text (for the workload's InvalidReloadAnnotation Event). */
export function readRolloutWindow(value: string): RolloutWindow | { invalid: string } {
  try {
    return parseRolloutWindow(value);
  } catch (err) {
    return { invalid: err instanceof CronError ? err.message : String(err) };
  }
}

/**
 * Open while the minute containing `nowMs` matches; otherwise closed until the next matching
 * minute (absent if none can be found: the workload then waits for its annotation to change).
 */
export function windowState(w: RolloutWindow, nowMs: number): WindowState {
  const minute = Math.floor(nowMs / MINUTE) * MINUTE;
  try {
    if (previousCronFire(w.expression, minute + 1, w.timeZone) === minute) return { open: true };
    return { open: false, opensAt: nextCronFire(w.expression, nowMs, w.timeZone) };
  } catch {
    return { open: false };
  }
}
