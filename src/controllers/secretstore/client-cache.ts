// The provider clients of the controller, and with them the credentials each one holds: one client
// per store generation and ExternalSecret namespace (a ClusterSecretStore's referent auth resolves
// in each ExternalSecret's namespace). Store validation and the reconciles share them, so a store
// is authenticated once per version. Each client is built through providers/registry.ts, counted
// (counting-client.ts), and closed only once its calls in flight settle (closing-client.ts): when
// its store changes or goes away, and on stop.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { inBackground } from '../../observability/background';
import type { AppLogger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { decorate } from '../../providers/core/decorate';
import type { SecretsClient } from '../../providers/core/types';
import { serviceAccountCalls } from '../../providers/credentials/kube';
import { createClient } from '../../providers/registry';
import { closeAfterCalls } from './closing-client';
import { countingClient } from './counting-client';
import { storeId, type StoreObject } from './store';

export interface ProviderClientsOptions<C extends SecretsClient> {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  /** Reads a Secret that a store's auth names; undefined when there is none. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** Told each time a store's client answers a call (validate and close aside). */
  answered(storeId: string): void;
  /** The layer the callers keep per client (the ExternalSecret controller's fetch plan). */
  wrap(client: SecretsClient, store: StoreObject, esNamespace: string, provider: string): C;
}

/** The cache key: a client serves one store generation for one ExternalSecret namespace. */
export function clientKey(store: StoreObject, esNamespace: string): string {
  return `${storeId(store)}@${store.generation}@${esNamespace}`;
}

/** The store and generation a client was built for (object names cannot contain '@'). */
export function keyStore(key: string): { storeId: string; generation: number } {
  const [id, generation] = key.split('@') as [string, string];
  return { storeId: id, generation: Number(generation) };
}

/**
 * The clients to close when a store changes (nothing kept) or in the periodic sweep (`keep`
 * accepts the current generation): a reconcile that read the store just before it changed may
 * still have built a client for the old version after the change dropped the others.
 */
export function keysToDrop(
  keys: Iterable<string>,
  store: string,
  keep: (generation: number) => boolean = () => false,
): string[] {
  return [...keys].filter((k) => {
    const { storeId: id, generation } = keyStore(k);
    return id === store && !keep(generation);
  });
}

export class ProviderClients<C extends SecretsClient = SecretsClient> {
  private readonly clients = new Map<string, Promise<C>>();

  constructor(private readonly opts: ProviderClientsOptions<C>) {}

  /** The client for this store version and ExternalSecret namespace, built on first use. */
  client(store: StoreObject, esNamespace: string): Promise<C> {
    const key = clientKey(store, esNamespace);
    let c = this.clients.get(key);
    if (!c) {
      c = this.build(store, esNamespace);
      // A client that could not be built is not kept: the next use tries again.
      c.catch(() => this.clients.delete(key));
      this.clients.set(key, c);
    }
    return c;
  }

  /** The clients built or being built for a store (any generation, any namespace). */
  built(store: string): Promise<C>[] {
    return [...this.clients].filter(([k]) => keyStore(k).storeId === store).map(([, c]) => c);
  }

  /** Closes a store's clients but those of a generation `keep` accepts. */
  drop(store: string, keep?: (generation: number) => boolean): void {
    for (const k of keysToDrop(this.clients.keys(), store, keep)) {
      const c = this.clients.get(k)!;
      this.clients.delete(k);
      this.close(k, c);
    }
  }

  /** Closes the clients of store versions that are no longer current (`current` is undefined for a store gone). */
  dropStale(current: (storeId: string) => number | undefined): void {
    const stores = new Set([...this.clients.keys()].map((k) => keyStore(k).storeId));
    for (const id of stores) {
      const generation = current(id);
      this.drop(id, (g) => g === generation);
    }
  }

  /** Closes every client (on stop, once no reconcile will ask again). */
  closeAll(): void {
    for (const [k, c] of this.clients) this.close(k, c);
  }

  private build(store: StoreObject, esNamespace: string): Promise<C> {
    const id = storeId(store);
    const provider = Object.keys(store.spec.provider ?? {})[0] ?? 'unknown';
    return createClient(store.spec.provider as unknown as Record<string, unknown>, {
      namespace: esNamespace,
      onApiCall: (provider, call, failed) =>
        this.opts.metrics.esoProviderApiCalls.inc({ provider, call, status: failed ? 'error' : 'success' }),
      readSecretKey: async (ref) => {
        const ns = store.kind === 'SecretStore' ? store.namespace! : (ref.namespace ?? esNamespace);
        const s = await this.opts.readSecret(ns, ref.name);
        const v = s?.data?.[ref.key];
        if (v === undefined) throw new Error(`key ${ref.key} of Secret ${ns}/${ref.name} not found`);
        return Buffer.from(v, 'base64');
      },
      // Workload identity (src/providers/credentials, src/providers/<cloud>/identity.ts): which
      // namespaces the store may use, and the apiserver calls behind it. Namespaces arrive
      // resolved by src/providers/credentials/refs.ts's rules.
      store: {
        kind: store.kind,
        name: store.name,
        ...(store.namespace !== undefined && { namespace: store.namespace }),
        generation: store.generation,
      },
      ...serviceAccountCalls(this.opts.kc, esNamespace),
    }).then((cl) =>
      this.opts.wrap(
        closeAfterCalls(
          decorate(countingClient(cl, provider, this.opts.metrics), async (op, call) => {
            const answer = await call();
            if (op !== 'validate' && op !== 'close') this.opts.answered(id);
            return answer;
          }),
          id,
        ),
        store,
        esNamespace,
        provider,
      ),
    );
  }

  /** Closes a client nobody will ask again; one that could not be built has nothing to close. */
  private close(key: string, c: Promise<C>): void {
    c.then(
      (cl) => inBackground(this.opts, 'client-close', cl.close(), { client: keyStore(key).storeId }),
      () => undefined,
    );
  }
}
