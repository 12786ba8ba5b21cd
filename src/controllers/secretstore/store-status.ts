// A store's Ready condition, as ESO shows it (`kubectl get ss,css` STATUS column): Valid when the
// provider configuration builds a client and one cheap call succeeds (its message lists optional
// permissions found missing), InvalidProviderConfig or ValidationFailed with the reason otherwise.
// It is written only when it changes.
import type { KubeConfig } from '@kubernetes/client-node';
import { STORE_REASON } from '../../api/constants';
import { isApiError, kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';
import type { SecretsClient } from '../../providers/core/types';
import type { StoreObject } from './store';
import { systemClock, type Clock } from '../../runtime/clock';

export interface StoreCondition {
  /** Ready (provider configuration), or RotationEvents (the store's event source, if any). */
  type: 'Ready' | 'RotationEvents';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** Whether some credential reference leaves its namespace to the ExternalSecret (ESO "referent"). */
export function usesReferentAuth(store: StoreObject): boolean {
  if (store.kind !== 'ClusterSecretStore') return false;
  const walk = (v: unknown, key: string): boolean => {
    if (!v || typeof v !== 'object') return false;
    const o = v as Record<string, unknown>;
    if (key.endsWith('Ref') && typeof o.name === 'string' && o.namespace === undefined) return true;
    return Object.entries(o).some(([k, x]) => walk(x, k));
  };
  return walk(store.spec.provider, 'provider');
}

/**
 * Ready condition of a store: the configuration must build a client (else InvalidProviderConfig),
 * and one cheap provider call must succeed (else ValidationFailed); optional permissions it found
 * missing are noted in the (one-line) message of Ready=True. A ClusterSecretStore whose
 * credentials resolve in each ExternalSecret's namespace can only be checked per ExternalSecret.
 */
export async function validateStore(
  store: StoreObject,
  client: (store: StoreObject) => Promise<SecretsClient>,
): Promise<StoreCondition> {
  let c: SecretsClient;
  try {
    c = await client(store);
  } catch (err) {
    return {
      type: 'Ready',
      status: 'False',
      reason: STORE_REASON.InvalidProviderConfig,
      message: (err as Error).message,
    };
  }
  const notes: string[] = [];
  if (usesReferentAuth(store)) {
    notes.push(
      "credentials resolve in each ExternalSecret's namespace, so they are checked per ExternalSecret",
    );
  } else {
    try {
      // Optional permissions found missing: the store works, and says what it cannot do.
      notes.push(...((await c.validate?.()) ?? []));
    } catch (err) {
      return {
        type: 'Ready',
        status: 'False',
        reason: STORE_REASON.ValidationFailed,
        message: oneLine(err instanceof Error ? err.message : String(err)),
      };
    }
  }
  // Accepted for ESO compatibility but not used; said here rather than ignored silently.
  if (store.spec.retrySettings)
    notes.push('retrySettings is not used (failures back off per key, 1 s to 5 min)');
  if (store.spec.refreshInterval)
    notes.push('refreshInterval is not used (stores are re-validated every 5 minutes)');
  return {
    type: 'Ready',
    status: 'True',
    reason: STORE_REASON.Valid,
    message: oneLine(['store validated', ...notes].join('; ')),
  };
}

/** The store readiness gauge's labels: the store's kind, namespace, name and provider, and the reason. */
export function storeReadyLabels(
  store: StoreObject,
  reason: string,
): Record<'store_kind' | 'store_namespace' | 'store' | 'provider' | 'reason', string> {
  return {
    store_kind: store.kind,
    store_namespace: store.namespace ?? '',
    store: store.name,
    provider: Object.keys(store.spec.provider ?? {})[0] ?? 'unknown',
    reason,
  };
}

/** Conditions are read in `kubectl get` columns and one-line alerts: no line breaks. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * The store's conditions with `cond` in place of its type's, or undefined when that condition
 * already says the same (nothing to write). lastTransitionTime is stamped on a change.
 */
export function withCondition(
  current: StoreCondition[] | undefined,
  cond: StoreCondition,
  now: Date,
): StoreCondition[] | undefined {
  const prev = current?.find((c) => c.type === cond.type);
  if (prev && prev.status === cond.status && prev.reason === cond.reason && prev.message === cond.message) {
    return undefined;
  }
  const stamped = { ...cond, lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return [...(current ?? []).filter((c) => c.type !== cond.type), stamped];
}

const CONFLICT_RETRIES = 5;

/**
 * Writes one condition of a store. The conditions list is replaced as a whole, so it is built from
 * the live object and sent with its resourceVersion: two writers (the Ready check and the store's
 * rotation-event source, or two replicas) working from stale copies would otherwise each drop the
 * other's condition. A conflict reads again and retries.
 */
export async function writeStoreStatus(
  kc: KubeConfig,
  store: StoreObject & { conditions?: StoreCondition[] },
  cond: StoreCondition,
  clock: Clock = systemClock,
): Promise<boolean> {
  // The informer's copy answers the common case (nothing changed) without a request.
  if (withCondition(store.conditions, cond, new Date(clock.now())) === undefined) return false;
  const path = resourcePath(store.kind, {
    namespace: store.namespace,
    name: store.name,
    subresource: 'status',
  });
  for (let attempt = 0; ; attempt++) {
    const live = await kubeRequest<LiveStore>(kc, { method: 'GET', path, timeoutMs: 30_000 });
    const conditions = withCondition(live.status?.conditions, cond, new Date(clock.now()));
    if (conditions === undefined) return false;
    try {
      await kubeRequest(kc, {
        method: 'PATCH',
        path,
        body: {
          metadata: { resourceVersion: live.metadata.resourceVersion },
          status: { conditions, capabilities: 'ReadOnly' },
        },
        contentType: 'application/merge-patch+json',
        timeoutMs: 30_000,
      });
      return true;
    } catch (err) {
      if (!isApiError(err, 409) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

interface LiveStore {
  metadata: { resourceVersion: string };
  status?: { conditions?: StoreCondition[] };
}

/** The shortest gap between two rechecks of one store prompted by its client answering. */
export const STORE_RECHECK_GAP_MS = 30_000;

/**
 * Whether a store's client answering a call is reason to validate the store again now rather than
 * at the next periodic round (5 minutes): its Ready condition says validation failed (an outage
 * that has since ended, credentials fixed since). At most once per STORE_RECHECK_GAP_MS, so a store
 * whose validation keeps failing while its reads succeed costs one call per gap, not one per read.
 */
export function shouldRecheckStore(
  conditions: StoreCondition[] | undefined,
  lastRecheckMs: number | undefined,
  nowMs: number,
): boolean {
  const ready = conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'False' || ready.reason !== STORE_REASON.ValidationFailed) return false;
  return lastRecheckMs === undefined || nowMs - lastRecheckMs >= STORE_RECHECK_GAP_MS;
}
