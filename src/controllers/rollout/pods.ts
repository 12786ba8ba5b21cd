// The one read of pods the rollout side makes: before a restart, the workload's pods (by its label
// selector, in its namespace), cut down at once to what hold.ts decides on. Not watched: it happens
// only when a restart is due, so most clusters never pay for it.
import type { KubeConfig, V1PodList } from '@kubernetes/client-node';
import { kubeRequest } from '../../kube/request';
import { podView, type PodView } from './hold';

export async function listWorkloadPods(
  kc: KubeConfig,
  namespace: string,
  selector: string,
): Promise<PodView[]> {
  const list = await kubeRequest<V1PodList>(kc, {
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    query: { labelSelector: selector },
    timeoutMs: 30_000,
  });
  return (list.items ?? []).filter((p) => !p.metadata?.deletionTimestamp).map(podView);
}
