// Whether the apiserver serves a resource, by discovery: Argo Rollouts is a CRD that many clusters
// do not have. Its informer starts only once the API is served (an informer on a missing API
// would log a failed list every few seconds and never report synced).
import type { KubeConfig } from '@kubernetes/client-node';
import { isApiError, kubeRequest } from '../../kube/request';
import type { Resource } from '../../kube/resources';

/** Checked again this often while absent (a CRD installed later is picked up). */
export const OPTIONAL_API_RECHECK_MS = 5 * 60_000;

/** True when `group/version` lists `plural`; false when the group/version is not served (404). */
export async function served(kc: KubeConfig, r: Resource): Promise<boolean> {
  const path = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  try {
    const list = await kubeRequest<{ resources?: { name?: string }[] }>(kc, { path, timeoutMs: 30_000 });
    return (list.resources ?? []).some((x) => x.name === r.plural);
  } catch (err) {
    if (isApiError(err, 404)) return false;
    throw err;
  }
}
