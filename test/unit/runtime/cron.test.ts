// Cron answers feed the one scheduler: next/previous fire times must be exact, bad expressions
// must be rejected with a message a user can act on, and sync windows must say both "may I sync
// now" and "when may I next sync".

import fc from 'fast-check';
import {
  CronError,
  inSyncWindow,
  nextCronFire,
  previousCronFire,
  type SyncWindowGroup,
  validateCron,
  validateSyncWindows,
} from '../../../src/runtime/cron';
import { DurationError } from '../../../src/gocompat/duration';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

describe('nextCronFire / previousCronFire', () => {
  it('gives the next fire strictly after and the previous strictly before', () => {
    expect(iso(nextCronFire('0 10 * * *', at('2025-01-01T09:59:59.500Z')))).toBe('2025-01-01T10:00:00.000Z');
    expect(iso(nextCronFire('0 10 * * *', at('2025-01-01T10:00:00Z')))).toBe('2025-01-02T10:00:00.000Z');
    expect(iso(previousCronFire('0 10 * * *', at('2025-01-01T10:00:00Z')))).toBe('2024-12-31T10:00:00.000Z');
    expect(iso(previousCronFire('0 10 * * *', at('2025-01-01T10:00:00.001Z')))).toBe(
      '2025-01-01T10:00:00.000Z',
    );
  });

  it('understands steps, ranges, names and macros', () => {
    const wed = at('2025-01-01T12:07:00Z'); // a Wednesday
    expect(iso(nextCronFire('*/15 9-17 * * MON-FRI', wed))).toBe('2025-01-01T12:15:00.000Z');
    expect(iso(nextCronFire('0 0 * * SAT', wed))).toBe('2025-01-04T00:00:00.000Z');
    expect(iso(nextCronFire('@daily', wed))).toBe('2025-01-02T00:00:00.000Z');
    expect(iso(nextCronFire('@midnight', wed))).toBe('2025-01-02T00:00:00.000Z');
    expect(iso(nextCronFire('@hourly', wed))).toBe('2025-01-01T13:00:00.000Z');
    expect(iso(nextCronFire('@monthly', wed))).toBe('2025-02-01T00:00:00.000Z');
  });

  it('evaluates fields in the given time zone', () => {
    // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
    expect(iso(nextCronFire('0 2 * * *', at('2025-01-01T12:00:00Z'), 'Europe/Berlin'))).toBe(
      '2025-01-02T01:00:00.000Z',
    );
    expect(iso(nextCronFire('0 2 * * *', at('2025-07-01T12:00:00Z'), 'Europe/Berlin'))).toBe(
      '2025-07-02T00:00:00.000Z',
    );
  });

  it('gives the same answers when asked repeatedly (cached parse is reset each time)', () => {
    const t = at('2025-03-01T00:00:00Z');
    const first = nextCronFire('*/5 * * * *', t);
    nextCronFire('*/5 * * * *', t + 3_600_000);
    previousCronFire('*/5 * * * *', t + 7_200_000);
    expect(nextCronFire('*/5 * * * *', t)).toBe(first);
  });

  it.each<[string, RegExp]>([
    ['', /empty/],
    ['   ', /empty/],
    ['* * * *', /4 field/],
    ['0 0 * * * *', /6 field/], // seconds-first or year-last? ambiguous, so rejected
    ['61 * * * *', /61/],
    ['0 25 * * *', /25/],
    ['*/0 * * * *', /0/],
    ['0 0 30 2 *', /day of month/],
    ['foo bar baz qux quux', /./],
    ['@every 1h', /unknown macro/],
  ])('rejects %j with a CronError that shows an example', (expr, why) => {
    let caught: unknown;
    try {
      validateCron(expr);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CronError);
    expect((caught as Error).message).toMatch(why);
    expect((caught as Error).message).toContain('"0 2 * * *"');
    expect((caught as CronError).expression).toBe(expr);
  });

  it('rejects an unknown time zone clearly', () => {
    expect(() => nextCronFire('0 2 * * *', 0, 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('inSyncWindow', () => {
  const nightlyFreeze: SyncWindowGroup = {
    kind: 'deny',
    windows: [{ schedule: '0 22 * * *', duration: '8h' }],
  };
  const officeHours: SyncWindowGroup = {
    kind: 'allow',
    windows: [{ schedule: '0 9 * * 1-5', duration: '8h' }],
  };
  const lunch: SyncWindowGroup = { kind: 'deny', windows: [{ schedule: '0 12 * * *', duration: '1h' }] };

  it('allows everything without windows', () => {
    expect(inSyncWindow([], at('2025-01-01T00:00:00Z'))).toEqual({ allowed: true });
  });

  it('denies inside a deny window and says when it ends', () => {
    expect(inSyncWindow([nightlyFreeze], at('2025-01-01T23:00:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-02T06:00:00Z'),
    });
    expect(inSyncWindow([nightlyFreeze], at('2025-01-02T05:59:59.999Z')).allowed).toBe(false);
    expect(inSyncWindow([nightlyFreeze], at('2025-01-02T07:00:00Z'))).toEqual({ allowed: true });
  });

  it('treats a window as open from its fire time (inclusive) to fire + duration (exclusive)', () => {
    expect(inSyncWindow([nightlyFreeze], at('2025-01-01T21:59:59.999Z')).allowed).toBe(true);
    expect(inSyncWindow([nightlyFreeze], at('2025-01-01T22:00:00Z')).allowed).toBe(false);
    expect(inSyncWindow([nightlyFreeze], at('2025-01-02T06:00:00Z')).allowed).toBe(true);
  });

  it('with allow windows, allows only while one is open', () => {
    expect(inSyncWindow([officeHours], at('2025-01-01T10:00:00Z'))).toEqual({ allowed: true }); // Wed
    expect(inSyncWindow([officeHours], at('2025-01-01T17:30:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-02T09:00:00Z'),
    });
    expect(inSyncWindow([officeHours], at('2025-01-04T10:00:00Z'))).toEqual({
      allowed: false, // Saturday → Monday 09:00
      nextChangeMs: at('2025-01-06T09:00:00Z'),
    });
  });

  it('lets deny win over allow and finds the end of the deny', () => {
    expect(inSyncWindow([officeHours, lunch], at('2025-01-01T12:30:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-01T13:00:00Z'),
    });
  });

  it('skips to the next allow window when a deny outlasts the current one', () => {
    const lateDeny: SyncWindowGroup = { kind: 'deny', windows: [{ schedule: '0 16 * * *', duration: '2h' }] };
    expect(inSyncWindow([officeHours, lateDeny], at('2025-01-01T16:30:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-02T09:00:00Z'),
    });
  });

  it('follows chained and overlapping deny windows', () => {
    const chained: SyncWindowGroup = {
      kind: 'deny',
      windows: [
        { schedule: '0 10 * * *', duration: '1h' },
        { schedule: '30 10 * * *', duration: '1h' },
      ],
    };
    expect(inSyncWindow([chained], at('2025-01-01T10:15:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-01T11:30:00Z'),
    });
    // A window longer than its period: opened at 10:00 and 10:05, the later one closes last.
    const overlapping: SyncWindowGroup = {
      kind: 'deny',
      windows: [{ schedule: '*/5 10 * * *', duration: '7m' }],
    };
    expect(inSyncWindow([overlapping], at('2025-01-01T10:06:00Z'))).toEqual({
      allowed: false,
      nextChangeMs: at('2025-01-01T11:02:00Z'),
    });
  });

  it('asks to be re-evaluated later when a deny never ends', () => {
    const always: SyncWindowGroup = { kind: 'deny', windows: [{ schedule: '* * * * *', duration: '1m' }] };
    const now = at('2025-01-01T00:00:30Z');
    const state = inSyncWindow([always], now);
    expect(state.allowed).toBe(false);
    expect(state.nextChangeMs).toBeGreaterThan(now);
    expect(inSyncWindow([always], state.nextChangeMs!).allowed).toBe(false);
  });

  it('gives up gracefully when a deny always covers the only allow window', () => {
    const window = { schedule: '0 0 * * *', duration: '1h' };
    const now = at('2025-01-01T00:30:00Z');
    const state = inSyncWindow(
      [
        { kind: 'allow', windows: [window] },
        { kind: 'deny', windows: [window] },
      ],
      now,
    );
    expect(state.allowed).toBe(false);
    expect(state.nextChangeMs).toBeGreaterThan(now + 24 * 3_600_000); // re-evaluate in days, not a busy loop
  });

  it('gives no next change when the allow windows can never open', () => {
    const never: SyncWindowGroup = { kind: 'allow', windows: [{ schedule: '0 9 * * *', duration: '0s' }] };
    expect(inSyncWindow([never], at('2025-01-01T09:00:00Z'))).toEqual({ allowed: false });
  });

  it('ignores an allow group with no windows', () => {
    expect(inSyncWindow([{ kind: 'allow', windows: [] }], 0)).toEqual({ allowed: true });
  });

  it('evaluates schedules in the given time zone', () => {
    const berlinOffice: SyncWindowGroup = {
      kind: 'allow',
      windows: [{ schedule: '0 9 * * *', duration: '1h' }],
    };
    const eightUtc = at('2025-01-01T08:30:00Z'); // 09:30 in Berlin
    expect(inSyncWindow([berlinOffice], eightUtc).allowed).toBe(false);
    expect(inSyncWindow([berlinOffice], eightUtc, { tz: 'Europe/Berlin' }).allowed).toBe(true);
  });

  it('throws on invalid windows', () => {
    expect(() =>
      inSyncWindow([{ kind: 'deny', windows: [{ schedule: 'nope', duration: '1h' }] }], 0),
    ).toThrow(CronError);
    expect(() =>
      inSyncWindow([{ kind: 'deny', windows: [{ schedule: '0 * * * *', duration: '1x' }] }], 0),
    ).toThrow(DurationError);
  });

  it('nextChangeMs is the first allowed instant: not allowed just before, allowed at it', () => {
    const minute = fc.integer({ min: 0, max: 59 });
    const hour = fc.integer({ min: 0, max: 23 });
    const window = fc.record({
      schedule: fc.tuple(minute, hour).map(([m, h]) => `${m} ${h} * * *`),
      duration: fc.integer({ min: 1, max: 600 }).map((m) => `${m}m`),
    });
    const group = fc.record({
      kind: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
      windows: fc.array(window, { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(group, { maxLength: 3 }),
        fc.integer({ min: at('2025-01-01T00:00:00Z'), max: at('2025-12-31T00:00:00Z') }),
        (groups, now) => {
          const state = inSyncWindow(groups, now);
          if (state.allowed || state.nextChangeMs === undefined) return;
          const t = state.nextChangeMs;
          expect(t).toBeGreaterThan(now);
          for (let i = 1; i < 8; i++)
            expect(inSyncWindow(groups, now + ((t - now) * i) / 8).allowed).toBe(false);
          expect(inSyncWindow(groups, t - 1).allowed).toBe(false);
          // Allowed at t, unless the walk gave up (a deny that always covers the allow windows),
          // in which case t is only a time to ask again.
          if (!inSyncWindow(groups, t).allowed) expect(t - now).toBeGreaterThan(24 * 3_600_000);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('validateSyncWindows', () => {
  it('lists every problem with its path', () => {
    const problems = validateSyncWindows([
      { kind: 'allow', windows: [{ schedule: '0 9 * * 1-5', duration: '8h' }] },
      {
        kind: 'sometimes' as 'allow',
        windows: [
          { schedule: '0 25 * * *', duration: '1h' },
          { schedule: '0 1 * * *', duration: '0s' },
          { schedule: '0 1 * * *', duration: 'soon' },
        ],
      },
    ]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^syncWindows\[1\]\.kind must be "allow" or "deny"/);
    expect(problems[1]).toMatch(/^syncWindows\[1\]\.windows\[0\]\.schedule: invalid cron schedule/);
    expect(problems[2]).toMatch(/^syncWindows\[1\]\.windows\[1\]\.duration: must be greater than 0s/);
    expect(problems[3]).toMatch(/^syncWindows\[1\]\.windows\[2\]\.duration: invalid duration "soon"/);
  });

  it('accepts a valid spec', () => {
    expect(
      validateSyncWindows([{ kind: 'deny', windows: [{ schedule: '@daily', duration: '1h30m' }] }]),
    ).toEqual([]);
  });
});
