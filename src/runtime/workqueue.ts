// A work queue with client-go's guarantees (dedup by key; a key is never on two workers at once;
// per-key exponential backoff). The workers that drain it run in runner.ts.
// Informer events, the refresh scheduler and rotation events all feed it keys; only keys, never
// objects, so a burst of events for one object costs one reconcile.

import { type Clock, systemClock } from './clock';
import type { RequeueTarget } from './decision';
import { RefreshScheduler } from './scheduler';

export interface WorkQueueOptions {
  clock?: Clock;
  /** First retry delay (default 1000 ms). */
  baseDelayMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Largest retry delay (default 300000 ms = 5 min). */
  maxDelayMs?: number;
}

/** Delay before retry number failures+1: min(base · factor^failures, max). */
export function backoffDelay(failures: number, baseDelayMs = 1000, factor = 2, maxDelayMs = 300_000): number {
  return Math.min(baseDelayMs * Math.pow(factor, failures), maxDelayMs);
}

export type Key = NonNullable<unknown>;

/**
 * Semantics (as client-go's rate-limited delaying queue, with two deliberate differences noted):
 * - add(k) while k is queued: no-op (dedup). add(k) while k is being processed: k is marked and
 *   queued again when done(k) is called, so no two workers ever hold k.
 * - addAfter(k, ms): k is added after ms; of several pending delays the earliest wins.
 *   Difference: an immediate add(k) cancels a pending delayed add of k — the reconcile it
 *   triggers returns a fresh decision, which schedules whatever comes next.
 * - addRateLimited(k): addAfter with min(base·2^n, max), n = failures since the last forget(k).
 * - shutdown(): adds are ignored from then on, queued and delayed keys are dropped, get()
 *   resolves undefined; keys already handed out finish (drain() resolves when they are done).
 *   Difference: client-go hands out the remaining queued keys first; a controller that lost
 *   its lease should stop promptly instead.
 */
export class WorkQueue<K extends Key = string> implements RequeueTarget<K> {
  readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly factor: number;
  private readonly maxDelayMs: number;

  // A key waits in the queue iff it is dirty and not processing; `items` and `front` may also hold
  // stale entries of keys taken through another entry (promote), which take() skips.
  private items: K[] = [];
  private head = 0;
  private front: K[] = [];
  private waiting = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly delayed: RefreshScheduler<K>;
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.factor = options.factor ?? 2;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    this.delayed = new RefreshScheduler<K>(this.clock);
    this.delayed.onDue((key) => this.add(key));
  }

  add(key: K): void {
    if (this.shuttingDown) return;
    this.delayed.cancel(key);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.items.push(key);
    this.waiting++;
    this.dispatch();
  }

  /** Whether the key waits to be handed out (not delayed, not processing). */
  isWaiting(key: K): boolean {
    return this.dirty.has(key) && !this.processing.has(key);
  }

  /** Moves a waiting key to the front of the queue (it is handed out before the others). */
  promote(key: K): boolean {
    if (this.shuttingDown || !this.isWaiting(key)) return false;
    this.front.push(key);
    return true;
  }

  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const dueAt = this.clock.now() + ms;
    const pending = this.delayed.dueAt(key);
    if (pending !== undefined && pending <= dueAt) return;
    this.delayed.schedule(key, dueAt);
  }

  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, backoffDelay(failures, this.baseDelayMs, this.factor, this.maxDelayMs));
  }

  /** Resets the key's failure count (its next addRateLimited waits the base delay again). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for the key since the last forget. */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key to process; undefined once the queue is shut down. Pair every key with done(key). */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key as no longer processing; re-queues it if it was added meanwhile. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.shuttingDown) {
      this.checkDrained();
      return;
    }
    if (this.dirty.has(key)) {
      this.items.push(key);
      this.waiting++;
      this.dispatch();
    }
  }

  /** Keys ready to be handed out (the queue-depth metric). */
  len(): number {
    return this.waiting;
  }

  /** Keys waiting for a delay (requeue-after or backoff). */
  delayedLen(): number {
    return this.delayed.size();
  }

  /** Keys handed out and not yet done. */
  processingLen(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out work; returns drain(). */
  shutdown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.items = [];
      this.head = 0;
      this.front = [];
      this.waiting = 0;
      this.dirty.clear();
      this.delayed.clear();
      for (const w of this.waiters.splice(0)) w(undefined);
    }
    const drained = this.drain();
    this.checkDrained();
    return drained;
  }

  /** Resolves once the queue is shut down and every handed-out key is done. */
  drain(): Promise<void> {
    if (this.shuttingDown && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private checkDrained(): void {
    if (this.shuttingDown && this.processing.size === 0) for (const d of this.drainWaiters.splice(0)) d();
  }

  private take(): K | undefined {
    while (this.front.length > 0) {
      const key = this.front.shift() as K;
      if (this.isWaiting(key)) return this.claim(key);
    }
    while (this.head < this.items.length) {
      const key = this.items[this.head] as K;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.isWaiting(key)) return this.claim(key);
    }
    return undefined;
  }

  private claim(key: K): K {
    this.waiting--;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.len() > 0) {
      const waiter = this.waiters.shift();
      const key = this.take();
      if (waiter !== undefined) waiter(key);
    }
  }
}
