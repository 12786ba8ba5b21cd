// When to fetch from the provider: a pure decision over the ExternalSecret's policy, its last
// successful check (in memory, else status.refreshTime, which moves only on a change or a
// heartbeat) and the state of the target Secret. It never writes; it says "refresh now" or "look again at time T".
import { inSyncWindow, nextCronFire } from '../../runtime/cron';
import { nextRefresh, spreadAfter } from '../../runtime/scheduler';
import type { Normalized } from './spec';

export type TargetState = 'present' | 'missing' | 'drifted' | 'not-applicable';

export interface RefreshInput {
  nowMs: number;
  /** namespace/name: seeds the deterministic jitter. */
  key: string;
  spec: Normalized;
  /** `<generation>-<metadata hash>` of the object as it is now. */
  currentSyncedVersion: string;
  lastSyncedVersion?: string;
  /** status.refreshTime: the last refresh that changed something, or the last heartbeat. */
  lastRefreshMs?: number;
  /** The last successful check this process made (kept in memory only). */
  lastCheckMs?: number;
  /** When this process started: refreshes overdue then are spread over one interval. */
  startedAtMs?: number;
  lastSyncFailed: boolean;
  target: TargetState;
  /** A rotation event named one of the sources. */
  forced?: boolean;
}

/** Why a refresh happens now, or why it does not. Logic branches on these; text derives from them. */
export const RefreshReason = {
  OutsideSyncWindow: 'outside-sync-window',
  FirstSync: 'first-sync',
  CreatedOnceDone: 'created-once-done',
  SpecChanged: 'spec-changed',
  TargetMissing: 'target-missing',
  LastSyncFailed: 'last-sync-failed',
  RotationEvent: 'rotation-event',
  TargetDrifted: 'target-drifted',
  OnChangeOnly: 'on-change-only',
  FetchedOnce: 'fetched-once',
  Due: 'due',
  NotDue: 'not-due',
} as const;
export type RefreshReason = (typeof RefreshReason)[keyof typeof RefreshReason];

/** For logs and messages only. */
export const REFRESH_REASON_TEXT: Record<RefreshReason, string> = {
  'outside-sync-window': 'outside sync window',
  'first-sync': 'first sync',
  'created-once-done': 'refreshPolicy CreatedOnce: already created',
  'spec-changed': 'spec or metadata changed',
  'target-missing': 'target Secret missing',
  'last-sync-failed': 'last sync failed',
  'rotation-event': 'rotation event',
  'target-drifted': 'target Secret changed outside the controller',
  // CreatedOnce never gets this far (decided above), so the only policy left is OnChange.
  'on-change-only': 'refreshPolicy OnChange',
  'fetched-once': 'refreshInterval 0s: fetched once',
  due: 'refresh due',
  'not-due': 'not due',
};

export interface RefreshDecision {
  refresh: boolean;
  reason: RefreshReason;
  /** Absolute time to reconsider; undefined = only when something changes. */
  nextCheckMs?: number;
}

export function decideRefresh(i: RefreshInput): RefreshDecision {
  const R = RefreshReason;
  // Sync windows limit periodic refreshes only (ESO); OnChange/CreatedOnce are not periodic.
  if (i.spec.syncWindows && i.spec.refreshPolicy === 'Periodic') {
    const w = inSyncWindow(i.spec.syncWindows, i.nowMs);
    if (!w.allowed) return { refresh: false, reason: R.OutsideSyncWindow, nextCheckMs: w.nextChangeMs };
  }
  if (i.lastRefreshMs === undefined || !i.lastSyncedVersion) return { refresh: true, reason: R.FirstSync };
  // CreatedOnce: once the Secret exists, nothing (not even a spec change) rewrites it, as in ESO.
  if (i.spec.refreshPolicy === 'CreatedOnce' && i.target !== 'missing' && !i.lastSyncFailed) {
    return { refresh: false, reason: R.CreatedOnceDone };
  }
  if (i.lastSyncedVersion !== i.currentSyncedVersion) return { refresh: true, reason: R.SpecChanged };
  if (i.target === 'missing') return { refresh: true, reason: R.TargetMissing };
  if (i.lastSyncFailed) return { refresh: true, reason: R.LastSyncFailed };
  if (i.forced && i.spec.refreshPolicy === 'Periodic') return { refresh: true, reason: R.RotationEvent };
  if (i.target === 'drifted' && i.spec.refreshPolicy !== 'CreatedOnce') {
    return { refresh: true, reason: R.TargetDrifted };
  }
  if (i.spec.refreshPolicy !== 'Periodic') return { refresh: false, reason: R.OnChangeOnly };
  const due = periodicDue(i, i.lastRefreshMs);
  if (due === undefined) return { refresh: false, reason: R.FetchedOnce };
  if (i.nowMs >= due) return { refresh: true, reason: R.Due };
  return { refresh: false, reason: R.NotDue, nextCheckMs: due };
}

/**
 * The next periodic check. status.refreshTime is only written when something changes (or at the
 * heartbeat), so after a restart it is usually older than the interval: those overdue checks are
 * spread over the first interval by the key's jitter rather than all made at start.
 */
function periodicDue(i: RefreshInput, lastRefreshMs: number): number | undefined {
  const due = nextDue(i.spec, Math.max(lastRefreshMs, i.lastCheckMs ?? -Infinity), i.key);
  if (due === undefined || i.lastCheckMs !== undefined || i.startedAtMs === undefined) return due;
  if (i.spec.refreshSchedule || due >= i.startedAtMs) return due;
  return spreadAfter(i.startedAtMs, i.spec.refreshIntervalMs, i.key);
}

/** Next periodic refresh after a success at `lastMs`: cron schedule if set, else the jittered interval. */
export function nextDue(spec: Normalized, lastMs: number, key: string): number | undefined {
  if (spec.refreshPolicy !== 'Periodic') return undefined;
  if (spec.refreshSchedule) return nextCronFire(spec.refreshSchedule, lastMs);
  return nextRefresh({ lastSuccessMs: lastMs, intervalMs: spec.refreshIntervalMs, key });
}
