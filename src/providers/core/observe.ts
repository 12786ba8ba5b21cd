// Counts the calls of a provider's SDK facade (its SmApi) for ESO's provider_api_calls_count: one
// per request, failed or not; a paged listing counts once, when it ends.
import type { ApiCallObserver } from './types';

/** `fn`, telling `observe` of each call and whether it failed. */
export function observed<A extends unknown[], R>(
  observe: ApiCallObserver | undefined,
  provider: string,
  call: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  if (!observe) return fn;
  return async (...args) => {
    try {
      const r = await fn(...args);
      observe(provider, call, false);
      return r;
    } catch (err) {
      observe(provider, call, true);
      throw err;
    }
  };
}

/** A paged listing (an async iterable): one call when it is read to its end, stopped early, or fails. */
export function observedPages<A extends unknown[], T>(
  observe: ApiCallObserver | undefined,
  provider: string,
  call: string,
  fn: (...args: A) => AsyncIterable<T>,
): (...args: A) => AsyncIterable<T> {
  if (!observe) return fn;
  return (...args) =>
    (async function* () {
      let failed = false;
      try {
        yield* fn(...args);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        observe(provider, call, failed);
      }
    })();
}
