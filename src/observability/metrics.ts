// prom-client metrics. Labels carry kinds, results and reasons, and the per-object gauges the
// names of Kubernetes objects (ExternalSecrets, stores, workloads) — never names of remote keys,
// never values. Object labels are prefixed (`externalsecret_namespace`, `store_namespace`, …) so
// that they do not collide with the `namespace` and `job` labels Prometheus gives the target.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ExternalSecretSeries } from './externalsecret-series';
import { RenderedCounter, RenderedGauge } from './rendered-metrics';

export class Metrics {
  readonly registry = new Registry();
  readonly syncs = new Counter({
    name: 'secretsync_externalsecret_syncs_total',
    help: 'ExternalSecret reconciles by result (synced, unchanged, error, skipped).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly providerCalls = new Counter({
    name: 'secretsync_provider_calls_total',
    help: 'Calls to secret store providers by provider, operation and result.',
    labelNames: ['provider', 'op', 'result'],
    registers: [this.registry],
  });
  readonly sharedReads = new Counter({
    name: 'secretsync_provider_reads_shared_total',
    help: 'Secret reads answered by a read of the same key already in flight or just arrived, with no provider call, by provider.',
    labelNames: ['provider'],
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'secretsync_reconcile_duration_seconds',
    help: 'Duration of one reconcile.',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'secretsync_queue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  readonly rollouts = new Counter({
    name: 'secretsync_rollouts_total',
    help: 'Workload rollouts triggered, by kind and reason.',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly rotationEvents = new Counter({
    name: 'secretsync_rotation_events_total',
    help: 'Rotation notifications received, by source (pubsub, sqs) and result (enqueued, unknown, ignored, malformed).',
    labelNames: ['source', 'result'],
    registers: [this.registry],
  });
  /** The per-ExternalSecret series below, kept compactly and rendered at each scrape. */
  readonly externalSecrets = new ExternalSecretSeries();
  readonly externalSecretReady = new RenderedGauge(
    {
      name: 'secretsync_externalsecret_ready',
      help: "1 when an ExternalSecret's Ready condition is True, 0 when False; one series per ExternalSecret, with its store and the condition's reason.",
      labelNames: ['externalsecret_namespace', 'externalsecret', 'store_kind', 'store', 'reason'],
      registers: [this.registry],
    },
    this.externalSecrets.ready,
  );
  readonly externalSecretLastCheck = new RenderedGauge(
    {
      name: 'secretsync_externalsecret_last_check_timestamp_seconds',
      help: "When this process last checked an ExternalSecret's sources successfully (Unix seconds); status.refreshTime moves only on a change or at the heartbeat, so it can be older.",
      labelNames: ['externalsecret_namespace', 'externalsecret'],
      registers: [this.registry],
    },
    this.externalSecrets.lastCheck,
  );
  readonly storeReady = new Gauge({
    name: 'secretsync_store_ready',
    help: "1 when a SecretStore's or ClusterSecretStore's Ready condition is True, 0 when False; one series per store this controller validates.",
    labelNames: ['store_kind', 'store_namespace', 'store', 'provider', 'reason'],
    registers: [this.registry],
  });
  readonly rotationLatency = new Histogram({
    name: 'secretsync_rotation_latency_seconds',
    help: 'From a rotation event received to the sync it forced written (the Secret updated or found current), per ExternalSecret refreshed.',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly rolloutWaiting = new Gauge({
    name: 'secretsync_rollout_waiting',
    help: 'Workloads whose rollout is held back, one series each (value 1), by reason (paused, on-delete, forbidden, missing-object, image-pull, cooldown, max-concurrent-rollouts, rollout-window).',
    labelNames: ['kind', 'workload_namespace', 'workload', 'reason'],
    registers: [this.registry],
  });
  readonly rolloutsInFlight = new Gauge({
    name: 'secretsync_rollouts_in_flight',
    help: 'Rollouts counting against --max-concurrent-rollouts: restarted by secretsync, new pods not yet available, younger than --rollout-progress-timeout. 0 when unlimited.',
    registers: [this.registry],
  });
  private readonly informerSizes = new Map<string, () => number>();
  readonly informerObjects = new Gauge({
    name: 'secretsync_informer_objects',
    help: "Objects held in this replica's informer caches, by informer (with --sharding the sync side's hold only this replica's share).",
    labelNames: ['informer'],
    registers: [this.registry],
    collect: () => {
      for (const [informer, size] of this.informerSizes) this.informerObjects.set({ informer }, size());
    },
  });
  readonly leader = new Gauge({
    name: 'secretsync_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [this.registry],
  });

  // ── Names dashboards built for External Secrets Operator and Stakater Reloader chart ──────────
  // Same names, types, labels and meanings as theirs (docs/reference.md, "ESO and Reloader
  // metrics"). Their per-object labels are `name` and `namespace`, as ESO's: under a scrape that
  // adds the target's own `namespace` (Prometheus operator) ESO's honor_labels caveat applies.
  readonly esoStatusCondition = new RenderedGauge(
    {
      name: 'externalsecret_status_condition',
      help: "ESO's: an ExternalSecret's condition, one series per condition and status (1 the current status, 0 the other).",
      labelNames: ['name', 'namespace', 'condition', 'status'],
      registers: [this.registry],
    },
    this.externalSecrets.condition,
  );
  readonly esoSyncCalls = new RenderedCounter(
    {
      name: 'externalsecret_sync_calls_total',
      help: "ESO's: reconciles of an ExternalSecret.",
      labelNames: ['name', 'namespace'],
      registers: [this.registry],
    },
    this.externalSecrets.syncCalls,
  );
  readonly esoSyncErrors = new RenderedCounter(
    {
      name: 'externalsecret_sync_calls_error',
      help: "ESO's: reconciles of an ExternalSecret that failed.",
      labelNames: ['name', 'namespace'],
      registers: [this.registry],
    },
    this.externalSecrets.syncErrors,
  );
  readonly esoReconcileDuration = new RenderedGauge(
    {
      name: 'externalsecret_reconcile_duration',
      help: "ESO's: duration of an ExternalSecret's last reconcile, in nanoseconds (a Go time.Duration, as ESO reports it).",
      labelNames: ['name', 'namespace'],
      registers: [this.registry],
    },
    this.externalSecrets.reconcileDuration,
  );
  readonly esoProviderApiCalls = new Counter({
    name: 'externalsecret_provider_api_calls_count',
    help: "ESO's: calls to a provider's API, by provider (e.g. GCP/SecretManager), call (e.g. AccessSecretVersion) and status (success, error).",
    labelNames: ['provider', 'call', 'status'],
    registers: [this.registry],
  });
  readonly reloaderReloads = new Counter({
    name: 'reloader_reload_executed_total',
    help: "Reloader's: workload restarts written (success=true) or that failed to be written (success=false).",
    labelNames: ['success'],
    registers: [this.registry],
  });
  readonly reloaderReloadsByNamespace = new Counter({
    name: 'reloader_reload_executed_total_by_namespace',
    help: "Reloader's (with METRICS_COUNT_BY_NAMESPACE=enabled there): reloader_reload_executed_total by the workload's namespace.",
    labelNames: ['success', 'namespace'],
    registers: [this.registry],
  });

  readonly backgroundFailures = new Counter({
    name: 'secretsync_background_failures_total',
    help: 'Work nobody waits for that failed, by task (event, store-status, client-close, event-source-stop); each is logged.',
    labelNames: ['task'],
    registers: [this.registry],
  });
  readonly unexpectedRejections = new Counter({
    name: 'secretsync_unexpected_rejections_total',
    help: 'Promise rejections nothing handled (a bug; each is logged). The process keeps serving: docs/reference.md.',
    registers: [this.registry],
  });

  constructor(withDefaults = true) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
    // Reloader shows both outcomes from the start, so that rate() and absent() work before the first.
    for (const success of ['true', 'false']) this.reloaderReloads.inc({ success }, 0);
  }

  /** Reports an informer's cache size under `informer` at each scrape (the last one registered wins). */
  countObjects(informer: string, size: () => number): void {
    this.informerSizes.set(informer, size);
  }

  /** Stops reporting an informer (it stopped). */
  uncountObjects(informer: string): void {
    this.informerSizes.delete(informer);
    this.informerObjects.remove({ informer });
  }

  /** One workload restart (Reloader's reload_executed counters). */
  reloaded(namespace: string, success: boolean): void {
    const s = String(success);
    this.reloaderReloads.inc({ success: s });
    this.reloaderReloadsByNamespace.inc({ success: s, namespace });
  }
}

/**
 * One series per object of a gauge whose other labels (a reason, a store) change: setting an
 * object's series removes the one it had with other labels, and forgetting the object removes it,
 * so the gauge has exactly one series per object it was told about.
 */
export class ObjectGauge<L extends string> {
  private readonly current = new Map<string, Record<L, string>>();

  constructor(private readonly gauge: Gauge<L>) {}

  set(key: string, labels: Record<L, string>, value: number): void {
    const prev = this.current.get(key);
    if (prev && !sameLabels(prev, labels)) this.gauge.remove(prev);
    this.current.set(key, labels);
    this.gauge.set(labels, value);
  }

  delete(key: string): void {
    const prev = this.current.get(key);
    if (!prev) return;
    this.gauge.remove(prev);
    this.current.delete(key);
  }

  has(key: string): boolean {
    return this.current.has(key);
  }

  /** The labels of an object's series, if it has one. */
  labels(key: string): Readonly<Record<L, string>> | undefined {
    return this.current.get(key);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
