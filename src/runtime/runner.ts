// The workers of a controller, as controller-runtime's controller runs them: N loops over one work
// queue that reconcile a key, apply its decision in one place, record the reconcile metrics
// (duration; queue depth every 2 s) under the controller's name, and log each result. Both
// controllers run their reconciles here; only what they reconcile and how they word it differs.
import { errorText, type Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { TimerHandle } from './clock';
import { applyDecision, type Decision, retry } from './decision';
import type { Key, WorkQueue } from './workqueue';
import { NOT_OURS } from './shard-member';

export type Handler<K> = (key: K) => Decision | Promise<Decision>;

export interface WorkerHooks<K> {
  /** After each reconcile: its decision and duration (queue clock). Errors thrown here are ignored. */
  onResult?: (key: K, decision: Decision, elapsedMs: number) => void;
}

/**
 * Runs `workers` concurrent loops: get a key, await handler(key), apply its decision, done(key).
 * A handler that throws (or returns something that is not a decision) counts as retry(error).
 * Resolves when the queue has been shut down and every worker has finished its current key.
 */
export async function runWorkers<K extends Key>(
  queue: WorkQueue<K>,
  workers: number,
  handler: Handler<K>,
  hooks: WorkerHooks<K> = {},
): Promise<void> {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`runWorkers: workers must be a whole number >= 1, got ${workers}`);
  }
  const loop = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const started = queue.clock.now();
      let decision: Decision;
      try {
        decision = await handler(key);
        if (!isDecision(decision)) decision = retry(new TypeError('reconcile returned no decision'));
      } catch (err) {
        decision = retry(err);
      }
      try {
        applyDecision(queue, key, decision);
      } finally {
        queue.done(key);
      }
      try {
        hooks.onResult?.(key, decision, queue.clock.now() - started);
      } catch {
        // Observability must never stall the queue.
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

function isDecision(d: unknown): d is Decision {
  if (typeof d !== 'object' || d === null) return false;
  const kind = (d as { kind?: unknown }).kind;
  return kind === 'done' || kind === 'retry' || kind === 'terminal';
}

/** How often the queue-depth gauge is set while the workers run. */
export const QUEUE_DEPTH_PERIOD_MS = 2000;

/** How a controller's results read in the log; a message left out is not logged. */
export interface ResultLog {
  /** The log field that names the key (`externalSecret`, `workload`). */
  keyField: string;
  /** warn, with `err`. */
  retry: string;
  /** Retries not worth a warning (e.g. a conflict, which is decided again at once). */
  quietRetry?: (err: unknown) => boolean;
  /** warn, with `reason`. */
  terminal?: string;
  /** debug, with `requeueAfterMs`. */
  done?: string;
}

export interface RunnerOptions<K extends Key> {
  /** The `controller` label of the reconcile metrics. */
  controller: string;
  queue: WorkQueue<K>;
  workers: number;
  reconcile: Handler<K>;
  metrics: Pick<Metrics, 'reconcileSeconds' | 'queueDepth'>;
  /** After each reconcile, besides the metrics and the log line (per-object metrics). */
  onResult?: (key: K, decision: Decision, elapsedMs: number) => void;
  logger: Pick<Logger, 'warn' | 'debug'>;
  results: ResultLog;
}

/** Runs the controller's workers until its queue shuts down (see runWorkers). Timers: the queue's clock. */
export function runReconcileWorkers<K extends Key>(opts: RunnerOptions<K>): Promise<void> {
  const { controller, queue, metrics } = opts;
  const clock = queue.clock;
  let depthTimer: TimerHandle | undefined;
  const reportDepth = (): void => {
    depthTimer = clock.setTimeout(() => {
      metrics.queueDepth.set({ controller }, queue.len());
      reportDepth();
    }, QUEUE_DEPTH_PERIOD_MS);
  };
  reportDepth();
  return runWorkers(queue, opts.workers, opts.reconcile, {
    onResult: (key, decision, elapsedMs) => {
      // Another replica's (--sharding): nothing was reconciled here.
      if (decision === NOT_OURS) return;
      metrics.reconcileSeconds.observe({ controller }, elapsedMs / 1000);
      logResult(opts.logger, opts.results, key, decision);
      opts.onResult?.(key, decision, elapsedMs);
    },
  }).finally(() => {
    if (depthTimer !== undefined) clock.clearTimeout(depthTimer);
  });
}

function logResult(log: Pick<Logger, 'warn' | 'debug'>, words: ResultLog, key: unknown, d: Decision): void {
  const named = { [words.keyField]: key };
  if (d.kind === 'retry') {
    if (!words.quietRetry?.(d.error)) log.warn({ ...named, err: errorText(d.error) }, words.retry);
  } else if (d.kind === 'terminal') {
    if (words.terminal) log.warn({ ...named, reason: d.reason }, words.terminal);
  } else if (words.done) log.debug({ ...named, requeueAfterMs: d.requeueAfterMs }, words.done);
}
