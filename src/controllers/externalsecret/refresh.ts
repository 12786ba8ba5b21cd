// When to fetch from the provider: a pure decision over the ExternalSecret's policy, its last
// successful sync (status.refreshTime, so a controller restart changes nothing) and the state of
// the target Secret. It never writes; it says "refresh now" or "look again at time T".
import { inSyncWindow, nextCronFire } from '../../runtime/cron';
import { nextRefresh } from '../../runtime/scheduler';
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
  lastRefreshMs?: number;
  lastSyncFailed: boolean;
  target: TargetState;
  /** A rotation event named one of the sources. */
  forced?: boolean;
}

export interface RefreshDecision {
  refresh: boolean;
  why: string;
  /** Absolute time to reconsider; undefined = only when something changes. */
  nextCheckMs?: number;
}

export function decideRefresh(i: RefreshInput): RefreshDecision {
  // Sync windows limit periodic refreshes only (ESO); OnChange/CreatedOnce are not periodic.
  if (i.spec.syncWindows && i.spec.refreshPolicy === 'Periodic') {
    const w = inSyncWindow(i.spec.syncWindows, i.nowMs);
    if (!w.allowed) return { refresh: false, why: 'outside sync window', nextCheckMs: w.nextChangeMs };
  }
  if (i.lastRefreshMs === undefined || !i.lastSyncedVersion) return { refresh: true, why: 'first sync' };
  // CreatedOnce: once the Secret exists, nothing (not even a spec change) rewrites it, as in ESO.
  if (i.spec.refreshPolicy === 'CreatedOnce' && i.target !== 'missing' && !i.lastSyncFailed) {
    return { refresh: false, why: 'refreshPolicy CreatedOnce: already created' };
  }
  if (i.lastSyncedVersion !== i.currentSyncedVersion)
    return { refresh: true, why: 'spec or metadata changed' };
  if (i.target === 'missing') return { refresh: true, why: 'target Secret missing' };
  if (i.lastSyncFailed) return { refresh: true, why: 'last sync failed' };
  if (i.forced && i.spec.refreshPolicy === 'Periodic') return { refresh: true, why: 'rotation event' };
  if (i.target === 'drifted' && i.spec.refreshPolicy !== 'CreatedOnce') {
    return { refresh: true, why: 'target Secret changed outside the controller' };
  }
  if (i.spec.refreshPolicy !== 'Periodic')
    return { refresh: false, why: `refreshPolicy ${i.spec.refreshPolicy}` };
  const due = nextDue(i.spec, i.lastRefreshMs, i.key);
  if (due === undefined) return { refresh: false, why: 'refreshInterval 0s: fetched once' };
  if (i.nowMs >= due) return { refresh: true, why: 'refresh due' };
  return { refresh: false, why: 'not due', nextCheckMs: due };
}

/** Next periodic refresh after a success at `lastMs`: cron schedule if set, else the jittered interval. */
export function nextDue(spec: Normalized, lastMs: number, key: string): number | undefined {
  if (spec.refreshPolicy !== 'Periodic') return undefined;
  if (spec.refreshSchedule) return nextCronFire(spec.refreshSchedule, lastMs);
  return nextRefresh({ lastSuccessMs: lastMs, intervalMs: spec.refreshIntervalMs, key });
}
