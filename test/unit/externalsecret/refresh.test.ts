// decideRefresh / nextDue: when an ExternalSecret is fetched again. Pure functions of the injected
// time (nowMs), the last successful sync recorded in status and the state of the target Secret.
import { ANNOTATION } from '../../../src/api/constants';
import type { ExternalSecretSpec } from '../../../src/api/generated';
import {
  decideRefresh,
  nextDue,
  REFRESH_REASON_TEXT,
  RefreshReason,
  type RefreshInput,
  type TargetState,
} from '../../../src/controllers/externalsecret/refresh';
import { normalize, type Normalized } from '../../../src/controllers/externalsecret/spec';
import { syncedResourceVersion } from '../../../src/controllers/externalsecret/status';
import { externalSecret } from './helpers';

const HOUR = 3_600_000;
const MIN = 60_000;
/** Monday 2 March 2026, 10:00 UTC. */
const T0 = Date.parse('2026-03-02T10:00:00Z');
const KEY = 'team-a/db-creds';

function spec(s: Partial<ExternalSecretSpec> = {}, annotations?: Record<string, string>): Normalized {
  return normalize(externalSecret(s, annotations ? { annotations } : {}));
}

const VERSION = syncedResourceVersion({ generation: 1 });

/** A synced ExternalSecret: last success at T0, nothing changed since. */
function input(over: Partial<RefreshInput> = {}): RefreshInput {
  return {
    nowMs: T0 + MIN,
    key: KEY,
    spec: spec(),
    currentSyncedVersion: VERSION,
    lastSyncedVersion: VERSION,
    lastRefreshMs: T0,
    lastSyncFailed: false,
    target: 'present',
    ...over,
  };
}

describe('decideRefresh: reasons to fetch now', () => {
  test('a synced object that is not due is left alone until its due time', () => {
    const d = decideRefresh(input());
    expect(d.refresh).toBe(false);
    expect(d.reason).toBe(RefreshReason.NotDue);
    expect(d.nextCheckMs).toBe(nextDue(spec(), T0, KEY));
  });

  test('first sync: no refreshTime or no syncedResourceVersion in status', () => {
    expect(decideRefresh(input({ lastRefreshMs: undefined }))).toEqual({
      refresh: true,
      reason: RefreshReason.FirstSync,
    });
    expect(decideRefresh(input({ lastSyncedVersion: undefined }))).toEqual({
      refresh: true,
      reason: RefreshReason.FirstSync,
    });
    expect(decideRefresh(input({ lastSyncedVersion: '' })).refresh).toBe(true);
  });

  test('a new force-sync annotation value changes syncedResourceVersion and forces a refresh', () => {
    const before = syncedResourceVersion({ generation: 3, annotations: { [ANNOTATION.forceSync]: '1' } });
    const after = syncedResourceVersion({ generation: 3, annotations: { [ANNOTATION.forceSync]: '2' } });
    const same = syncedResourceVersion({ generation: 3, annotations: { [ANNOTATION.forceSync]: '1' } });
    expect(decideRefresh(input({ lastSyncedVersion: before, currentSyncedVersion: after }))).toEqual({
      refresh: true,
      reason: RefreshReason.SpecChanged,
    });
    expect(decideRefresh(input({ lastSyncedVersion: before, currentSyncedVersion: same })).refresh).toBe(
      false,
    );
  });

  test('a spec change (new generation) forces a refresh, for every refresh policy', () => {
    const g1 = syncedResourceVersion({ generation: 1 });
    const g2 = syncedResourceVersion({ generation: 2 });
    for (const refreshPolicy of ['Periodic', 'OnChange'] as const) {
      const d = decideRefresh(
        input({ spec: spec({ refreshPolicy }), lastSyncedVersion: g1, currentSyncedVersion: g2 }),
      );
      expect(d).toEqual({ refresh: true, reason: RefreshReason.SpecChanged });
    }
  });

  test('a missing target Secret is re-created at once, whatever the policy or interval', () => {
    for (const s of [
      spec(),
      spec({ refreshPolicy: 'OnChange' }),
      spec({ refreshPolicy: 'CreatedOnce' }),
      spec({ refreshInterval: '0s' }),
    ]) {
      expect(decideRefresh(input({ spec: s, target: 'missing' }))).toEqual({
        refresh: true,
        reason: RefreshReason.TargetMissing,
      });
    }
  });

  test('a drifted target Secret is rewritten under Periodic and OnChange, not under CreatedOnce', () => {
    for (const refreshPolicy of ['Periodic', 'OnChange'] as const) {
      expect(decideRefresh(input({ spec: spec({ refreshPolicy }), target: 'drifted' }))).toEqual({
        refresh: true,
        reason: RefreshReason.TargetDrifted,
      });
    }
    const createdOnce = decideRefresh(
      input({ spec: spec({ refreshPolicy: 'CreatedOnce' }), target: 'drifted', nowMs: T0 + 1000 * HOUR }),
    );
    expect(createdOnce.refresh).toBe(false);
    expect(createdOnce.nextCheckMs).toBeUndefined();
  });

  test('a failed last sync is retried now, even when the interval has not passed', () => {
    expect(decideRefresh(input({ lastSyncFailed: true }))).toEqual({
      refresh: true,
      reason: RefreshReason.LastSyncFailed,
    });
  });

  test('target states present / not-applicable alone do not force a refresh', () => {
    for (const target of ['present', 'not-applicable'] as TargetState[]) {
      expect(decideRefresh(input({ target })).refresh).toBe(false);
    }
  });
});

describe('decideRefresh: Periodic with jitter', () => {
  const keys = Array.from({ length: 50 }, (_, i) => `team-a/es-${i}`);

  test('due time lies in [last + 0.9·interval, last + interval], never later than the interval', () => {
    for (const key of keys) {
      const due = nextDue(spec(), T0, key)!;
      expect(due).toBeLessThanOrEqual(T0 + HOUR);
      expect(due).toBeGreaterThanOrEqual(T0 + 0.9 * HOUR);
    }
  });

  test('jitter spreads objects synced together and is stable per key', () => {
    const dues = keys.map((k) => nextDue(spec(), T0, k));
    expect(new Set(dues).size).toBeGreaterThan(40);
    expect(keys.map((k) => nextDue(spec(), T0, k))).toEqual(dues);
  });

  test('just before the due time: not due, check again exactly at the due time; at it: refresh', () => {
    for (const key of keys.slice(0, 10)) {
      const due = nextDue(spec(), T0, key)!;
      const before = decideRefresh(input({ key, nowMs: due - 1 }));
      expect(before).toEqual({ refresh: false, reason: RefreshReason.NotDue, nextCheckMs: due });
      expect(decideRefresh(input({ key, nowMs: due }))).toEqual({ refresh: true, reason: RefreshReason.Due });
      expect(decideRefresh(input({ key, nowMs: T0 + HOUR })).refresh).toBe(true);
    }
  });

  test('the interval comes from spec.refreshInterval', () => {
    const s = spec({ refreshInterval: '5m' });
    const due = nextDue(s, T0, KEY)!;
    expect(due).toBeLessThanOrEqual(T0 + 5 * MIN);
    expect(due).toBeGreaterThanOrEqual(T0 + 4.5 * MIN);
    expect(decideRefresh(input({ spec: s, nowMs: T0 + 5 * MIN })).refresh).toBe(true);
    expect(decideRefresh(input({ spec: s, nowMs: T0 + 4 * MIN })).refresh).toBe(false);
  });

  test('refreshInterval 0s: fetched once, never periodically, nothing to check later', () => {
    const s = spec({ refreshInterval: '0s' });
    expect(decideRefresh(input({ spec: s, lastRefreshMs: undefined })).refresh).toBe(true);
    const later = decideRefresh(input({ spec: s, nowMs: T0 + 10_000 * HOUR }));
    expect(later).toEqual({ refresh: false, reason: RefreshReason.FetchedOnce });
    expect(nextDue(s, T0, KEY)).toBeUndefined();
  });
});

describe('decideRefresh: OnChange and CreatedOnce', () => {
  test.each(['OnChange', 'CreatedOnce'] as const)('%s never refreshes periodically', (refreshPolicy) => {
    const s = spec({ refreshPolicy, refreshInterval: '1m' });
    expect(nextDue(s, T0, KEY)).toBeUndefined();
    const d = decideRefresh(input({ spec: s, nowMs: T0 + 10_000 * HOUR }));
    expect(d.refresh).toBe(false);
    expect(REFRESH_REASON_TEXT[d.reason]).toContain(`refreshPolicy ${refreshPolicy}`);
    expect(d.nextCheckMs).toBeUndefined();
  });

  test('CreatedOnce: once created, not even a spec or metadata change rewrites the Secret (as ESO)', () => {
    const s = spec({ refreshPolicy: 'CreatedOnce' });
    const changed = {
      lastSyncedVersion: VERSION,
      currentSyncedVersion: syncedResourceVersion({ generation: 2 }),
    };
    const d = decideRefresh(input({ spec: s, ...changed }));
    expect(d.refresh).toBe(false);
    expect(d.nextCheckMs).toBeUndefined();
    // …but a deleted Secret is re-created and a failed first write is retried.
    expect(decideRefresh(input({ spec: s, ...changed, target: 'missing' })).refresh).toBe(true);
    expect(decideRefresh(input({ spec: s, ...changed, lastSyncFailed: true })).refresh).toBe(true);
  });

  test.each(['OnChange', 'CreatedOnce'] as const)('%s still does the first sync', (refreshPolicy) => {
    expect(decideRefresh(input({ spec: spec({ refreshPolicy }), lastRefreshMs: undefined })).refresh).toBe(
      true,
    );
  });

  test('OnChange also ignores the refresh-schedule annotation', () => {
    const s = spec({ refreshPolicy: 'OnChange' }, { [ANNOTATION.refreshSchedule]: '*/5 * * * *' });
    expect(nextDue(s, T0, KEY)).toBeUndefined();
    expect(decideRefresh(input({ spec: s, nowMs: T0 + 24 * HOUR })).refresh).toBe(false);
  });
});

describe('decideRefresh: secretsync.io/refresh-schedule', () => {
  const daily3 = spec({}, { [ANNOTATION.refreshSchedule]: '0 3 * * *' });
  const fire = Date.parse('2026-03-03T03:00:00Z');

  test('due at the next cron fire after the last refresh, without jitter or interval', () => {
    expect(nextDue(daily3, T0, KEY)).toBe(fire);
    expect(nextDue(daily3, T0, 'other/key')).toBe(fire);
    expect(decideRefresh(input({ spec: daily3, nowMs: fire - 1000 }))).toEqual({
      refresh: false,
      reason: RefreshReason.NotDue,
      nextCheckMs: fire,
    });
    expect(decideRefresh(input({ spec: daily3, nowMs: fire })).refresh).toBe(true);
  });

  test('a last refresh exactly at a fire time waits for the following fire', () => {
    expect(nextDue(daily3, fire, KEY)).toBe(fire + 24 * HOUR);
  });

  test('the schedule replaces refreshInterval (a 1h interval is not used)', () => {
    expect(decideRefresh(input({ spec: daily3, nowMs: T0 + 2 * HOUR })).refresh).toBe(false);
  });
});

describe('decideRefresh: syncWindows', () => {
  const deny2to3 = spec({
    syncWindows: { kind: 'deny', windows: [{ schedule: '0 2 * * *', duration: '1h' }] },
  });
  const at = (iso: string) => Date.parse(iso);

  test('inside a deny window nothing is fetched, not even a due refresh; check again when it closes', () => {
    const d = decideRefresh(
      input({ spec: deny2to3, lastRefreshMs: at('2026-03-02T00:00:00Z'), nowMs: at('2026-03-02T02:30:00Z') }),
    );
    expect(d).toEqual({
      refresh: false,
      reason: RefreshReason.OutsideSyncWindow,
      nextCheckMs: at('2026-03-02T03:00:00Z'),
    });
  });

  test('a deny window holds back a failed-sync retry until it closes', () => {
    const now = at('2026-03-02T02:00:00Z');
    expect(decideRefresh(input({ spec: deny2to3, nowMs: now, lastSyncFailed: true }))).toEqual({
      refresh: false,
      reason: RefreshReason.OutsideSyncWindow,
      nextCheckMs: at('2026-03-02T03:00:00Z'),
    });
  });

  // BUG (refresh.ts decideRefresh, first statement): sync windows are applied under every
  // refreshPolicy. ESO's v1 API: "SyncWindows optionally restricts when periodic refreshes may
  // occur. Evaluated in UTC, only for Periodic refresh policy (or when refreshPolicy is unset)";
  // secretsync's CRD says "Limits when periodic refreshes run". An OnChange ExternalSecret whose
  // spec changed inside a deny window must still be synced.
  test('syncWindows do not hold back an OnChange ExternalSecret (ESO: only Periodic)', () => {
    const onChange = spec({
      refreshPolicy: 'OnChange',
      syncWindows: { kind: 'deny', windows: [{ schedule: '0 2 * * *', duration: '1h' }] },
    });
    const d = decideRefresh(
      input({
        spec: onChange,
        nowMs: at('2026-03-02T02:30:00Z'),
        currentSyncedVersion: syncedResourceVersion({ generation: 2 }),
      }),
    );
    expect(d).toEqual({ refresh: true, reason: RefreshReason.SpecChanged });
  });

  test('outside the deny window the normal rules apply', () => {
    const last = at('2026-03-02T00:00:00Z');
    const due = nextDue(deny2to3, last, KEY)!;
    const after = decideRefresh(
      input({ spec: deny2to3, lastRefreshMs: last, nowMs: at('2026-03-02T03:00:00Z') }),
    );
    expect(after.refresh).toBe(true);
    const notDue = decideRefresh(input({ spec: deny2to3, lastRefreshMs: last, nowMs: last + MIN }));
    expect(notDue).toEqual({ refresh: false, reason: RefreshReason.NotDue, nextCheckMs: due });
  });

  test('allow windows: blocked outside them until the next opening, refreshed inside when due', () => {
    const weekdays = spec({
      syncWindows: { kind: 'allow', windows: [{ schedule: '0 9 * * 1-5', duration: '8h' }] },
    });
    const saturday = at('2026-03-07T12:00:00Z');
    expect(
      decideRefresh(input({ spec: weekdays, nowMs: saturday, lastRefreshMs: saturday - 5 * HOUR })),
    ).toEqual({
      refresh: false,
      reason: RefreshReason.OutsideSyncWindow,
      nextCheckMs: at('2026-03-09T09:00:00Z'),
    });
    const mondayMorning = at('2026-03-09T09:30:00Z');
    expect(
      decideRefresh(input({ spec: weekdays, nowMs: mondayMorning, lastRefreshMs: saturday - 5 * HOUR })),
    ).toEqual({ refresh: true, reason: RefreshReason.Due });
    expect(decideRefresh(input({ spec: weekdays, nowMs: at('2026-03-09T17:00:00Z') })).refresh).toBe(false);
  });
});
