// What an event source reports to the controller; implemented by the Pub/Sub and SQS sources.

export interface SourceSink {
  /** Remote secret names that changed; resolves once the affected objects are enqueued. */
  changed(names: string[]): Promise<void>;
  /** Counts events by result, for the metrics. */
  count(result: 'enqueued' | 'unknown' | 'ignored' | 'malformed'): void;
  /** The source's health, for the store's condition; `message` says what to fix. */
  status(ok: boolean, reason: string, message: string): void;
  /** A (re)connection attempt after a failure, and the delay that preceded it (for the log). */
  reconnecting?(attempt: number, delayMs: number): void;
  /** Debug detail about the connection (never message contents). */
  debug?(fields: Record<string, unknown>, msg: string): void;
}

export interface EventSource {
  stop(): Promise<void>;
}

/**
 * Reconnection after the source's connection fails: the first retry after `initialMs`, doubling
 * per failed attempt up to `maxMs`, back to `initialMs` once connected. One attempt is one cheap
 * call (GetSubscription, ReceiveMessage), so the cap bounds both the load during a long outage and
 * how late events resume after it ends; polling covers the gap either way.
 */
export const RECONNECT = { initialMs: 1_000, maxMs: 15_000 } as const;

export function nextReconnectDelay(delayMs: number): number {
  return Math.min(delayMs * 2, RECONNECT.maxMs);
}

/** SQS long-poll wait (ReceiveMessage WaitTimeSeconds, the maximum SQS allows). */
export const SQS_WAIT_SECONDS = 20;

/** A long poll's deadline: its wait plus time for the answer (a hanging connection fails then). */
export const SQS_RECEIVE_TIMEOUT_MS = SQS_WAIT_SECONDS * 1000 + 10_000;
