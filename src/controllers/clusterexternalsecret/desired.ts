// The ExternalSecret a ClusterExternalSecret puts in a namespace, and whether an existing one it
// owns differs from it. As ESO: labels and annotations are externalSecretMetadata's exactly (plus
// the ClusterExternalSecret's force-sync annotation, so that forcing it forces them all), the spec
// is externalSecretSpec, and the ClusterExternalSecret is the controller owner (the garbage
// collector deletes the ExternalSecrets with it). The shard label the sharder writes (--sharding) is
// no drift: it is neither compared nor removed.
import { isDeepStrictEqual } from 'node:util';
import type { V1OwnerReference } from '@kubernetes/client-node';
import { ANNOTATION, API_GROUP, API_GROUP_VERSION, KIND } from '../../api/constants';
import type { ClusterExternalSecret, ExternalSecret } from '../../api/generated';
import { shardLabelsOf, withoutShardLabels } from '../../runtime/shard-labels';

/** The name of the ExternalSecrets: externalSecretName, else the ClusterExternalSecret's name. */
export function externalSecretName(ces: ClusterExternalSecret): string {
  return ces.spec.externalSecretName || (ces.metadata?.name ?? '');
}

export function ownerReference(ces: ClusterExternalSecret): V1OwnerReference {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND.ClusterExternalSecret,
    name: ces.metadata?.name ?? '',
    uid: ces.metadata?.uid ?? '',
    controller: true,
  };
}

/** The controller owner of an object, when it is a ClusterExternalSecret. */
export function cesOwner(
  meta: { ownerReferences?: V1OwnerReference[] } | undefined,
): V1OwnerReference | undefined {
  const ref = meta?.ownerReferences?.find((r) => r.controller);
  if (!ref || ref.kind !== KIND.ClusterExternalSecret) return undefined;
  return ref.apiVersion.split('/')[0] === API_GROUP ? ref : undefined;
}

export function isOwnedBy(
  meta: { ownerReferences?: V1OwnerReference[] } | undefined,
  ces: ClusterExternalSecret,
): boolean {
  const owner = cesOwner(meta);
  return owner !== undefined && owner.uid === ces.metadata?.uid;
}

function desiredAnnotations(ces: ClusterExternalSecret): Record<string, string> {
  const out = { ...ces.spec.externalSecretMetadata?.annotations };
  const force = ces.metadata?.annotations?.[ANNOTATION.forceSync];
  if (force !== undefined) out[ANNOTATION.forceSync] = force;
  else delete out[ANNOTATION.forceSync];
  return out;
}

export function desiredExternalSecret(ces: ClusterExternalSecret, namespace: string): ExternalSecret {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND.ExternalSecret,
    metadata: {
      name: externalSecretName(ces),
      namespace,
      labels: { ...ces.spec.externalSecretMetadata?.labels },
      annotations: desiredAnnotations(ces),
      ownerReferences: [ownerReference(ces)],
    },
    spec: ces.spec.externalSecretSpec,
  };
}

const orEmpty = (m: Record<string, string> | undefined) => m ?? {};

/** Whether `current` (owned) must be updated to show `desired`'s labels, annotations and spec. */
export function differs(current: ExternalSecret, desired: ExternalSecret): boolean {
  return (
    !isDeepStrictEqual(
      orEmpty(withoutShardLabels(current.metadata?.labels)),
      orEmpty(desired.metadata?.labels),
    ) ||
    !isDeepStrictEqual(orEmpty(current.metadata?.annotations), orEmpty(desired.metadata?.annotations)) ||
    !isDeepStrictEqual(JSON.parse(JSON.stringify(current.spec)), JSON.parse(JSON.stringify(desired.spec)))
  );
}

/**
 * `current` with desired's labels, annotations and spec, for a replace that keeps the rest of its
 * metadata (finalizers, other owners, resourceVersion for optimistic concurrency).
 */
export function updated(current: ExternalSecret, desired: ExternalSecret): ExternalSecret {
  const owners = (current.metadata?.ownerReferences ?? []).filter((r) => !r.controller);
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...desired.metadata?.labels, ...shardLabelsOf(current.metadata?.labels) },
      annotations: desired.metadata?.annotations,
      ownerReferences: [...owners, ...(desired.metadata?.ownerReferences ?? [])],
    },
    spec: desired.spec,
  };
}
