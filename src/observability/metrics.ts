// prom-client metrics. Labels carry kinds, results and reasons — never names of remote keys'
// values, never values.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  readonly leader = new Gauge({
    name: 'secretsync_leader',
    help: '1 while this replica holds the leader lease.',
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
  }
}
