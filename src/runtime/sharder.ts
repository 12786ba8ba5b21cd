// The sharder (--sharding, run by the leader): keeps a metadata-only watch of every sharded object
// (ExternalSecrets and managed Secrets: names, labels and resourceVersions, never specs or values)
// and writes on each the shard label of the ring member that owns its namespace in the current
// view (shard-labels.ts), so that every replica's own watches, filtered by that label, carry only
// its share. New objects are labelled as they appear; on a ring change every object whose owner
// changed is relabelled, Secrets before ExternalSecrets so that a new owner usually sees the Secret
// before the ExternalSecret that writes it. As in timebertt/kubernetes-controller-sharding's first
// design (a sharder watching metadata) but without its drain label: the Lease acknowledgements
// (shard-ring.ts) already keep two replicas from acting on one namespace, the label only filters.
import type { KubeConfig } from '@kubernetes/client-node';
import { isApiError, kubeRequest } from '../kube/request';
import { RESOURCES, resourcePath, type ResourceKind } from '../kube/resources';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { Clock } from './clock';
import { type Decision, done, retry } from './decision';
import { Informer } from './informer';
import { runReconcileWorkers } from './runner';
import { relabel, shardLabelKey } from './shard-labels';
import type { Ring } from './shard-ring';
import { WorkQueue } from './workqueue';

export interface ShardedKind {
  kind: ResourceKind;
  /** Only these objects are ours to label (Secrets: the managed label). */
  labelSelector?: string;
}

export interface SharderOptions {
  kc: KubeConfig;
  ring: string;
  /** In labelling order on a ring change. */
  kinds: readonly ShardedKind[];
  /** The current ring view (ShardMember.ring()). */
  view: () => Ring;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  /** Watch one namespace only (--namespace). */
  namespace?: string;
  /** Namespaces whose objects are labelled (embedders, tests); default all. */
  scope?: (namespace: string) => boolean;
  /** Label patches in flight; default 8. */
  workers?: number;
}

/** What the sharder keeps of an object: its shard label and the version it was seen at. */
interface Labelled {
  label?: string;
  resourceVersion: string;
}

/** The field manager of the sharder's patches (managedFields tell its writes from the reconciles'). */
export const SHARDER_FIELD_MANAGER = 'secretsync-sharder';

export class Sharder {
  private readonly queue: WorkQueue<string>;
  private readonly informers: Informer<Labelled>[];
  private readonly labelKey: string;
  private workers?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: SharderOptions) {
    this.labelKey = shardLabelKey(opts.ring);
    this.queue = new WorkQueue<string>({ clock: opts.clock, baseDelayMs: 500, maxDelayMs: 30_000 });
    this.informers = opts.kinds.map(({ kind, labelSelector }, i) => {
      const inf = new Informer<Labelled>(opts.kc, {
        path: resourcePath(kind, { namespace: opts.namespace }),
        labelSelector,
        metadataOnly: true,
        project: (o) => ({
          label: o.metadata?.labels?.[this.labelKey],
          resourceVersion: o.metadata?.resourceVersion ?? '',
        }),
        logger: opts.logger,
        clock: opts.clock,
      });
      const check = (key: string, item: Labelled) => {
        if (this.wanted(key, item) !== undefined) this.queue.add(`${i}|${key}`);
      };
      inf.on('add', check);
      inf.on('update', check);
      return inf;
    });
  }

  /** Lists and watches, labelling as objects appear and views change, until stop(). */
  async run(): Promise<void> {
    this.opts.kinds.forEach(({ kind }, i) =>
      this.opts.metrics.countObjects(`sharder-${RESOURCES[kind].plural}`, () => this.informers[i]!.size),
    );
    this.workers = runReconcileWorkers({
      controller: 'sharder',
      queue: this.queue,
      workers: this.opts.workers ?? 8,
      reconcile: (key) => this.label(key),
      metrics: this.opts.metrics,
      logger: this.opts.logger,
      results: { keyField: 'object', retry: 'could not write a shard label; retrying' },
    });
    try {
      await Promise.all(this.informers.map((inf) => inf.start()));
    } catch (err) {
      if (!this.stopped) throw err; // stopped before the first list completed
    }
    await this.workers;
  }

  /** The ring view changed: relabel what it moves. */
  viewChanged(): void {
    let moves = 0;
    this.informers.forEach((inf, i) => {
      for (const key of inf.keysView()) {
        const item = inf.get(key)!;
        if (this.wanted(key, item) === undefined) continue;
        this.queue.add(`${i}|${key}`);
        moves++;
      }
    });
    if (moves > 0)
      this.opts.logger.info({ ring: this.opts.ring, objects: moves }, 'relabelling for the new ring view');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.shutdown();
    await this.workers;
    await Promise.all(this.informers.map((inf) => inf.stop()));
    for (const { kind } of this.opts.kinds)
      this.opts.metrics.uncountObjects(`sharder-${RESOURCES[kind].plural}`);
  }

  /** The label value to write on the object of `key`; undefined when it is right or not ours to label. */
  private wanted(key: string, item: Labelled): string | undefined {
    const ns = key.slice(0, key.indexOf('/'));
    if (this.opts.scope && !this.opts.scope(ns)) return undefined;
    return relabel(this.opts.view(), ns, item.label);
  }

  private async label(queued: string): Promise<Decision> {
    const bar = queued.indexOf('|');
    const i = Number(queued.slice(0, bar));
    const key = queued.slice(bar + 1);
    const item = this.informers[i]!.get(key);
    const value = item && this.wanted(key, item);
    if (!item || value === undefined) return done();
    const slash = key.indexOf('/');
    try {
      // The resourceVersion makes it a compare-and-swap: a Secret replaced since it was seen
      // (perhaps by one that is not ours) is not touched; its new version is checked again.
      await kubeRequest(this.opts.kc, {
        method: 'PATCH',
        path: resourcePath(this.opts.kinds[i]!.kind, {
          namespace: key.slice(0, slash),
          name: key.slice(slash + 1),
        }),
        query: { fieldManager: SHARDER_FIELD_MANAGER },
        body: { metadata: { resourceVersion: item.resourceVersion, labels: { [this.labelKey]: value } } },
        contentType: 'application/merge-patch+json',
        timeoutMs: 30_000,
      });
    } catch (err) {
      // Gone, or changed since seen: the watch brings the new state, which is checked again.
      if (isApiError(err, 404) || isApiError(err, 409)) return done();
      return retry(err);
    }
    return done();
  }
}
