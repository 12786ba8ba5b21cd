// Which namespace a store's auth reference points into, by ESO's rules: a namespaced SecretStore
// may only use ServiceAccounts and Secrets of its own namespace; a ClusterSecretStore reference
// without a namespace resolves in the ExternalSecret's namespace ("referent" authentication), and
// one naming a namespace is used as written. Pure; the messages name the rule and the field.

import { createHash } from 'node:crypto';
import type { ProviderContext } from '../core/types';
import { IdentityConfigError } from './errors';

export interface ResolvedRef {
  name: string;
  namespace: string;
}

/** The store kind and namespace the rules depend on (undefined: unknown, e.g. offline validation). */
export type StoreScope = NonNullable<ProviderContext['store']>;

/**
 * Resolves `ref` (a serviceAccountRef or a SecretKeySelector) named at `field`, e.g.
 * `gcpsm.auth.workloadIdentity.serviceAccountRef`. Without a known store (offline validation) a
 * reference resolves as for a ClusterSecretStore: nothing is fetched on that path.
 */
export function resolveRef(
  ref: { name?: unknown; namespace?: unknown } | undefined,
  field: string,
  ctx: Pick<ProviderContext, 'namespace' | 'store'>,
): ResolvedRef {
  const name = ref?.name;
  if (typeof name !== 'string' || name === '') {
    throw new IdentityConfigError(`${field}.name is required`);
  }
  const asked = ref?.namespace;
  if (asked !== undefined && asked !== null && (typeof asked !== 'string' || asked === '')) {
    throw new IdentityConfigError(`${field}.namespace must be a namespace name`);
  }
  const store = ctx.store;
  if (store?.kind === 'SecretStore') {
    const own = store.namespace ?? ctx.namespace;
    if (typeof asked === 'string' && asked !== own) {
      throw new IdentityConfigError(
        `${field} names namespace "${asked}", but SecretStore ${own}/${store.name} may only use ` +
          `ServiceAccounts and Secrets in its own namespace "${own}": remove ${field}.namespace and ` +
          `create "${name}" in ${own}, or use a ClusterSecretStore`,
      );
    }
    return { name, namespace: own };
  }
  return { name, namespace: typeof asked === 'string' ? asked : ctx.namespace };
}

/** A key of a Kubernetes Secret named by a SecretKeySelector at `field`. */
export interface ResolvedKeyRef extends ResolvedRef {
  key: string;
}

export function resolveKeyRef(
  ref: { name?: unknown; namespace?: unknown; key?: unknown } | undefined,
  field: string,
  ctx: Pick<ProviderContext, 'namespace' | 'store'>,
): ResolvedKeyRef {
  const r = resolveRef(ref, field, ctx);
  const key = ref?.key;
  if (typeof key !== 'string' || key === '') throw new IdentityConfigError(`${field}.key is required`);
  return { ...r, key };
}

/**
 * Cache-key part naming the store (kind/namespace/name, uid, generation) and its provider spec: a
 * store deleted and created again under the same name (generation 1 again) shares nothing.
 */
export function storeKey(ctx: Pick<ProviderContext, 'store'>, spec: unknown): string {
  const s = ctx.store;
  const digest = createHash('sha256')
    .update(JSON.stringify(spec) ?? '')
    .digest('hex')
    .slice(0, 16);
  if (s) return `${s.kind}/${s.namespace ?? ''}/${s.name}@${s.uid ?? ''}@${s.generation ?? 0}#${digest}`;
  return `spec#${digest}`;
}
