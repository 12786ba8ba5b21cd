// The process's one policy for a failure that no caller handled (docs/reference.md, "Unexpected
// failures"). Every promise in src/ is awaited or has its rejection handled (lint enforces it), so
// reaching here is a bug; the question is only whether the process may go on.
// - An unhandled rejection belongs to an operation that has already ended: what it would have
//   written is written again by the next reconcile, resync or refresh. Log, count, keep serving.
// - An uncaught exception stopped synchronous code part-way, somewhere unknown: in-memory state
//   (queues, indexes, caches) may be half-updated and nothing would repair it. Log and exit 1, so
//   that the Deployment restarts the process (a follower takes the lease when it expires).
// Only the error's name, message and stack are logged: its other fields (a provider response, a
// request body) and a reason that is not an Error at all may hold a secret value.
import { types } from 'node:util';
import type { Counter } from 'prom-client';
import type { AppLogger } from './logger';

export interface ErrorSummary {
  name: string;
  message: string;
  stack?: string;
}

/** What is safe to log about a thrown or rejected value: never its fields, never a non-Error. */
export function summarizeError(reason: unknown): ErrorSummary {
  // isNativeError also holds for errors from another realm (jest's VM contexts), unlike instanceof.
  if (reason instanceof Error || types.isNativeError(reason)) {
    return {
      name: reason.name,
      message: reason.message,
      ...(typeof reason.stack === 'string' && { stack: reason.stack }),
    };
  }
  const type = reason === null ? 'null' : typeof reason === 'object' ? 'object' : typeof reason;
  return { name: 'NonError', message: `a value of type ${type} that is not an Error (not logged)` };
}

export interface UnexpectedFailurePolicy {
  logger: AppLogger;
  /** secretsync_unexpected_rejections_total (an uncaught exception exits: nothing to scrape). */
  counter: Counter;
  /** Ends the process after an uncaught exception (tests pass a spy). */
  exit?: (code: number) => void;
}

/** Installs the handlers on `proc` (the process); returns a function that removes them. */
export function installUnexpectedFailurePolicy(
  policy: UnexpectedFailurePolicy,
  proc: NodeJS.EventEmitter = process,
): () => void {
  const exit = policy.exit ?? ((code: number) => process.exit(code));
  const onRejection = (reason: unknown) => {
    policy.counter.inc();
    policy.logger.error(
      { err: summarizeError(reason), policy: 'keep serving' },
      'unhandled promise rejection (a bug: please report it); the controller keeps serving',
    );
  };
  const onException = (err: unknown, origin: string) => {
    policy.logger.fatal(
      { err: summarizeError(err), origin, policy: 'exit 1' },
      'uncaught exception (a bug: please report it); exiting, state may be inconsistent',
    );
    exit(1);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
