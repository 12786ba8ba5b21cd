// Helpers for ExternalSecret tests: typed create/read of the external-secrets.io objects.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../src/api/generated';
import { eventually } from './eventually';
import { clients } from './kube';

const GROUP = 'external-secrets.io';

export async function createObject<T extends KubernetesObject>(obj: T): Promise<T> {
  return (await clients().objects.create(obj)) as T;
}

export async function readEs(ns: string, name: string): Promise<ExternalSecret> {
  return (await clients().objects.read({
    apiVersion: `${GROUP}/v1`,
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
  })) as unknown as ExternalSecret;
}

export function ready(es: ExternalSecret): { status?: string; reason?: string; message?: string } {
  return es.status?.conditions?.find((c) => c.type === 'Ready') ?? {};
}

export async function readSecret(ns: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await clients().core.readNamespacedSecret({ name, namespace: ns });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export function decoded(s: V1Secret | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

export async function patchMerge(
  obj: KubernetesObject & { metadata: { name: string } },
  patch: object,
): Promise<void> {
  await clients().objects.patch(
    { ...obj, ...patch } as KubernetesObject,
    undefined,
    undefined,
    undefined,
    undefined,
    'application/merge-patch+json' as never,
  );
}

export async function eventsFor(
  ns: string,
  name: string,
): Promise<{ reason?: string; message?: string; type?: string }[]> {
  const list = await clients().core.listNamespacedEvent({
    namespace: ns,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

export interface StoreCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** A condition (Ready, RotationEvents) of a namespaced SecretStore. */
export async function storeCondition(
  ns: string,
  name: string,
  type = 'Ready',
): Promise<StoreCondition | undefined> {
  const s = (await clients().objects.read({
    apiVersion: `${GROUP}/v1`,
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
  })) as unknown as { status?: { conditions?: StoreCondition[] } };
  return s.status?.conditions?.find((c) => c.type === type);
}

/** A condition of a ClusterSecretStore. */
export async function clusterStoreCondition(
  name: string,
  type = 'Ready',
): Promise<StoreCondition | undefined> {
  const s = (await clients().objects.read({
    apiVersion: `${GROUP}/v1`,
    kind: 'ClusterSecretStore',
    metadata: { name },
  })) as unknown as { status?: { conditions?: StoreCondition[] } };
  return s.status?.conditions?.find((c) => c.type === type);
}

/** ExternalSecrets named `names`, each reading one remote key (`keyOf(name)`) into data key `v`. */
export function readersYaml(
  ns: string,
  names: string[],
  keyOf: (name: string) => string,
  opts: { refreshInterval: string; store?: string; secretKey?: string },
): string {
  return names
    .map(
      (n) => `---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${n}, namespace: ${ns}}
spec:
  refreshInterval: ${opts.refreshInterval}
  secretStoreRef: {name: ${opts.store ?? 'gcp'}}
  data: [{secretKey: ${opts.secretKey ?? 'v'}, remoteRef: {key: ${keyOf(n)}}}]
`,
    )
    .join('');
}

/** Waits until every named ExternalSecret in `ns` is Ready=True. */
export async function allSynced(ns: string, names: string[], timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      for (const n of names) expect(ready(await readEs(ns, n)).status).toBe('True');
    },
    { timeoutMs, what: 'all synced' },
  );
}
