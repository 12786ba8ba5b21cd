// Which Secrets and ConfigMaps the rollout side keeps per-key digests of. It watches every one (a
// workload may start reading any of them at any time), but a namespace can hold tens of thousands
// of Secrets no opted-in workload reads; hashing and keeping digests of each costs memory (~20 MB
// per 50,000) for nothing. So an object is projected in full only while some opted-in workload
// reads it or lists it by name; any other is cached as UNTRACKED (one shared marker: the informer
// keeps only its key and resourceVersion). When a workload starts reading an untracked object,
// reconcile reads it once (fillTracked); from then on, watch events keep it current.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Informer } from '../../runtime/informer';
import { kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';
import type { ObjectKind } from './annotations';
import type { ObjectState } from './decide';

/** An object no opted-in workload reads: nothing of it is kept. */
export interface Untracked {
  readonly untracked: true;
}
export const UNTRACKED: Untracked = Object.freeze({ untracked: true });

export type CachedObject = ObjectState | Untracked;

export function isTracked(o: CachedObject | undefined): o is ObjectState {
  return o !== undefined && o !== UNTRACKED;
}

/** Names of the cached objects of one namespace (cache keys are namespace/name). */
export function* namesIn(inf: Informer<CachedObject>, namespace: string): Iterable<string> {
  const prefix = `${namespace}/`;
  for (const key of inf.keysView()) if (key.startsWith(prefix)) yield key.slice(prefix.length);
}

/**
 * Makes `names` of `kind` in `namespace` tracked: each one cached as UNTRACKED is read from the
 * apiserver and its projection stored, unless a watch event got there first. A name gone from
 * the apiserver stays as it is (its DELETED event is on its way). Read with a list narrowed to
 * the name, not a get: the controller's RBAC grants list and watch on ConfigMaps, not get.
 */
export async function fillTracked(
  kc: KubeConfig,
  inf: Informer<CachedObject>,
  kind: ObjectKind,
  namespace: string,
  names: Iterable<string>,
  project: (obj: KubernetesObject) => ObjectState,
): Promise<void> {
  for (const name of names) {
    const key = `${namespace}/${name}`;
    if (inf.get(key) !== UNTRACKED) continue;
    const list = await kubeRequest<{ items?: KubernetesObject[] }>(kc, {
      path: resourcePath(kind, { namespace }),
      query: { fieldSelector: `metadata.name=${name}` },
      timeoutMs: 30_000,
    });
    const obj = list.items?.[0];
    if (!obj) continue;
    const rv = obj.metadata?.resourceVersion ?? '';
    inf.fill(key, project(obj), rv, (cached) => cached === UNTRACKED);
  }
}
