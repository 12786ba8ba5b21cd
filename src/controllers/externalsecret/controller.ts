// Wires the sync side together: lean informers for ExternalSecrets and the managed Secrets (by
// label, digests only), indexes from stores and target Secrets back to ExternalSecrets, one work
// queue with N workers, and the store side (controllers/secretstore): the store informers, the
// provider client cache, and the leader-only store controller that run.ts starts.
import type { KubeConfig, KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../api/generated';
import { API_GROUP, API_VERSION, LABEL } from '../../api/constants';
import { Informer } from '../../runtime/informer';
import type { ExternalSecretSeries } from '../../observability/externalsecret-series';
import type { Metrics } from '../../observability/metrics';
import type { AppLogger } from '../../observability/logger';
import { EventRecorder } from '../../kube/events';
import { resourcePath } from '../../kube/resources';
import { WorkQueue } from '../../runtime/workqueue';
import { runReconcileWorkers } from '../../runtime/runner';
import { systemClock, type Clock } from '../../runtime/clock';
import { contentHash } from '../../api/hash';
import { ManyToMany } from '../../runtime/many-to-many';
import { gated, type ShardGate } from '../../runtime/shard-member';
import { movedAway } from '../../runtime/shard-labels';
import { normalizeRemoteName } from '../../events/parse';
import { ProviderClients } from '../secretstore/client-cache';
import { SecretStoreController } from '../secretstore/controller';
import { storeId } from '../secretstore/store';
import { StoreInformers, type CachedStore } from '../secretstore/store-informers';
import { PlannedClient, type FetchPlanMode } from './plan';
import { KubeIO } from './kube-io';
import { reconcileExternalSecret, type LeanSecret, type ReconcileDeps } from './reconcile';
import { normalize } from './spec';
import { readyLabels, syncedResourceVersion } from './status';
import { EsoObjectMetrics } from './eso-metrics';
import { SyncMemory } from './sync-memory';
import { templateSourceRefs, type TemplateSourceKind } from './template-from';

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
  /** status.refreshTime moves at least this often when nothing changes; unset/0: every refresh. */
  refreshTimeHeartbeatMs?: number;
  /** --sharding: reconcile only the namespaces this replica may act on (runtime/shard-ring.ts). */
  shard?: ShardGate;
  /**
   * --sharding: tells the other replicas of a rotation event received here (they own other
   * namespaces' ExternalSecrets of the store); they pass it to refreshRemote().
   */
  relayRotation?: (storeId: string, names: string[]) => void;
  /**
   * --sharding: this replica's shard label (runtime/shard-labels.ts). Its ExternalSecret and
   * managed-Secret watches select it, so the apiserver sends only this replica's share, and the
   * Secrets it writes carry it.
   */
  shardLabel?: { key: string; value: string };
  /**
   * The managed Secrets (label managed=true) from a watch another side already runs (the rollout
   * side's, over every Secret): no second list and watch of them. Default: an informer of its own.
   */
  managedSecrets?: <U>(project: (obj: KubernetesObject) => U) => Informer<U>;
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

/**
 * What is kept of an ExternalSecret: all but metadata.managedFields, the apiserver's record of
 * field ownership, which nothing here reads and which is about half of a cached object.
 */
export function projectExternalSecret(o: KubernetesObject): ExternalSecret {
  if (!o.metadata?.managedFields) return o as unknown as ExternalSecret;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  return { ...o, metadata } as unknown as ExternalSecret;
}

/** Store names an ExternalSecret reads from: `kind/namespace/name` ids. */
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

/** `Kind/namespace/name` of the ConfigMaps and Secrets an ExternalSecret's templateFrom reads. */
function templateSourceIds(es: ExternalSecret): string[] {
  return templateSourceRefs(es).map((r) => `${r.kind}/${es.metadata?.namespace}/${r.name}`);
}

/** What the template-source informers keep of an object no templateFrom names: nothing. */
const UNREFERENCED = '';

/**
 * What they keep of one that is named: a digest of its data (values hashed, then dropped), to
 * tell a content change from a metadata-only update.
 */
function sourceDigest(kind: TemplateSourceKind, obj: KubernetesObject): string {
  const data: Record<string, Uint8Array> = {};
  if (kind === 'ConfigMap') {
    for (const [k, v] of Object.entries((obj as V1ConfigMap).data ?? {})) data[k] = Buffer.from(v, 'utf8');
  } else {
    for (const [k, v] of Object.entries((obj as V1Secret).data ?? {})) data[k] = Buffer.from(v, 'base64');
  }
  return contentHash(data, kind);
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

export class ExternalSecretController {
  readonly queue: WorkQueue<string>;
  private readonly io: KubeIO;
  private readonly recorder: EventRecorder;
  private readonly es: Informer<ExternalSecret>;
  private readonly stores: StoreInformers;
  private readonly secrets: Informer<Lean>;
  private readonly storeIndex = new ManyToMany();
  private readonly targetIndex = new ManyToMany();
  private readonly remoteIndex = new ManyToMany();
  /** ExternalSecret → `Kind/ns/name` of its templateFrom ConfigMaps and Secrets. */
  private readonly templateIndex = new ManyToMany();
  /** Change triggers for templateFrom sources; started when the first ExternalSecret uses one. */
  private templateSources?: Record<TemplateSourceKind, Informer<string>>;
  private stopping = false;
  private readonly clients: ProviderClients<PlannedClient>;
  /** Store validation, status and rotation events: leader only, started and stopped by run.ts. */
  readonly secretStores: SecretStoreController;
  private readonly memory: SyncMemory;
  /**
   * The per-ExternalSecret series: secretsync_externalsecret_ready (one per ExternalSecret, from
   * its Ready decisions), _last_check_timestamp_seconds (status.refreshTime may be older), ESO's.
   */
  private readonly series: ExternalSecretSeries;
  /** ESO's per-object series (externalsecret_*). */
  private readonly eso: EsoObjectMetrics;
  private readonly clock: Clock;
  private workers?: Promise<void>;

  constructor(private readonly opts: SyncControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.memory = new SyncMemory((opts.fetchPlan ?? 'planned') === 'planned', this.clock.now());
    this.series = opts.metrics.externalSecrets;
    this.eso = new EsoObjectMetrics(this.series);
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.io = new KubeIO(opts.kc);
    this.recorder = new EventRecorder(opts.kc, opts);
    const namespace = opts.namespace || undefined;
    const log = opts.logger;
    const shard = opts.shardLabel && `${opts.shardLabel.key}=${opts.shardLabel.value}`;
    this.es = new Informer<ExternalSecret>(opts.kc, {
      path: resourcePath('ExternalSecret', { namespace }),
      labelSelector: shard,
      project: projectExternalSecret,
      logger: log,
      clock: this.clock,
    });
    this.stores = new StoreInformers(opts.kc, { logger: log, namespace, clock: this.clock });
    // With --sharding a watch of its own share (the shared view would hold every replica's).
    this.secrets =
      (shard ? undefined : opts.managedSecrets?.(projectSecret)) ??
      new Informer<Lean>(opts.kc, {
        path: resourcePath('Secret', { namespace }),
        labelSelector: [`${LABEL.managed}=true`, shard].filter(Boolean).join(','),
        project: projectSecret,
        logger: log,
        clock: this.clock,
      });
    this.clients = new ProviderClients({
      kc: opts.kc,
      logger: log,
      metrics: opts.metrics,
      readSecret: (n, name) => this.io.readSecret(n, name),
      answered: (id) => this.secretStores.recheck(id),
      wrap: (client, store, esNamespace, provider) =>
        new PlannedClient(client, {
          mode: opts.fetchPlan ?? 'planned',
          clock: this.clock,
          onMoved: (key) => this.refreshRemote(storeId(store), [key], true),
          shareWith: (key) => this.promoteReaders(storeId(store), key, esNamespace),
          onShared: () => opts.metrics.sharedReads.inc({ provider }),
        }),
    });
    // Subscribes to the store informers before wire() does: a changed store's clients are dropped
    // and its validation started before its ExternalSecrets are enqueued.
    this.secretStores = new SecretStoreController({
      kc: opts.kc,
      logger: log,
      metrics: opts.metrics,
      clock: this.clock,
      controllerClass: opts.controllerClass,
      stores: this.stores,
      clients: this.clients,
      refresh: (id, names) => {
        this.opts.relayRotation?.(id, names);
        return this.refreshRemote(id, names);
      },
    });
    opts.metrics.countObjects('externalsecrets', () => this.es.size);
    opts.metrics.countObjects('managed-secrets', () => this.secrets.size);
    this.wire();
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
    for (const c of fromTagCheck ? [] : this.clients.built(id)) {
      c.then(
        (cl) => {
          for (const n of names) cl.invalidate(n);
        },
        // A client that could not be built caches nothing; the reconcile that asked for it reports why.
        () => undefined,
      );
    }
    const eventAtMs = fromTagCheck ? undefined : this.clock.now();
    for (const k of keys) {
      this.memory.requestRefresh(k, eventAtMs);
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
    this.es.addIndex(this.templateIndex, templateSourceIds);
    const onEs = (key: string, es: ExternalSecret, old?: ExternalSecret) => {
      if (this.templateIndex.size > 0) this.watchTemplateSources();
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
    // A deletion, or (--sharding) a move to another replica's watch: either way only what this
    // replica keeps of it goes. Nothing is written: the Secret goes by its owner reference.
    this.es.on('delete', (key) => {
      this.memory.forget(key);
      this.eso.forget(key);
      this.series.forget(key);
      this.queue.forget(key);
    });
    // A store's new version or deletion (its clients dropped, see secretStores) reaches its
    // ExternalSecrets; a deleted store's are told it is gone.
    const onStore = (_key: string, s: CachedStore, old?: CachedStore) => {
      if (old && old.generation === s.generation) return;
      for (const k of this.storeIndex.keysFor(storeId(s))) this.queue.add(k);
    };
    this.stores.on('add', onStore);
    this.stores.on('update', onStore);
    this.stores.on('delete', (_key, s) => onStore(_key, s));
    const onSecret = (key: string, s: Lean, old?: Lean) => {
      if (old && old.contentHash === s.contentHash && JSON.stringify(old.labels) === JSON.stringify(s.labels))
        return;
      for (const k of this.targetIndex.keysFor(key)) this.queue.add(k);
    };
    this.secrets.on('update', onSecret);
    this.secrets.on('delete', (key, s) => {
      const shard = this.opts.shardLabel;
      if (!shard || !this.targetIndex.has(key)) return onSecret(key, s);
      // --sharding: a Secret relabelled to another replica leaves this watch as a deletion does;
      // its ExternalSecret moves too, so nothing is to be redone here. A metadata GET tells.
      const slash = key.indexOf('/');
      this.io.secretLabels(key.slice(0, slash), key.slice(slash + 1)).then(
        (live) => {
          if (!movedAway(live, shard)) onSecret(key, s);
        },
        () => onSecret(key, s),
      );
    });
  }

  /**
   * Watches ConfigMaps and Secrets for the ExternalSecrets whose templateFrom names them: a change
   * of content (or a creation or deletion) re-renders those ExternalSecrets at once. The reconcile
   * reads the objects with a GET each time it renders; these informers keep no values, only a
   * digest of the objects some templateFrom names and nothing of the others, so Secrets that no
   * template uses are never held (the managed-Secret informer above stays label-filtered). Started
   * only once an ExternalSecret uses templateFrom: clusters that do not use it pay nothing.
   */
  private watchTemplateSources(): void {
    if (this.templateSources || this.stopping) return;
    const namespace = this.opts.namespace || undefined;
    const inform = (kind: TemplateSourceKind) => {
      const inf = new Informer<string>(this.opts.kc, {
        path: resourcePath(kind, { namespace }),
        project: (obj) =>
          this.templateIndex.has(`${kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`)
            ? sourceDigest(kind, obj)
            : UNREFERENCED,
        pageSize: 100,
        logger: this.opts.logger,
        clock: this.clock,
      });
      const changed = (key: string) => {
        for (const k of this.templateIndex.keysFor(`${kind}/${key}`)) {
          this.memory.requestRefresh(k);
          this.queue.add(k);
        }
      };
      // The first listing announces every object: the reconciles read them anyway.
      inf.on('add', (key, item) => {
        if (inf.hasSynced() && item !== UNREFERENCED) changed(key);
      });
      inf.on('update', (key, item, old) => {
        if (item !== UNREFERENCED && item !== old) changed(key);
      });
      // Whatever was cached (an object named only after it was last seen is cached as unreferenced).
      inf.on('delete', (key) => changed(key));
      return inf;
    };
    this.templateSources = { ConfigMap: inform('ConfigMap'), Secret: inform('Secret') };
    for (const inf of Object.values(this.templateSources)) {
      inf
        .start()
        .catch((err: unknown) => this.opts.logger.warn({ err: String(err) }, 'template source watch failed'));
    }
  }

  deps(): ReconcileDeps {
    return {
      clock: this.clock,
      controllerClass: this.opts.controllerClass,
      externalSecret: (n, name) => this.es.get(`${n}/${name}`),
      store: (kind, n, name) => this.stores.get(kind, n, name),
      namespaceLabels: (n) => this.io.namespaceLabels(n),
      client: (store, esNs) => this.clients.client(store, esNs),
      cachedSecret: (n, name) => this.secrets.get(`${n}/${name}`),
      readSecret: (n, name) => this.io.readSecret(n, name),
      readConfigMap: (n, name) => this.io.readConfigMap(n, name),
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
      memory: this.memory,
      onSync: (result, es) => {
        this.opts.metrics.syncs.inc({ result });
        if (result === 'error' && es) this.eso.failed(`${es.metadata?.namespace}/${es.metadata?.name}`);
      },
      onReady: (es, ready) => {
        const key = `${es.metadata?.namespace}/${es.metadata?.name}`;
        // A reconcile that outlived its object must not bring its series back.
        if (!this.es.get(key)) return;
        this.eso.condition(key, ready);
        if (!ready) this.series.deleteReady(key);
        else this.series.setReady(key, readyLabels(es, ready.reason), ready.status === 'True' ? 1 : 0);
      },
      onRotationSynced: (ms) => this.opts.metrics.rotationLatency.observe(ms / 1000),
      onChecked: (es, atMs) =>
        this.series.setLastCheck(`${es.metadata?.namespace}/${es.metadata?.name}`, atMs / 1000),
      refreshTimeHeartbeatMs: this.opts.refreshTimeHeartbeatMs,
      secretLabels: this.opts.shardLabel && { [this.opts.shardLabel.key]: this.opts.shardLabel.value },
    };
  }

  /** Starts the informers; resolves when all have listed once (they list at the same time). */
  async start(): Promise<void> {
    await Promise.all([this.secrets.start(), this.stores.start(), this.es.start()]);
  }

  synced(): boolean {
    return this.es.hasSynced() && this.secrets.hasSynced() && this.stores.synced();
  }

  /** Runs the workers until stop(); call on the leader only. */
  run(): Promise<void> {
    const deps = this.deps();
    this.workers = runReconcileWorkers({
      controller: 'externalsecret',
      queue: this.queue,
      workers: this.opts.concurrency,
      reconcile: (key) => {
        const [n, name] = key.split('/') as [string, string];
        return gated(this.opts.shard, n, () => reconcileExternalSecret(deps, n, name));
      },
      metrics: this.opts.metrics,
      onResult: (key, decision, elapsedMs) =>
        this.eso.reconciled(key, this.es.get(key) !== undefined, decision.kind === 'retry', elapsedMs),
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

  /**
   * The shard ring changed (--sharding): what this replica may act on now is enqueued; the
   * per-object series and memory of the rest go, so that one replica reports each object.
   */
  shardChanged(mayAct: (namespace: string) => boolean): void {
    for (const k of this.es.keysView()) {
      if (mayAct(k.slice(0, k.indexOf('/')))) {
        this.queue.add(k);
        continue;
      }
      this.memory.forget(k);
      this.eso.forget(k);
      this.series.forget(k);
    }
  }

  /** Stops the workers, then the informers; the clients close once no reconcile can ask again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.shutdown();
    await this.workers;
    await Promise.all([
      this.es.stop(),
      this.stores.stop(),
      this.secrets.stop(),
      ...Object.values(this.templateSources ?? {}).map((inf) => inf.stop()),
    ]);
    this.clients.closeAll();
  }
}
