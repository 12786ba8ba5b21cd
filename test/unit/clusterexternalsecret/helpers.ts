import type { ClusterExternalSecret, ExternalSecret } from '../../../src/api/generated';
import { desiredExternalSecret } from '../../../src/controllers/clusterexternalsecret/desired';

export const SPEC = {
  secretStoreRef: { name: 'store', kind: 'ClusterSecretStore' as const },
  refreshInterval: '1h0m0s',
  data: [{ secretKey: 'token', remoteRef: { key: 'shared-token' } }],
};

export function ces(
  over: Partial<ClusterExternalSecret['spec']> = {},
  meta: ClusterExternalSecret['metadata'] = {},
): ClusterExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: { name: 'pull', uid: 'uid-ces', generation: 1, ...meta },
    spec: { externalSecretSpec: SPEC, namespaceSelectors: [{ matchLabels: { team: 'a' } }], ...over },
  };
}

/** An ExternalSecret as the apiserver keeps it: owned by `owner` (as desired) with a resourceVersion. */
export function ownedBy(owner: ClusterExternalSecret, ns: string, name?: string): ExternalSecret {
  const es = desiredExternalSecret(owner, ns);
  return {
    ...es,
    metadata: {
      ...es.metadata,
      name: name ?? es.metadata?.name,
      uid: `uid-${ns}-${name ?? es.metadata?.name}`,
      resourceVersion: '7',
      finalizers: ['keep.me/please'],
    },
  };
}

export function foreign(ns: string, name: string): ExternalSecret {
  return { metadata: { name, namespace: ns, uid: `uid-foreign-${ns}` }, spec: SPEC };
}
