// Wires the fan-out together (leader only, and only when the controller watches every namespace,
// as ESO turns its ClusterExternalSecret reconciler off when scoped to one): informers for
// ClusterExternalSecrets, Namespaces (names and labels) and ExternalSecrets (whole only when a
// ClusterExternalSecret controls them, else name and owners), and one work queue keyed by the
// ClusterExternalSecret's name. A namespace's labels changing, an owned ExternalSecret edited or
// deleted, or a clashing one deleted reconciles the ClusterExternalSecrets concerned; refreshTime
// brings each back periodically.
import type { KubeConfig, KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { ClusterExternalSecret, ExternalSecret } from '../../api/generated';
import type { AppLogger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { resourcePath } from '../../kube/resources';
import { systemClock, type Clock } from '../../runtime/clock';
import { Informer } from '../../runtime/informer';
import { ManyToMany } from '../../runtime/many-to-many';
import { runReconcileWorkers } from '../../runtime/runner';
import { WorkQueue } from '../../runtime/workqueue';
import { isApiError } from '../../kube/request';
import { cesOwner, isOwnedBy } from './desired';
import { FanOutIO } from './kube-io';
import { reconcileClusterExternalSecret, type FanOutDeps } from './reconcile';
import { selectsNamespace, type NamespaceView } from './select';

export interface ClusterExternalSecretControllerOptions {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  clock?: Clock;
  workers?: number;
}

function withoutManagedFields(meta: KubernetesObject['metadata']): KubernetesObject['metadata'] {
  if (!meta) return meta;
  const { managedFields: _dropped, ...rest } = meta;
  return rest;
}

function projectCes(o: KubernetesObject): ClusterExternalSecret {
  const ces = o as unknown as ClusterExternalSecret;
  return { ...ces, metadata: withoutManagedFields(ces.metadata) };
}

/** Whole (spec, no status) when a ClusterExternalSecret controls it; else only what a clash needs. */
function projectEs(o: KubernetesObject): ExternalSecret {
  const es = o as unknown as ExternalSecret;
  const meta = withoutManagedFields(es.metadata);
  if (cesOwner(meta)) return { apiVersion: es.apiVersion, kind: es.kind, metadata: meta, spec: es.spec };
  const { name, namespace, uid, resourceVersion, ownerReferences } = meta ?? {};
  return {
    metadata: { name, namespace, uid, resourceVersion, ownerReferences },
    spec: {} as ExternalSecret['spec'],
  };
}

function projectNamespace(o: KubernetesObject): NamespaceView {
  const ns = o as V1Namespace;
  return {
    name: ns.metadata?.name ?? '',
    labels: ns.metadata?.labels ?? {},
    terminating: !!ns.metadata?.deletionTimestamp,
  };
}

/** What the fan-out reads of a ClusterExternalSecret: not its status, nor its resourceVersion. */
const cesInputs = (c: ClusterExternalSecret) => [
  c.metadata?.generation,
  c.metadata?.annotations,
  c.metadata?.deletionTimestamp,
];
/** What the fan-out compares of an ExternalSecret: not its status. */
const esInputs = (e: ExternalSecret) => [
  e.metadata?.generation,
  e.metadata?.labels,
  e.metadata?.annotations,
  e.metadata?.ownerReferences,
];

export class ClusterExternalSecretController {
  readonly queue: WorkQueue<string>;
  private readonly clock: Clock;
  private readonly io: FanOutIO;
  private readonly ces: Informer<ClusterExternalSecret>;
  private readonly namespaces: Informer<NamespaceView>;
  private readonly es: Informer<ExternalSecret>;
  /** ExternalSecret key → the name of the ClusterExternalSecret that controls it. */
  private readonly ownerIndex = new ManyToMany();
  private workers?: Promise<void>;

  constructor(private readonly opts: ClusterExternalSecretControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.io = new FanOutIO(opts.kc);
    const common = { logger: opts.logger, clock: this.clock };
    this.ces = new Informer(opts.kc, {
      path: resourcePath('ClusterExternalSecret'),
      project: projectCes,
      ...common,
    });
    this.namespaces = new Informer(opts.kc, {
      path: resourcePath('Namespace'),
      project: projectNamespace,
      ...common,
    });
    this.es = new Informer(opts.kc, { path: resourcePath('ExternalSecret'), project: projectEs, ...common });
    this.wire();
  }

  private wire(): void {
    this.es.addIndex(this.ownerIndex, (es) => {
      const owner = cesOwner(es.metadata);
      return owner ? [owner.name] : [];
    });
    const onCes = (key: string, c: ClusterExternalSecret, old?: ClusterExternalSecret) => {
      if (!old || !isDeepStrictEqual(cesInputs(old), cesInputs(c))) this.queue.add(key);
    };
    this.ces.on('add', onCes);
    this.ces.on('update', onCes);
    this.ces.on('delete', (key) => this.queue.forget(key));

    // A namespace concerns a ClusterExternalSecret that selects it now, selected it before, or
    // lists it in its status (provisioned or failed).
    const onNamespace = (_key: string, ns: NamespaceView, old?: NamespaceView) => {
      if (old && isDeepStrictEqual(old, ns)) return;
      for (const c of this.ces.list()) {
        const now = selectsNamespace(c.spec, ns);
        if (old ? now !== selectsNamespace(c.spec, old) : now || this.listed(c, ns.name))
          this.queue.add(c.metadata?.name ?? '');
      }
    };
    this.namespaces.on('add', onNamespace);
    this.namespaces.on('update', onNamespace);
    this.namespaces.on('delete', (key, ns) => {
      for (const c of this.ces.list()) if (this.listed(c, ns.name)) this.queue.add(c.metadata?.name ?? '');
    });

    const onEs = (_key: string, es: ExternalSecret, old?: ExternalSecret) => {
      if (old && isDeepStrictEqual(esInputs(old), esInputs(es))) return;
      const owner = cesOwner(es.metadata) ?? (old ? cesOwner(old.metadata) : undefined);
      if (owner) this.queue.add(owner.name);
    };
    this.es.on('add', onEs);
    this.es.on('update', onEs);
    this.es.on('delete', (_key, es) => {
      const owner = cesOwner(es.metadata);
      if (owner) this.queue.add(owner.name);
      // A clash gone: the ClusterExternalSecrets that failed there try again.
      const ns = es.metadata?.namespace ?? '';
      for (const c of this.ces.list())
        if (c.status?.failedNamespaces?.some((f) => f.namespace === ns))
          this.queue.add(c.metadata?.name ?? '');
    });
  }

  private listed(c: ClusterExternalSecret, ns: string): boolean {
    return (
      (c.status?.provisionedNamespaces ?? []).includes(ns) ||
      (c.status?.failedNamespaces ?? []).some((f) => f.namespace === ns)
    );
  }

  deps(): FanOutDeps {
    return {
      clock: this.clock,
      clusterExternalSecret: (name) => this.ces.get(name),
      namespaces: () => this.namespaces.list(),
      externalSecret: (ns, name) => this.es.get(`${ns}/${name}`),
      owned: (c) =>
        this.ownerIndex
          .keysFor(c.metadata?.name ?? '')
          .map((k) => this.es.get(k))
          .filter((e): e is ExternalSecret => e !== undefined && isOwnedBy(e.metadata, c)),
      read: (ns, name) => this.io.read(ns, name),
      create: (es) => this.io.create(es),
      replace: (es) => this.io.replace(es),
      remove: (ns, name, uid) => this.io.remove(ns, name, uid),
      patchStatus: (c, status) => this.io.patchStatus(c, status),
    };
  }

  /** Starts the informers; resolves when all have listed once. */
  async start(): Promise<void> {
    await Promise.all([this.namespaces.start(), this.es.start()]);
    await this.ces.start();
  }

  synced(): boolean {
    return this.ces.hasSynced() && this.namespaces.hasSynced() && this.es.hasSynced();
  }

  /** Runs the workers until stop(); call on the leader only. */
  run(): Promise<void> {
    const deps = this.deps();
    this.workers = runReconcileWorkers({
      controller: 'clusterexternalsecret',
      queue: this.queue,
      workers: this.opts.workers ?? 2,
      reconcile: (name) => reconcileClusterExternalSecret(deps, name),
      metrics: this.opts.metrics,
      logger: this.opts.logger,
      results: {
        keyField: 'clusterExternalSecret',
        retry: 'fan-out failed; retrying with backoff',
        quietRetry: (err) => isApiError(err, 409),
        done: 'fanned out',
      },
    });
    return this.workers;
  }

  /** Stops the workers, then the informers. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
    await this.workers;
    await Promise.all([this.ces.stop(), this.namespaces.stop(), this.es.stop()]);
  }
}
