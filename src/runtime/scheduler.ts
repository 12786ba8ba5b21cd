// The one refresh scheduler (DESIGN §3 "Refresh"): a binary min-heap of (due time, key) with a
// single timer armed for the earliest entry, so 10k ExternalSecrets cost 10k heap slots, not
// 10k timers. nextRefresh() is the pure due-time rule, with per-key deterministic jitter so
// objects created together drift apart instead of coming due in the same second forever.

import { createHash } from 'node:crypto';
import { type Clock, type TimerHandle } from './clock';

interface Entry<K> {
  key: K;
  dueAt: number;
  /** Tie-breaker: among equal due times, earlier schedule() calls fire first. */
  seq: number;
  index: number;
}

export type DueCallback<K> = (key: K, dueAtMs: number) => void;

export class RefreshScheduler<K = string> {
  private readonly heap: Entry<K>[] = [];
  private readonly byKey = new Map<K, Entry<K>>();
  private readonly listeners: DueCallback<K>[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  private armedFor: number | undefined;
  private firing = false;

  constructor(private readonly clock: Clock) {}

  /** Sets the key's due time, replacing any earlier entry for it (earlier or later). */
  schedule(key: K, dueAtMs: number): void {
    if (!Number.isFinite(dueAtMs)) throw new RangeError(`schedule: dueAtMs must be finite, got ${dueAtMs}`);
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      const earlier = dueAtMs < existing.dueAt;
      existing.dueAt = dueAtMs;
      existing.seq = this.seq++;
      if (earlier) this.siftUp(existing.index);
      else this.siftDown(existing.index);
    } else {
      const entry: Entry<K> = { key, dueAt: dueAtMs, seq: this.seq++, index: this.heap.length };
      this.heap.push(entry);
      this.byKey.set(key, entry);
      this.siftUp(entry.index);
    }
    this.rearm();
  }

  /** Removes the key; returns whether it was scheduled. */
  cancel(key: K): boolean {
    const entry = this.byKey.get(key);
    if (entry === undefined) return false;
    this.removeAt(entry.index);
    this.rearm();
    return true;
  }

  /** Registers a callback for keys falling due (each key once per schedule). Returns an unsubscribe function. */
  onDue(callback: DueCallback<K>): () => void {
    this.listeners.push(callback);
    return () => {
      const i = this.listeners.indexOf(callback);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  size(): number {
    return this.heap.length;
  }

  /** The key's current due time, if scheduled. */
  dueAt(key: K): number | undefined {
    return this.byKey.get(key)?.dueAt;
  }

  /** Due time of the earliest entry, if any. */
  peekDueAt(): number | undefined {
    return this.heap[0]?.dueAt;
  }

  /** Drops every entry and the timer (e.g. on losing leadership or shutdown). */
  clear(): void {
    this.byKey.clear();
    this.heap.length = 0;
    this.rearm();
  }

  private onTimer = (): void => {
    this.timer = undefined;
    this.armedFor = undefined;
    this.fireDue();
  };

  private fireDue(): void {
    this.firing = true;
    try {
      for (;;) {
        const top = this.heap[0];
        if (top === undefined || top.dueAt > this.clock.now()) break;
        this.removeAt(0);
        // Removed before the callbacks run, so a callback may reschedule the same key.
        for (const cb of [...this.listeners]) cb(top.key, top.dueAt);
      }
    } finally {
      this.firing = false;
      this.rearm();
    }
  }

  /** Keeps exactly one timer, armed for the earliest due time. */
  private rearm(): void {
    if (this.firing) return;
    const top = this.heap[0];
    if (top !== undefined && this.timer !== undefined && this.armedFor === top.dueAt) return;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = undefined;
    }
    if (top === undefined) return;
    this.armedFor = top.dueAt;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, top.dueAt - this.clock.now()));
  }

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return;
    this.heap[i] = b;
    this.heap[j] = a;
    b.index = i;
    a.index = j;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const child = this.heap[i];
      const up = this.heap[parent];
      if (child === undefined || up === undefined || !this.less(child, up)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      const at = (k: number): Entry<K> => this.heap[k] as Entry<K>;
      if (l < n && this.less(at(l), at(smallest))) smallest = l;
      if (r < n && this.less(at(r), at(smallest))) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private removeAt(i: number): void {
    const entry = this.heap[i];
    if (entry === undefined) return;
    const last = this.heap.length - 1;
    this.swap(i, last);
    this.heap.pop();
    this.byKey.delete(entry.key);
    if (i < this.heap.length) {
      this.siftUp(i);
      this.siftDown(i);
    }
  }
}

export interface NextRefreshInput {
  /** When the last successful sync finished (ms epoch). */
  lastSuccessMs: number;
  /** refreshInterval in ms; 0 means fetch once (no refresh). */
  intervalMs: number;
  /** Stable identity of the object (e.g. "namespace/name"); the jitter is derived from it. */
  key: string;
  /** Largest fraction of the interval by which a refresh may be pulled forward; default 0.1. */
  jitterFraction?: number;
}

/**
 * A number in [0, 1) derived from the key alone (SHA-256, first 48 bits), so that the jitter is
 * the same after a restart and different between objects.
 */
export function jitterUnit(key: string): number {
  const digest = createHash('sha256').update('secretsync/refresh-jitter\0').update(key, 'utf8').digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * A due time in [startMs, startMs + intervalMs) fixed by the key: spreads work that is already
 * overdue when a process starts over one interval instead of doing it all at once.
 */
export function spreadAfter(startMs: number, intervalMs: number, key: string): number {
  return startMs + Math.floor(jitterUnit(key) * intervalMs);
}

/**
 * Next refresh due time: lastSuccess + interval − jitter, jitter ∈ [0, jitterFraction·interval]
 * from the key. Jitter only ever makes a refresh earlier, never later than the interval a user
 * asked for. Returns undefined when intervalMs is 0 (fetch once).
 */
export function nextRefresh(input: NextRefreshInput): number | undefined {
  const { lastSuccessMs, intervalMs, key, jitterFraction = 0.1 } = input;
  if (!Number.isFinite(lastSuccessMs)) throw new RangeError(`nextRefresh: lastSuccessMs must be finite`);
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`nextRefresh: intervalMs must be a finite number >= 0, got ${intervalMs}`);
  }
  if (!(jitterFraction >= 0 && jitterFraction <= 1)) {
    throw new RangeError(`nextRefresh: jitterFraction must be in [0, 1], got ${jitterFraction}`);
  }
  if (intervalMs === 0) return undefined;
  const jitter = Math.floor(jitterUnit(key) * jitterFraction * intervalMs);
  return lastSuccessMs + intervalMs - jitter;
}
