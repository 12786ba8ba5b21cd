// Wraps a provider client so that close() waits for the calls in flight. The controller closes a
// store's client when the store changes or is deleted, while reconciles and the store's validation
// may still be using it; closing the SDK under a call fails that call in ways the provider's error
// mapping never expected (a namespace delete once took the process down this way). Calls made
// after the client closed are refused with a retryable error: the store they were for is gone or
// has a new client.
import { decorate } from '../../providers/core/decorate';
import { UnavailableError } from '../../providers/core/errors';
import type { SecretsClient } from '../../providers/core/types';

export function closeAfterCalls(inner: SecretsClient, store: string): SecretsClient {
  let inFlight = 0;
  let idle: (() => void)[] = [];
  let closing: Promise<void> | undefined;
  let closed = false;
  const settled = async () => {
    while (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
  };
  return decorate(inner, async (op, call) => {
    if (op === 'close') {
      // Once, however many times it is asked (close() returns void, so T is void here).
      closing ??= settled().then(async () => {
        closed = true;
        await call();
      });
      return closing as Promise<Awaited<ReturnType<typeof call>>>;
    }
    if (closed)
      throw new UnavailableError(
        `the client of ${store} was closed (the store changed or was deleted); retrying`,
      );
    inFlight++;
    try {
      return await call();
    } finally {
      if (--inFlight === 0) {
        const waiting = idle;
        idle = [];
        for (const resolve of waiting) resolve();
      }
    }
  });
}
