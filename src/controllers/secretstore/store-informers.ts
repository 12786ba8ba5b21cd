// The SecretStores (one namespace, or all) and ClusterSecretStores the controller watches, each
// projected to what reconcile, store validation and the rotation-event sources read. One cache
// serves the three: the ExternalSecret controller resolves stores and re-enqueues their readers,
// the store controller validates them and runs their event sources.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { SecretStoreSpec } from '../../api/generated';
import { ANNOTATION } from '../../api/constants';
import type { AppLogger } from '../../observability/logger';
import { Informer, type InformerEvent, type InformerHandler } from '../../runtime/informer';
import type { StoreObject } from './store';
import type { StoreCondition } from './store-status';
import { resourcePath } from '../../kube/resources';
import type { Clock } from '../../runtime/clock';

/** A store as cached: its conditions (written only on change) and its event-source annotations. */
export type CachedStore = StoreObject & {
  uid?: string;
  conditions?: StoreCondition[];
  annotations: Record<string, string>;
};

function projectStore(kind: StoreObject['kind']) {
  return (obj: KubernetesObject): CachedStore => {
    const o = obj as unknown as { spec: SecretStoreSpec; status?: { conditions?: StoreCondition[] } };
    return {
      kind,
      name: obj.metadata?.name ?? '',
      namespace: obj.metadata?.namespace,
      uid: obj.metadata?.uid,
      generation: obj.metadata?.generation ?? 0,
      spec: o.spec,
      conditions: o.status?.conditions,
      // Only the event-source annotations are kept.
      annotations: Object.fromEntries(
        Object.entries(obj.metadata?.annotations ?? {}).filter(
          ([k]) => k === ANNOTATION.pubsubSubscription || k === ANNOTATION.sqsQueueUrl,
        ),
      ),
    };
  };
}

export class StoreInformers {
  private readonly stores: Informer<CachedStore>;
  private readonly clusterStores: Informer<CachedStore>;

  constructor(kc: KubeConfig, opts: { logger: AppLogger; namespace?: string; clock?: Clock }) {
    this.stores = new Informer<CachedStore>(kc, {
      path: resourcePath('SecretStore', { namespace: opts.namespace || undefined }),
      project: projectStore('SecretStore'),
      logger: opts.logger,
      clock: opts.clock,
    });
    this.clusterStores = new Informer<CachedStore>(kc, {
      path: resourcePath('ClusterSecretStore'),
      project: projectStore('ClusterSecretStore'),
      logger: opts.logger,
      clock: opts.clock,
    });
  }

  get(kind: StoreObject['kind'], namespace: string, name: string): CachedStore | undefined {
    return kind === 'SecretStore' ? this.stores.get(`${namespace}/${name}`) : this.clusterStores.get(name);
  }

  /** The store with this `kind/namespace/name` id (see storeId). */
  byId(id: string): CachedStore | undefined {
    const [kind, ns, name] = id.split('/') as [StoreObject['kind'], string, string];
    return this.get(kind, ns, name);
  }

  list(): CachedStore[] {
    return [...this.stores.list(), ...this.clusterStores.list()];
  }

  /** Subscribes to an event of either kind of store. */
  on(event: InformerEvent, handler: InformerHandler<CachedStore>): void {
    this.stores.on(event, handler);
    this.clusterStores.on(event, handler);
  }

  /** Resolves when both have listed once. */
  async start(): Promise<void> {
    await Promise.all([this.stores.start(), this.clusterStores.start()]);
  }

  synced(): boolean {
    return this.stores.hasSynced() && this.clusterStores.hasSynced();
  }

  async stop(): Promise<void> {
    await Promise.all([this.stores.stop(), this.clusterStores.stop()]);
  }
}
