// Builders shared by the ExternalSecret controller unit tests.
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret, ExternalSecretSpec } from '../../../src/api/generated';

export const NS = 'team-a';
export const ES_NAME = 'db-creds';
export const ES_UID = '6f1c2a52-0000-4000-8000-000000000001';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('utf8');
export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A Map of Secret key → bytes from plain strings. */
export function values(o: Record<string, string>): Map<string, Uint8Array> {
  return new Map(Object.entries(o).map(([k, v]) => [k, enc(v)]));
}

/** A Map's values as strings, for readable assertions. */
export function text(m: Map<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries([...m].map(([k, v]) => [k, dec(v)!]));
}

export function externalSecret(
  spec: Partial<ExternalSecretSpec> = {},
  meta: V1ObjectMeta = {},
): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: ES_NAME, namespace: NS, uid: ES_UID, generation: 1, ...meta },
    spec: { secretStoreRef: { name: 'vault-ish' }, ...spec },
  };
}

/** A Secret as the apiserver would return it: the given object plus server-set metadata. */
export function asLive(s: V1Secret, extra: Partial<V1ObjectMeta> = {}): V1Secret {
  return {
    ...structuredClone(s),
    metadata: {
      ...structuredClone(s.metadata),
      uid: 'secret-uid-1',
      resourceVersion: '4711',
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      ...extra,
    },
  };
}
