// rollout-strategy restart for pod-owning kinds: the pod template stays as it is (Argo CD
// self-heal, or a template owned by another tool); instead every pod of the workload created
// before the restart request is evicted, and the workload's controller replaces it. Evictions go
// through the Eviction API, so PodDisruptionBudgets are honoured: a refused eviction (429) is
// tried again later. Which pods: the workload's label selector, created before the request.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { isApiError, kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';

/** Names of the pods to evict: created before `requestedAt`, not already on their way out. */
export function podsToEvict(pods: readonly V1Pod[], requestedAt: string): string[] {
  // creationTimestamp has whole seconds: compare at that precision (a pod of the same second
  // counts as new, so a replacement is never evicted again).
  const cutoff = Math.floor(Date.parse(requestedAt) / 1000) * 1000;
  if (!Number.isFinite(cutoff)) return [];
  return pods
    .filter((p) => p.metadata?.deletionTimestamp === undefined)
    .filter((p) => {
      const created = Date.parse(String(p.metadata?.creationTimestamp ?? ''));
      return Number.isFinite(created) && created < cutoff;
    })
    .map((p) => p.metadata?.name ?? '')
    .filter((n) => n !== '');
}

export interface EvictionResult {
  evicted: string[];
  /** Refused by a PodDisruptionBudget (429): try again later. */
  refused: string[];
}

/** Evicts the selected pods created before `requestedAt`. */
export async function evictOlderPods(
  kc: KubeConfig,
  namespace: string,
  selector: string,
  requestedAt: string,
): Promise<EvictionResult> {
  const list = await kubeRequest<{ items?: V1Pod[] }>(kc, {
    path: resourcePath('Pod', { namespace }),
    query: { labelSelector: selector },
    timeoutMs: 30_000,
  });
  const result: EvictionResult = { evicted: [], refused: [] };
  for (const name of podsToEvict(list.items ?? [], requestedAt)) {
    try {
      await kubeRequest(kc, {
        method: 'POST',
        path: resourcePath('Pod', { namespace, name, subresource: 'eviction' }),
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
        timeoutMs: 30_000,
      });
      result.evicted.push(name);
    } catch (err) {
      if (isApiError(err, 429)) result.refused.push(name);
      else if (!isApiError(err, 404)) throw err; // gone already: nothing to do
    }
  }
  return result;
}
