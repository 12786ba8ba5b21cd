// The status an ExternalSecret should show, built purely, and compared with the current one so
// that nothing is written when nothing changed (lastTransitionTime moves only on a transition).
import { createHash } from 'node:crypto';
import type { ExternalSecretStatus, ExternalSecretStatusCondition } from '../../api/generated';
import { withoutShardLabels } from '../../runtime/shard-labels';

export interface ReadyState {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/**
 * ESO's `<generation>-<hash>` over labels and annotations, so that a metadata change (force-sync)
 * forces a refresh. secretsync also hashes the generations of the stores used (`stores`), so that
 * a store change refreshes too, even one made while the controller was down. The shard label
 * (--sharding) is left out: moving an object between replicas is no change to it.
 */
export function syncedResourceVersion(
  meta: {
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  },
  stores: string[] = [],
): string {
  const h = createHash('sha256');
  const sorted = (o: Record<string, string> | undefined) =>
    Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update(
    JSON.stringify([sorted(withoutShardLabels(meta.labels)), sorted(meta.annotations), [...stores].sort()]),
  );
  return `${meta.generation ?? 0}-${h.digest('hex').slice(0, 32)}`;
}

/** The readiness gauge's labels for an ExternalSecret: names and the reason, never values. */
export function readyLabels(
  es: {
    metadata?: { namespace?: string; name?: string };
    spec?: { secretStoreRef?: { name?: string; kind?: string } };
  },
  reason: string,
): Record<'externalsecret_namespace' | 'externalsecret' | 'store_kind' | 'store' | 'reason', string> {
  const ref = es.spec?.secretStoreRef;
  return {
    externalsecret_namespace: es.metadata?.namespace ?? '',
    externalsecret: es.metadata?.name ?? '',
    store_kind: ref?.name ? (ref.kind ?? 'SecretStore') : '',
    store: ref?.name ?? '',
    reason,
  };
}

export function readyCondition(
  status: ExternalSecretStatus | undefined,
): ExternalSecretStatusCondition | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready');
}

export function nextStatus(
  current: ExternalSecretStatus | undefined,
  ready: ReadyState,
  nowIso: string,
  synced?: { refreshTime: string; syncedResourceVersion: string; bindingName?: string },
): ExternalSecretStatus {
  const prev = readyCondition(current);
  const transitioned = !prev || prev.status !== ready.status || prev.reason !== ready.reason;
  const cond: ExternalSecretStatusCondition = {
    type: 'Ready',
    status: ready.status,
    reason: ready.reason,
    message: ready.message,
    lastTransitionTime: transitioned ? nowIso : (prev.lastTransitionTime ?? nowIso),
  };
  const others = (current?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return {
    ...current,
    conditions: [...others, cond],
    ...(synced
      ? {
          refreshTime: synced.refreshTime,
          syncedResourceVersion: synced.syncedResourceVersion,
          binding: synced.bindingName ? { name: synced.bindingName } : current?.binding,
        }
      : {}),
  };
}

/**
 * status.refreshTime after a successful check at `nowMs`. It moves when the status changes anyway
 * or the Secret was written; otherwise only once the heartbeat has passed since it last moved, so
 * a refresh that changes nothing writes nothing (0 apiserver writes per idle cycle). A heartbeat
 * of 0 moves it on every refresh, as ESO does.
 */
export function refreshTimeAfterCheck(i: {
  current: ExternalSecretStatus | undefined;
  ready: ReadyState;
  synced: { syncedResourceVersion: string; bindingName?: string };
  nowMs: number;
  secretWritten: boolean;
  heartbeatMs: number;
}): string {
  const now = isoSecondsOf(i.nowMs);
  const kept = i.current?.refreshTime;
  if (!kept || i.secretWritten || i.heartbeatMs <= 0) return now;
  const keptMs = Date.parse(kept);
  if (!(i.nowMs - keptMs < i.heartbeatMs)) return now;
  const unchanged = nextStatus(i.current, i.ready, now, { ...i.synced, refreshTime: kept });
  return statusEqual(i.current, unchanged) ? kept : now;
}

/** metav1.Time has one-second resolution. */
export function isoSecondsOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function statusEqual(a: ExternalSecretStatus | undefined, b: ExternalSecretStatus): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}
