// Cron for the two places users write one: sync windows ({kind: allow|deny, windows[]{schedule,
// duration}}) and the secretsync.io/refresh-schedule annotation. Everything here is a pure
// function of its inputs (time is passed in), so the scheduler can ask "when is the next fire"
// or "when may this object sync again" and the answers are testable without timers.

import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { parseDuration } from '../gocompat/duration';

/** Thrown for an invalid cron expression or time zone; the message says what is wrong and shows an example. */
export class CronError extends Error {
  override readonly name = 'CronError';
  constructor(
    readonly expression: string,
    readonly detail: string,
  ) {
    super(
      `invalid cron schedule ${JSON.stringify(expression)}: ${detail}; expected 5 fields ` +
        `"minute hour day-of-month month day-of-week" such as "0 2 * * *" or "*/15 9-17 * * MON-FRI", ` +
        `or one of ${MACRO_NAMES}`,
    );
  }
}

const MACROS: ReadonlyMap<string, string> = new Map([
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
  ['@monthly', '0 0 1 * *'],
  ['@weekly', '0 0 * * 0'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@hourly', '0 * * * *'],
]);
const MACRO_NAMES = [...MACROS.keys()].join(', ');

const DEFAULT_TZ = 'UTC';

/**
 * Parsed expressions are cached (cron-parser's parse is ~5x the cost of reset+next) and re-used
 * by resetting their iterator; JS is single-threaded and no iterator escapes this module.
 */
const cache = new Map<string, CronExpression>();
const CACHE_LIMIT = 512;

function checkTimeZone(expr: string, tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new CronError(
      expr,
      `unknown time zone ${JSON.stringify(tz)} (use an IANA name such as "Europe/Berlin")`,
    );
  }
}

function normalise(expr: string): string {
  if (typeof expr !== 'string') throw new CronError(String(expr), 'not a string');
  const trimmed = expr.trim();
  if (trimmed === '') throw new CronError(expr, 'empty');
  if (trimmed.startsWith('@')) {
    const macro = MACROS.get(trimmed.toLowerCase());
    if (macro === undefined) throw new CronError(expr, `unknown macro ${JSON.stringify(trimmed)}`);
    return macro;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) throw new CronError(expr, `has ${fields.length} field(s), not 5`);
  return fields.join(' ');
}

function parse(expr: string, tz: string): CronExpression {
  const cacheKey = `${tz}\n${expr}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  const normalised = normalise(expr);
  checkTimeZone(expr, tz);
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(normalised, { tz, currentDate: 0 });
  } catch (err) {
    throw new CronError(expr, err instanceof Error ? err.message : String(err));
  }
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(cacheKey, parsed);
  return parsed;
}

/** Throws CronError unless expr is a valid 5-field expression or macro (and tz a known zone). */
export function validateCron(expr: string, tz: string = DEFAULT_TZ): void {
  parse(expr, tz);
}

function step(expr: string, fromMs: number, tz: string, direction: 'next' | 'prev'): number {
  if (!Number.isFinite(fromMs)) throw new RangeError(`cron: time must be finite, got ${fromMs}`);
  const e = parse(expr, tz);
  try {
    e.reset(new Date(fromMs));
    return (direction === 'next' ? e.next() : e.prev()).getTime();
  } catch (err) {
    throw new CronError(
      expr,
      `no ${direction} fire time: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** First fire time strictly after afterMs. Fields are evaluated in tz (default UTC). */
export function nextCronFire(expr: string, afterMs: number, tz: string = DEFAULT_TZ): number {
  return step(expr, afterMs, tz, 'next');
}

/** Last fire time strictly before beforeMs. Fields are evaluated in tz (default UTC). */
export function previousCronFire(expr: string, beforeMs: number, tz: string = DEFAULT_TZ): number {
  return step(expr, beforeMs, tz, 'prev');
}

export type SyncWindowKind = 'allow' | 'deny';

export interface SyncWindow {
  /** Cron: each fire time opens the window. */
  schedule: string;
  /** Go duration (or whole seconds): how long it stays open. */
  duration: string;
}

export interface SyncWindowGroup {
  kind: SyncWindowKind;
  windows: readonly SyncWindow[];
}

export interface SyncWindowState {
  allowed: boolean;
  /** When not allowed: the earliest time syncing may be allowed (re-evaluate then). Absent: never. */
  nextChangeMs?: number;
}

export interface SyncWindowOptions {
  /** Zone the schedules are written in (default UTC). */
  tz?: string;
}

interface ParsedWindow {
  schedule: string;
  durationMs: number;
}

/**
 * Longest chain of window edges followed before giving up and asking to be re-evaluated later.
 * Real specs settle in a handful; the cap bounds the cost of one that never does.
 */
const MAX_STEPS = 100;

/**
 * Whether syncing is allowed at nowMs. A window is open during [fire, fire + duration) for every
 * fire time of its schedule. An open deny window forbids syncing; otherwise, if any allow window
 * is configured, syncing is allowed only while one is open; with no windows, always.
 *
 * When not allowed, nextChangeMs is the first instant at which no deny window is open and (if
 * allow windows exist) an allow window is, found by walking window edges forward. If that walk
 * does not settle within 100 edges (e.g. a deny window that is always open), nextChangeMs is the
 * point reached — a time before which syncing is certainly not allowed — so the caller simply
 * asks again then. Allow windows that can never open (all of duration 0) give no nextChangeMs.
 *
 * Throws CronError/DurationError for invalid input; validate specs first with validateSyncWindows.
 */
export function inSyncWindow(
  groups: readonly SyncWindowGroup[],
  nowMs: number,
  options: SyncWindowOptions = {},
): SyncWindowState {
  const tz = options.tz ?? DEFAULT_TZ;
  const allow: ParsedWindow[] = [];
  const deny: ParsedWindow[] = [];
  let allowConfigured = false;
  for (const group of groups) {
    if (group.kind !== 'allow' && group.kind !== 'deny') {
      throw new Error(`sync window kind must be "allow" or "deny", got ${JSON.stringify(group.kind)}`);
    }
    for (const w of group.windows) {
      validateCron(w.schedule, tz);
      const durationMs = parseDuration(w.duration);
      if (group.kind === 'allow') allowConfigured = true;
      if (durationMs <= 0) continue; // never open
      (group.kind === 'allow' ? allow : deny).push({ schedule: w.schedule, durationMs });
    }
  }

  /** End of the window's current opening if open at t, else undefined. */
  const openUntil = (w: ParsedWindow, t: number): number | undefined => {
    // prev(t + 1) is the last fire at or before t (fire times are whole seconds).
    const end = previousCronFire(w.schedule, t + 1, tz) + w.durationMs;
    return t < end ? end : undefined;
  };

  const blockedUntil = (t: number): number | undefined => {
    let until: number | undefined;
    for (const w of deny) {
      const end = openUntil(w, t);
      if (end !== undefined && (until === undefined || end > until)) until = end;
    }
    if (until !== undefined) return until;
    if (!allowConfigured) return undefined;
    if (allow.some((w) => openUntil(w, t) !== undefined)) return undefined;
    if (allow.length === 0) return Infinity;
    return Math.min(...allow.map((w) => nextCronFire(w.schedule, t, tz)));
  };

  let t = nowMs;
  for (let i = 0; i < MAX_STEPS; i++) {
    const until = blockedUntil(t);
    if (until === undefined) return t === nowMs ? { allowed: true } : { allowed: false, nextChangeMs: t };
    if (until === Infinity) return { allowed: false };
    t = until;
  }
  return { allowed: false, nextChangeMs: t };
}

/** Human-readable problems with a syncWindows spec (empty when valid); for admission and `validate`. */
export function validateSyncWindows(groups: readonly SyncWindowGroup[], tz: string = DEFAULT_TZ): string[] {
  const problems: string[] = [];
  groups.forEach((group, gi) => {
    if (group.kind !== 'allow' && group.kind !== 'deny') {
      problems.push(`syncWindows[${gi}].kind must be "allow" or "deny", got ${JSON.stringify(group.kind)}`);
    }
    group.windows.forEach((w, wi) => {
      const at = `syncWindows[${gi}].windows[${wi}]`;
      try {
        validateCron(w.schedule, tz);
      } catch (err) {
        problems.push(`${at}.schedule: ${err instanceof Error ? err.message : String(err)}`);
      }
      try {
        if (parseDuration(w.duration) <= 0) problems.push(`${at}.duration: must be greater than 0s`);
      } catch (err) {
        problems.push(`${at}.duration: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  });
  return problems;
}
