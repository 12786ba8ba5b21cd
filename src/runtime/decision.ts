// What a reconcile returns instead of touching the queue itself (DESIGN §5.2). The reconciler
// stays a function from state to decision; runWorkers (runner.ts) applies the decision in one
// place, so the requeue/backoff policy is uniform and testable.

export interface Done {
  readonly kind: 'done';
  /** Reconcile again after this many ms (e.g. the next refresh); absent: wait for a change. */
  readonly requeueAfterMs?: number;
}

export interface Retry {
  readonly kind: 'retry';
  /** Why it failed; for logs, events and metrics. The key is requeued with per-key backoff. */
  readonly error: unknown;
}

export interface Terminal {
  readonly kind: 'terminal';
  /** Why it cannot make progress (e.g. invalid spec). No requeue until the object changes. */
  readonly reason: string;
}

export type Decision = Done | Retry | Terminal;

/** Success. Resets the key's backoff; with requeueAfterMs, reconcile again after that delay. */
export function done(requeueAfterMs?: number): Done {
  if (requeueAfterMs === undefined) return { kind: 'done' };
  if (!Number.isFinite(requeueAfterMs) || requeueAfterMs < 0) {
    throw new RangeError(`done: requeueAfterMs must be a finite number >= 0, got ${requeueAfterMs}`);
  }
  return { kind: 'done', requeueAfterMs };
}

/** Transient failure: requeue with per-key exponential backoff. */
export function retry(error: unknown): Retry {
  return { kind: 'retry', error };
}

/** Permanent failure for the current object state: forget the key until an event re-adds it. */
export function terminal(reason: string): Terminal {
  return { kind: 'terminal', reason };
}

/** The part of a work queue a decision acts on. */
export interface RequeueTarget<K> {
  forget(key: K): void;
  addAfter(key: K, ms: number): void;
  addRateLimited(key: K): void;
}

/**
 * done → forget (reset backoff) and, if asked, addAfter(requeueAfterMs);
 * retry → addRateLimited (backoff grows until a later done/terminal forgets the key);
 * terminal → forget, no requeue.
 */
export function applyDecision<K>(queue: RequeueTarget<K>, key: K, decision: Decision): void {
  switch (decision.kind) {
    case 'done':
      queue.forget(key);
      if (decision.requeueAfterMs !== undefined) queue.addAfter(key, decision.requeueAfterMs);
      return;
    case 'retry':
      queue.addRateLimited(key);
      return;
    case 'terminal':
      queue.forget(key);
      return;
  }
}
