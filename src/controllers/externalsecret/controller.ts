// Wires the sync side together: lean informers for ExternalSecrets, stores and the managed
// Secrets (by label, digests only), indexes from stores and target Secrets back to
// ExternalSecrets, one work queue with N workers, and provider clients cached per store generation.
import type { KubeConfig, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret, SecretStoreSpec } from '../../api/generated';
import { ANNOTATION, API_GROUP, API_VERSION, LABEL } from '../../api/constants';
import { Informer } from '../../runtime/informer';
import { kubeRequest } from '../../kube/request';
import { EventRecorder } from '../../kube/events';
import { resourcePath } from '../../kube/resources';
import { inBackground } from '../../observability/background';
import type { Metrics } from '../../observability/metrics';
import type { AppLogger } from '../../observability/logger';
import { decorate } from '../../providers/core/decorate';
import { createClient } from '../../providers/registry';
import type { SecretsClient } from '../../providers/core/types';
import { WorkQueue } from '../../runtime/workqueue';
import { runReconcileWorkers } from '../../runtime/runner';
import { systemClock, type Clock } from '../../runtime/clock';
import { contentHash } from '../../api/hash';
import { ManyToMany } from '../../runtime/many-to-many';
import { normalizeRemoteName } from '../../events/parse';
import { RotationEvents } from '../../events/manager';
import { closeAfterCalls } from '../secretstore/closing-client';
import { countingClient } from '../secretstore/counting-client';
import { PlannedClient, type FetchPlanMode } from './plan';
import { storeHandledBy } from '../secretstore/store-access';
import {
  shouldRecheckStore,
  validateStore,
  writeStoreStatus,
  type StoreCondition,
} from '../secretstore/store-status';
import { KubeIO } from './kube-io';
import { reconcileExternalSecret, type LeanSecret, type ReconcileDeps, type StoreObject } from './reconcile';
import { normalize } from './spec';
import { syncedResourceVersion } from './status';

export interface SyncControllerOptions {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  clock?: Clock;
  /** Watch one namespace only (ExternalSecrets, SecretStores, Secrets); ClusterSecretStores always. */
  namespace?: string;
  controllerClass?: string;
  concurrency: number;
  /** `planned` (default): shared fetches, batching, version tags; `naive`: one call per entry. */
  fetchPlan?: FetchPlanMode;
}

type Lean = LeanSecret & { namespace: string; name: string };

function projectSecret(obj: KubernetesObject): Lean {
  const s = obj as V1Secret;
  const data = Object.fromEntries(
    Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  );
  return {
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    uid: s.metadata?.uid ?? '',
    labels: s.metadata?.labels ?? {},
    annotations: Object.fromEntries(
      Object.entries(s.metadata?.annotations ?? {}).filter(([k]) => !k.startsWith('kubectl.kubernetes.io/')),
    ),
    contentHash: contentHash(data, s.type ?? 'Opaque'),
  };
}

type StoreWithStatus = StoreObject & { conditions?: StoreCondition[]; annotations: Record<string, string> };

const storeId = (s: { kind: string; namespace?: string; name: string }) =>
  `${s.kind}/${s.namespace ?? ''}/${s.name}`;

function projectStore(kind: StoreObject['kind']) {
  return (obj: KubernetesObject): StoreWithStatus => {
    const o = obj as unknown as { spec: SecretStoreSpec; status?: { conditions?: StoreCondition[] } };
    return {
      kind,
      name: obj.metadata?.name ?? '',
      namespace: obj.metadata?.namespace,
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

/** Store names an ExternalSecret reads from: `kind/namespace/name` ids. */
function awsRegion(s: StoreObject): string | undefined {
  return (s.spec.provider as { aws?: { region?: string } } | undefined)?.aws?.region;
}

function storeIds(es: ExternalSecret): string[] {
  const ns = es.metadata?.namespace ?? '';
  const id = (ref: { name?: string; kind?: string } | undefined) =>
    ref?.name
      ? (ref.kind ?? 'SecretStore') === 'ClusterSecretStore'
        ? `ClusterSecretStore//${ref.name}`
        : `SecretStore/${ns}/${ref.name}`
      : undefined;
  const ids = [id(es.spec.secretStoreRef)];
  for (const d of es.spec.data ?? []) ids.push(id(d.sourceRef?.storeRef));
  for (const d of es.spec.dataFrom ?? []) ids.push(id(d.sourceRef?.storeRef));
  return [...new Set(ids.filter((x): x is string => Boolean(x)))];
}

/** `storeId|name` for every remote secret an ExternalSecret reads; `storeId|*` for dataFrom.find. */
function remoteNames(es: ExternalSecret): string[] {
  const ns = es.metadata?.namespace ?? '';
  const sid = (ref: { name?: string; kind?: string } | undefined) => {
    const r = ref?.name ? ref : es.spec.secretStoreRef;
    if (!r?.name) return undefined;
    return (r.kind ?? 'SecretStore') === 'ClusterSecretStore'
      ? `ClusterSecretStore//${r.name}`
      : `SecretStore/${ns}/${r.name}`;
  };
  const out: string[] = [];
  for (const d of es.spec.data ?? [])
    out.push(`${sid(d.sourceRef?.storeRef)}|${normalizeRemoteName(d.remoteRef.key)}`);
  for (const d of es.spec.dataFrom ?? []) {
    if (d.extract) out.push(`${sid(d.sourceRef?.storeRef)}|${normalizeRemoteName(d.extract.key)}`);
    if (d.find) out.push(`${sid(d.sourceRef?.storeRef)}|*`);
  }
  return [...new Set(out)];
}

/** `namespace/name` of the Secret an ExternalSecret writes. */
function targetSecret(es: ExternalSecret): string {
  let target = es.metadata?.name ?? '';
  try {
    target = normalize(es).targetName;
  } catch {
    /* reported by reconcile */
  }
  return `${es.metadata?.namespace}/${target}`;
}

const STORE_REVALIDATE_MS = 5 * 60_000;

export class ExternalSecretController {
  readonly queue: WorkQueue<string>;
  private readonly io: KubeIO;
  private readonly recorder: EventRecorder;
  private readonly es: Informer<ExternalSecret>;
  private readonly stores: Informer<StoreWithStatus>;
  private readonly clusterStores: Informer<StoreWithStatus>;
  private leading = false;
  private readonly secrets: Informer<Lean>;
  private readonly storeIndex = new ManyToMany();
  private readonly targetIndex = new ManyToMany();
  private readonly remoteIndex = new ManyToMany();
  /** ExternalSecrets a rotation event asked to refresh now. */
  private readonly forced = new Set<string>();
  private readonly events: RotationEvents;
  private revalidate?: ReturnType<typeof setInterval>;
  private readonly clients = new Map<string, Promise<SecretsClient>>();
  /** When each store was last re-validated because its client answered (see recheckStore). */
  private readonly rechecked = new Map<string, number>();
  private readonly lastHash = new Map<string, string>();
  private readonly lastVersions = new Map<string, string>();
  private readonly clock: Clock;
  private workers?: Promise<void>;

  constructor(private readonly opts: SyncControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.io = new KubeIO(opts.kc);
    this.recorder = new EventRecorder(opts.kc, opts);
    const namespace = opts.namespace || undefined;
    const log = opts.logger;
    this.es = new Informer<ExternalSecret>(opts.kc, {
      path: resourcePath('ExternalSecret', { namespace }),
      project: (o) => o as unknown as ExternalSecret,
      logger: log,
    });
    this.stores = new Informer<StoreWithStatus>(opts.kc, {
      path: resourcePath('SecretStore', { namespace }),
      project: projectStore('SecretStore'),
      logger: log,
    });
    this.clusterStores = new Informer<StoreWithStatus>(opts.kc, {
      path: resourcePath('ClusterSecretStore'),
      project: projectStore('ClusterSecretStore'),
      logger: log,
    });
    this.secrets = new Informer<Lean>(opts.kc, {
      path: resourcePath('Secret', { namespace }),
      labelSelector: `${LABEL.managed}=true`,
      project: projectSecret,
      logger: log,
    });
    this.events = new RotationEvents({
      logger: log,
      metrics: opts.metrics,
      refresh: (id, names) => this.refreshRemote(id, names),
      condition: (id, ok, reason, message) => {
        const s = this.storeById(id);
        if (!s) return;
        inBackground(
          opts,
          'store-status',
          writeStoreStatus(opts.kc, s, {
            type: 'RotationEvents',
            status: ok ? 'True' : 'False',
            reason,
            message,
          }),
          { store: id },
        );
      },
    });
    this.wire();
  }

  private storeById(id: string): StoreWithStatus | undefined {
    const [kind, ns, name] = id.split('/') as [string, string, string];
    return kind === 'SecretStore' ? this.stores.get(`${ns}/${name}`) : this.clusterStores.get(name);
  }

  /**
   * Enqueues, for an immediate refresh, the ExternalSecrets that read these remote names. A
   * rotation event also drops the cached version tags; a tag that was just seen to move
   * (`fromTagCheck`) is already current.
   */
  refreshRemote(id: string, names: string[], fromTagCheck = false): number {
    const keys = new Set(this.remoteIndex.keysFor(`${id}|*`));
    for (const n of names)
      for (const k of this.remoteIndex.keysFor(`${id}|${normalizeRemoteName(n)}`)) keys.add(k);
    for (const c of fromTagCheck ? [] : this.clients.keys()) {
      if (!c.startsWith(`${id}@`)) continue;
      this.clients.get(c)!.then(
        (cl) => {
          if (cl instanceof PlannedClient) for (const n of names) cl.invalidate(n);
        },
        // A client that could not be built caches nothing; the reconcile that asked for it reports why.
        () => undefined,
      );
    }
    for (const k of keys) {
      this.forced.add(k);
      this.queue.add(k);
    }
    return keys.size;
  }

  /** Moves the waiting ExternalSecrets of a namespace that read this remote name to the queue's front. */
  private promoteReaders(id: string, name: string, namespace: string): number {
    let n = 0;
    for (const k of this.remoteIndex.keysFor(`${id}|${normalizeRemoteName(name)}`))
      if (k.startsWith(`${namespace}/`) && this.queue.promote(k)) n++;
    return n;
  }

  private wire(): void {
    // The indexes are kept by the informer: up to date before the handlers below run.
    this.es.addIndex(this.storeIndex, storeIds);
    this.es.addIndex(this.remoteIndex, remoteNames);
    this.es.addIndex(this.targetIndex, (es) => [targetSecret(es)]);
    const onEs = (key: string, es: ExternalSecret, old?: ExternalSecret) => {
      // Status-only updates (our own writes) do not re-enqueue.
      if (
        old &&
        syncedResourceVersion(old.metadata ?? {}) === syncedResourceVersion(es.metadata ?? {}) &&
        !es.metadata?.deletionTimestamp
      )
        return;
      this.queue.add(key);
    };
    this.es.on('add', onEs);
    this.es.on('update', onEs);
    this.es.on('delete', (key) => {
      this.forced.delete(key);
      this.lastHash.delete(key);
      this.lastVersions.delete(key);
      this.queue.forget(key);
    });
    const onStore = (_key: string, s: StoreWithStatus, old?: StoreWithStatus) => {
      if (this.leading)
        this.events.sync({ id: storeId(s), annotations: s.annotations, region: awsRegion(s) });
      if (old && old.generation === s.generation) return;
      // The old clients go first, so that validation builds (and keeps) the new one.
      this.dropClients(storeId(s));
      this.reportStore(s);
      for (const k of this.storeIndex.keysFor(storeId(s))) this.queue.add(k);
    };
    for (const inf of [this.stores, this.clusterStores]) {
      inf.on('add', onStore);
      inf.on('update', onStore);
      // A deleted store is not validated (nor its status written): its clients close once their
      // calls in flight settle, and its ExternalSecrets are told it is gone.
      inf.on('delete', (_key, s) => {
        this.events.remove(storeId(s));
        this.rechecked.delete(storeId(s));
        this.dropClients(storeId(s));
        for (const k of this.storeIndex.keysFor(storeId(s))) this.queue.add(k);
      });
    }
    const onSecret = (key: string, s: Lean, old?: Lean) => {
      if (old && old.contentHash === s.contentHash && JSON.stringify(old.labels) === JSON.stringify(s.labels))
        return;
      for (const k of this.targetIndex.keysFor(key)) this.queue.add(k);
    };
    this.secrets.on('update', onSecret);
    this.secrets.on('delete', (key, s) => onSecret(key, s));
  }

  /**
   * A store whose validation failed is validated again as soon as its client answers a call, so
   * that its Ready condition recovers with its ExternalSecrets instead of at the next 5-minute round.
   */
  private recheckStore(id: string): void {
    const s = this.storeById(id);
    const now = this.clock.now();
    if (!s || !shouldRecheckStore(s.conditions, this.rechecked.get(id), now)) return;
    this.rechecked.set(id, now);
    this.reportStore(s);
  }

  /** Writes the store's Ready condition (leader only; informers run on every replica). */
  private reportStore(s: StoreWithStatus): void {
    if (!this.leading || !storeHandledBy(s.spec, this.opts.controllerClass)) return;
    inBackground(
      this.opts,
      'store-status',
      validateStore(s, (st) => this.client(st, st.namespace ?? 'default')).then((cond) =>
        writeStoreStatus(this.opts.kc, s, cond),
      ),
      { store: `${s.kind}/${s.namespace ?? ''}/${s.name}` },
    );
  }

  /** Closes the clients of a store (each once its calls in flight settle; see closing-client.ts). */
  private dropClients(storeId: string, keep: (generation: number) => boolean = () => false): void {
    for (const [k, c] of this.clients) {
      const [id, generation] = k.split('@') as [string, string];
      if (id !== storeId || keep(Number(generation))) continue;
      this.clients.delete(k);
      this.closeClient(k, c);
    }
  }

  /**
   * Closes clients built for a store version that is no longer current: a reconcile that read the
   * store just before it changed or went away may still have asked for one after dropClients.
   */
  private dropStaleClients(): void {
    const ids = new Set([...this.clients.keys()].map((k) => k.split('@')[0]!));
    for (const id of ids) {
      const current = this.storeById(id)?.generation;
      this.dropClients(id, (generation) => generation === current);
    }
  }

  private client(store: StoreObject, esNamespace: string): Promise<SecretsClient> {
    const id = `${store.kind}/${store.namespace ?? ''}/${store.name}@${store.generation}@${esNamespace}`;
    let c = this.clients.get(id);
    if (!c) {
      const provider = Object.keys(store.spec.provider ?? {})[0] ?? 'unknown';
      c = createClient(store.spec.provider as unknown as Record<string, unknown>, {
        namespace: esNamespace,
        readSecretKey: async (ref) => {
          const ns = store.kind === 'SecretStore' ? store.namespace! : (ref.namespace ?? esNamespace);
          const s = await this.io.readSecret(ns, ref.name);
          const v = s?.data?.[ref.key];
          if (v === undefined) throw new Error(`key ${ref.key} of Secret ${ns}/${ref.name} not found`);
          return Buffer.from(v, 'base64');
        },
        // Workload identity (src/providers/credentials, src/providers/<cloud>/identity.ts): which namespaces the store may use, and the apiserver
        // calls behind it. Namespaces arrive resolved by src/providers/credentials/refs.ts's rules.
        store: {
          kind: store.kind,
          name: store.name,
          ...(store.namespace !== undefined && { namespace: store.namespace }),
          generation: store.generation,
        },
        requestServiceAccountToken: async (ref, audiences) => {
          const ns = encodeURIComponent(ref.namespace ?? esNamespace);
          const tr = await kubeRequest<{ status?: { token?: string; expirationTimestamp?: string } }>(
            this.opts.kc,
            {
              method: 'POST',
              path: `/api/v1/namespaces/${ns}/serviceaccounts/${encodeURIComponent(ref.name)}/token`,
              body: {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenRequest',
                spec: { audiences, expirationSeconds: 3600 },
              },
              timeoutMs: 30_000,
            },
          );
          const token = tr?.status?.token;
          if (!token) throw new Error('TokenRequest answered without a token');
          const exp = Date.parse(tr.status?.expirationTimestamp ?? '');
          return { token, expiresAt: Number.isFinite(exp) ? exp : Date.now() + 3600_000 };
        },
        readServiceAccount: async (ref) => {
          const ns = encodeURIComponent(ref.namespace ?? esNamespace);
          const sa = await kubeRequest<{ metadata?: { annotations?: Record<string, string> } }>(
            this.opts.kc,
            {
              path: `/api/v1/namespaces/${ns}/serviceaccounts/${encodeURIComponent(ref.name)}`,
              timeoutMs: 30_000,
            },
          );
          return { annotations: sa?.metadata?.annotations ?? {} };
        },
      }).then(
        (cl) =>
          new PlannedClient(
            closeAfterCalls(
              decorate(countingClient(cl, provider, this.opts.metrics), async (op, call) => {
                const answer = await call();
                if (op !== 'validate' && op !== 'close') this.recheckStore(storeId(store));
                return answer;
              }),
              storeId(store),
            ),
            {
              mode: this.opts.fetchPlan ?? 'planned',
              clock: this.clock,
              onMoved: (key) => this.refreshRemote(storeId(store), [key], true),
              shareWith: (key) => this.promoteReaders(storeId(store), key, esNamespace),
              onShared: () => this.opts.metrics.sharedReads.inc({ provider }),
            },
          ),
      );
      c.catch(() => this.clients.delete(id));
      this.clients.set(id, c);
    }
    return c;
  }

  deps(): ReconcileDeps {
    return {
      clock: this.clock,
      controllerClass: this.opts.controllerClass,
      externalSecret: (n, name) => this.es.get(`${n}/${name}`),
      store: (kind, n, name) =>
        kind === 'SecretStore' ? this.stores.get(`${n}/${name}`) : this.clusterStores.get(name),
      namespaceLabels: (n) => this.io.namespaceLabels(n),
      client: (store, esNs) => this.client(store, esNs),
      cachedSecret: (n, name) => this.secrets.get(`${n}/${name}`),
      readSecret: (n, name) => this.io.readSecret(n, name),
      writeSecret: (n, plan) => this.io.writeSecret(n, plan),
      replaceSecret: (n, s) => this.io.replaceSecret(n, s),
      deleteSecret: (n, name, uid) => this.io.deleteSecret(n, name, uid),
      patchStatus: (es, status) => this.io.patchStatus(es, status),
      event: (es, type, reason, message) =>
        this.recorder.event(
          {
            ...es,
            apiVersion: es.apiVersion ?? `${API_GROUP}/${API_VERSION}`,
            kind: 'ExternalSecret',
          } as KubernetesObject,
          type,
          reason,
          message,
        ),
      lastHash: this.lastHash,
      forced: this.forced,
      lastVersions: (this.opts.fetchPlan ?? 'planned') === 'planned' ? this.lastVersions : undefined,
      onSync: (result) => this.opts.metrics.syncs.inc({ result }),
    };
  }

  /** Starts the informers; resolves when all have listed once. */
  async start(): Promise<void> {
    await Promise.all([this.secrets.start(), this.stores.start(), this.clusterStores.start()]);
    await this.es.start();
  }

  synced(): boolean {
    return (
      this.es.hasSynced() &&
      this.secrets.hasSynced() &&
      this.stores.hasSynced() &&
      this.clusterStores.hasSynced()
    );
  }

  /** Runs the workers until stop(); call on the leader only. */
  run(): Promise<void> {
    const deps = this.deps();
    this.leading = true;
    // Stores are re-validated periodically too (credentials and permissions change outside Kubernetes).
    this.revalidate = setInterval(() => {
      this.dropStaleClients();
      for (const s of [...this.stores.list(), ...this.clusterStores.list()]) this.reportStore(s);
    }, STORE_REVALIDATE_MS);
    this.revalidate.unref();
    for (const s of [...this.stores.list(), ...this.clusterStores.list()]) {
      this.reportStore(s);
      this.events.sync({ id: storeId(s), annotations: s.annotations, region: awsRegion(s) });
    }
    this.workers = runReconcileWorkers({
      controller: 'externalsecret',
      queue: this.queue,
      workers: this.opts.concurrency,
      reconcile: (key) => {
        const [n, name] = key.split('/') as [string, string];
        return reconcileExternalSecret(deps, n, name);
      },
      metrics: this.opts.metrics,
      logger: this.opts.logger,
      results: {
        keyField: 'externalSecret',
        retry: 'reconcile failed; retrying with backoff',
        terminal: 'reconcile stopped until the object changes',
        done: 'reconciled',
      },
    });
    return this.workers;
  }

  async stop(): Promise<void> {
    if (this.revalidate) clearInterval(this.revalidate);
    await this.events.stopAll();
    await this.queue.shutdown();
    await this.workers;
    await Promise.all([this.es.stop(), this.stores.stop(), this.clusterStores.stop(), this.secrets.stop()]);
    for (const [k, c] of this.clients) this.closeClient(k, c);
  }

  /** Closes a client nobody will ask again; one that could not be built has nothing to close. */
  private closeClient(id: string, c: Promise<SecretsClient>): void {
    c.then(
      (cl) => inBackground(this.opts, 'client-close', cl.close(), { client: id.split('@')[0] }),
      () => undefined,
    );
  }
}
