// How a reconcile ends on the ExternalSecret: its status (patched only when it differs), a Warning
// Event when a failure is new, and the Decision for the work queue.
import type { ExternalSecret } from '../../api/generated';
import { ES_REASON } from '../../api/constants';
import { done, retry, terminal, type Decision } from '../../runtime/decision';
import { nextDue } from './refresh';
import { requeueForRefresh, type Failure } from './retry-policy';
import {
  isoSecondsOf as isoSeconds,
  nextStatus,
  readyCondition,
  refreshTimeAfterCheck,
  statusEqual,
  type ReadyState,
} from './status';
import type { Normalized } from './spec';
import type { ReconcileDeps } from './deps';

/** One reconcile of one ExternalSecret: what every step reads, fixed at its start. */
export interface SyncContext {
  deps: ReconcileDeps;
  es: ExternalSecret;
  ns: string;
  name: string;
  /** namespace/name: the key of the controller's maps and of the refresh jitter. */
  key: string;
  now: number;
}

export { isoSecondsOf as isoSeconds } from './status';

/** When to reconcile again after success at `now`: the next periodic refresh, if any. */
export function untilNextRefresh(ctx: SyncContext, spec: Normalized): Decision {
  return done(requeueForRefresh(ctx.now, nextDue(spec, ctx.now, ctx.key)));
}

function successMessage(spec: Normalized): string {
  return spec.creationPolicy === 'None'
    ? 'values fetched; creationPolicy None writes no Secret'
    : 'Secret was synced';
}

/**
 * Ready=True, then wait for the next periodic refresh (if any). The check is remembered in memory;
 * status.refreshTime moves only as refreshTimeAfterCheck says (on a change, or the heartbeat).
 */
export async function reportSynced(
  ctx: SyncContext,
  spec: Normalized,
  syncedVersion: string,
  secretWritten: boolean,
): Promise<Decision> {
  const { deps, es, key, now } = ctx;
  const ready: ReadyState = { status: 'True', reason: ES_REASON.SecretSynced, message: successMessage(spec) };
  const synced = {
    syncedResourceVersion: syncedVersion,
    bindingName: spec.creationPolicy === 'None' ? undefined : spec.targetName,
  };
  const refreshTime = refreshTimeAfterCheck({
    current: es.status,
    ready,
    synced,
    nowMs: now,
    secretWritten,
    heartbeatMs: deps.refreshTimeHeartbeatMs ?? 0,
  });
  // The check ends now, not at `now` (when it started): version tags it fetched itself are then
  // older than it, so its next refresh asks the provider again instead of reusing them (only a
  // sibling's later check may answer for it).
  deps.memory.rememberCheck(key, deps.clock.now());
  deps.onChecked?.(es, now);
  await setStatus(ctx, ready, { ...synced, refreshTime });
  return untilNextRefresh(ctx, spec);
}

/**
 * Ready=False (a Warning Event when the condition changed), then what `f.after` says.
 * `spec` is needed for wait-for-refresh (when the next refresh falls); without it, wait for a change.
 */
export async function reportFailure(ctx: SyncContext, f: Failure, spec?: Normalized): Promise<Decision> {
  ctx.deps.onSync?.('error', ctx.es);
  const changed = await setStatus(ctx, { status: 'False', reason: f.reason, message: f.message });
  if (changed) ctx.deps.event(ctx.es, 'Warning', f.reason, f.message);
  switch (f.after) {
    case 'terminal':
      return terminal(`${f.reason}: ${f.message}`);
    case 'wait-for-change':
      return done();
    case 'wait-for-refresh':
      return spec ? untilNextRefresh(ctx, spec) : done();
    case 'backoff':
      return retry(f.cause ?? new Error(`${f.reason}: ${f.message}`));
  }
}

/** Patches status only when it differs; returns whether the Ready condition changed. */
export async function setStatus(
  ctx: SyncContext,
  ready: ReadyState,
  synced?: { refreshTime: string; syncedResourceVersion: string; bindingName?: string },
): Promise<boolean> {
  const { deps, es } = ctx;
  deps.onReady?.(es, ready);
  const nowIso = isoSeconds(deps.clock.now());
  const next = nextStatus(es.status, ready, nowIso, synced);
  if (statusEqual(es.status, next)) return false;
  const prev = readyCondition(es.status);
  await deps.patchStatus(es, next);
  return (
    !prev || prev.status !== ready.status || prev.reason !== ready.reason || prev.message !== ready.message
  );
}
