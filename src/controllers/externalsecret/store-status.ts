// A store's Ready condition, as ESO shows it (`kubectl get ss,css` STATUS column): Valid when the
// provider configuration builds a client, InvalidProviderConfig with the reason otherwise. It is
// written only when it changes.
import type { KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, STORE_REASON } from '../../api/constants';
import { kubeRequest } from '../../kube/request';
import { createClient } from '../../providers/registry';
import type { StoreObject } from './reconcile';

export interface StoreCondition {
  /** Ready (provider configuration), or RotationEvents (the store's event source, if any). */
  type: 'Ready' | 'RotationEvents';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** Validates the provider configuration without calling the provider. */
export async function validateStore(store: StoreObject): Promise<StoreCondition> {
  try {
    const client = await createClient(store.spec.provider as unknown as Record<string, unknown>, {
      namespace: store.namespace ?? 'default',
      store: { kind: store.kind, name: store.name, namespace: store.namespace, generation: store.generation },
      readSecretKey: async () => new Uint8Array(),
    });
    await client.close();
    const notes: string[] = [];
    // Accepted for ESO compatibility but not used; said here rather than ignored silently.
    if (store.spec.retrySettings)
      notes.push('retrySettings is not used (failures back off per key, 1 s to 5 min)');
    if (store.spec.refreshInterval)
      notes.push('refreshInterval is not used (the store is re-validated on every change)');
    const message = ['store validated', ...notes].join('; ');
    return { type: 'Ready', status: 'True', reason: STORE_REASON.Valid, message };
  } catch (err) {
    return {
      type: 'Ready',
      status: 'False',
      reason: STORE_REASON.InvalidProviderConfig,
      message: (err as Error).message,
    };
  }
}

/** Sets one condition of a store's status (keeping the others); writes only on change. */
export async function writeStoreStatus(
  kc: KubeConfig,
  store: StoreObject & { conditions?: StoreCondition[] },
  cond: StoreCondition,
): Promise<boolean> {
  const prev = store.conditions?.find((c) => c.type === cond.type);
  if (prev && prev.status === cond.status && prev.reason === cond.reason && prev.message === cond.message) {
    return false;
  }
  const stamped = { ...cond, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const conditions = [...(store.conditions ?? []).filter((c) => c.type !== cond.type), stamped];
  store.conditions = conditions;
  const plural = store.kind === 'SecretStore' ? 'secretstores' : 'clustersecretstores';
  const ns = store.kind === 'SecretStore' ? `/namespaces/${store.namespace}` : '';
  await kubeRequest(kc, {
    method: 'PATCH',
    path: `/apis/${API_GROUP}/${API_VERSION}${ns}/${plural}/${store.name}/status`,
    body: { status: { conditions, capabilities: 'ReadOnly' } },
    contentType: 'application/merge-patch+json',
    timeoutMs: 30_000,
  });
  return true;
}
