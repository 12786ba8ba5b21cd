// What an event source reports to the controller; implemented by the Pub/Sub and SQS sources.

export interface SourceSink {
  /** Remote secret names that changed; resolves once the affected objects are enqueued. */
  changed(names: string[]): Promise<void>;
  /** Counts events by result, for the metrics. */
  count(result: 'enqueued' | 'unknown' | 'ignored' | 'malformed'): void;
  /** The source's health, for the store's condition; `message` says what to fix. */
  status(ok: boolean, reason: string, message: string): void;
}

export interface EventSource {
  stop(): Promise<void>;
}
