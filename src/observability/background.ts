// Work that a caller starts and does not wait for (an Event, a store's status, closing a client it
// dropped) still has an owner for its failure: it is logged with what it was for and counted by
// task (secretsync_background_failures_total), never left to become an unhandled rejection.
import { errorText, type Logger } from './log';
import type { Metrics } from './metrics';

export type BackgroundTask = 'event' | 'store-status' | 'client-close' | 'event-source-stop';

export interface BackgroundOwner {
  logger: Pick<Logger, 'warn'>;
  metrics?: Pick<Metrics, 'backgroundFailures'>;
}

/** Lets `work` run on; if it fails, logs `context` (names, never values) and counts the task. */
export function inBackground(
  owner: BackgroundOwner,
  task: BackgroundTask,
  work: Promise<unknown>,
  context: Record<string, unknown>,
): void {
  work.catch((err: unknown) => {
    owner.metrics?.backgroundFailures.inc({ task });
    owner.logger.warn({ ...context, task, err: errorText(err) }, `background ${task} failed`);
  });
}
