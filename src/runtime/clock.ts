// Time as a dependency. Every decision in the runtime (backoff, refresh due times, sync windows)
// takes a Clock instead of calling Date.now()/setTimeout directly, so unit tests drive time with
// ManualClock and never sleep.

declare const timerHandleBrand: unique symbol;

/** Opaque handle returned by Clock.setTimeout; only meaningful to the clock that issued it. */
export type TimerHandle = { readonly [timerHandleBrand]: never };

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Node's setTimeout fires immediately (with a warning) for delays above 2^31-1 ms (~24.8 days);
 * a refreshInterval of 720h is legal, so longer delays are split into a chain of shorter timers.
 */
export const MAX_NODE_TIMEOUT_MS = 2 ** 31 - 1;

interface SystemTimer {
  timer: NodeJS.Timeout | undefined;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const state: SystemTimer = { timer: undefined };
    const dueAt = Date.now() + Math.max(0, Number.isFinite(ms) ? ms : 0);
    const arm = (remaining: number): void => {
      if (remaining > MAX_NODE_TIMEOUT_MS) {
        state.timer = setTimeout(() => arm(dueAt - Date.now()), MAX_NODE_TIMEOUT_MS);
      } else {
        state.timer = setTimeout(fn, Math.max(0, remaining));
      }
    };
    arm(dueAt - Date.now());
    return state as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    const state = handle as unknown as SystemTimer;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
  },
};

interface ManualTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. advance(ms) fires every timer that falls due within the
 * step in due order (ties in creation order); while a timer runs, now() equals its due time, and
 * timers it sets that fall due within the step fire in the same advance.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: ManualTimer = { id: this.nextId++, dueAt: this.current + delay, fn };
    this.timers.set(timer.id, timer);
    return { id: timer.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** Moves time forward by ms, firing due timers on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.advanceTo(this.current + ms);
  }

  /** Moves time forward to an absolute instant, firing due timers on the way. */
  advanceTo(targetMs: number): void {
    if (!(targetMs >= this.current)) {
      throw new RangeError(`ManualClock.advanceTo: cannot go back from ${this.current} to ${targetMs}`);
    }
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.dueAt > targetMs) break;
      this.timers.delete(next.id);
      this.current = Math.max(this.current, next.dueAt);
      next.fn();
    }
    this.current = targetMs;
  }

  /** Number of timers not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.dueAt;
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers.values()) {
      if (best === undefined || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    }
    return best;
  }
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
