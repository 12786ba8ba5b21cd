// What the controllers know of a SecretStore or ClusterSecretStore: the fields reconcile, store
// validation and the client cache read (the sync side keeps no other store data).
import type { SecretStoreSpec } from '../../api/generated';

export interface StoreObject {
  kind: 'SecretStore' | 'ClusterSecretStore';
  name: string;
  namespace?: string;
  generation: number;
  spec: SecretStoreSpec;
}

/** `kind/namespace/name` (namespace empty for a ClusterSecretStore): how stores are named in maps and logs. */
export const storeId = (s: { kind: string; namespace?: string; name: string }): string =>
  `${s.kind}/${s.namespace ?? ''}/${s.name}`;
