// Starts and stops one event source per store that asks for one (annotation
// secretsync.io/pubsub-subscription or secretsync.io/sqs-queue-url), on the leader only, and
// turns each notification into immediate refreshes of exactly the affected ExternalSecrets.
// Polling stays on as the safety net; a broken source only sets the store's RotationEvents
// condition.
import { ANNOTATION } from '../api/constants';
import { inBackground } from '../observability/background';
import type { AppLogger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { startPubSubSource } from './pubsub';
import type { EventSource } from './source';
import { startSqsSource } from './sqs';
import type { Clock } from '../runtime/clock';

export interface EventStore {
  id: string;
  annotations: Record<string, string>;
  region?: string;
}

export interface RotationEventsOptions {
  logger: AppLogger;
  metrics: Metrics;
  /** Enqueues the ExternalSecrets reading these remote names from the store; returns how many. */
  refresh(storeId: string, names: string[]): number;
  condition(storeId: string, ok: boolean, reason: string, message: string): void;
  /** Reconnect backoffs; default the system clock. */
  clock?: Clock;
}

export class RotationEvents {
  private readonly running = new Map<string, { config: string; source: EventSource }>();

  constructor(private readonly opts: RotationEventsOptions) {}

  /** Brings the store's source in line with its annotations. */
  sync(store: EventStore): void {
    const sub = store.annotations[ANNOTATION.pubsubSubscription];
    const queue = store.annotations[ANNOTATION.sqsQueueUrl];
    const config = sub ? `pubsub:${sub}` : queue ? `sqs:${queue}` : '';
    const current = this.running.get(store.id);
    if (current?.config === config) return;
    if (current) {
      this.running.delete(store.id);
      inBackground(this.opts, 'event-source-stop', current.source.stop(), { store: store.id });
    }
    if (!config) return;
    const kind = sub ? 'pubsub' : 'sqs';
    const sink = {
      changed: async (names: string[]) => {
        const n = this.opts.refresh(store.id, names);
        this.opts.metrics.rotationEvents.inc({ source: kind, result: n > 0 ? 'enqueued' : 'unknown' });
        this.opts.logger.info({ store: store.id, secrets: names, externalSecrets: n }, 'rotation event');
      },
      count: (result: 'enqueued' | 'unknown' | 'ignored' | 'malformed') => {
        this.opts.metrics.rotationEvents.inc({ source: kind, result });
        if (result === 'malformed')
          this.opts.logger.warn({ store: store.id }, 'malformed rotation event acked (payload not logged)');
      },
      status: (ok: boolean, reason: string, message: string) =>
        this.opts.condition(store.id, ok, reason, message),
      reconnecting: (attempt: number, delayMs: number) =>
        this.opts.logger.debug(
          { store: store.id, source: kind, attempt, delayMs },
          'rotation event source reconnecting',
        ),
      debug: (fields: Record<string, unknown>, msg: string) =>
        this.opts.logger.debug({ store: store.id, source: kind, ...fields }, msg),
    };
    const source = sub
      ? startPubSubSource(sub, sink, this.opts.clock)
      : startSqsSource(queue!, store.region, sink, this.opts.clock);
    this.running.set(store.id, { config, source });
  }

  remove(storeId: string): void {
    const current = this.running.get(storeId);
    this.running.delete(storeId);
    if (current) inBackground(this.opts, 'event-source-stop', current.source.stop(), { store: storeId });
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.source.stop()));
  }
}
