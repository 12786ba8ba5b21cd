// What a failed sync waits for: a pure decision over the error. Failures that retrying can fix
// (provider down or throttling, credentials refused — IAM grants and identity endpoints change
// outside Kubernetes, with no event — a remote key not found yet) back off per ExternalSecret, from
// about a second up to five minutes. Failures that the same inputs will reproduce (a reference the
// provider or the spec rejects, an invalid store config, a template error) are not retried: they
// wait for a change of the ExternalSecret or its store (both re-enqueue it), a rotation event, or
// the next periodic refresh — one attempt per refreshInterval instead of one per backoff step.
import { ProviderError } from '../../providers/core/errors';
import { TemplateError } from '../../gocompat/template';

export type AfterFailure =
  | { then: 'backoff' }
  /** requeueAfterMs undefined: only a change (or a rotation event) tries again. */
  | { then: 'wait'; requeueAfterMs?: number };

/** Whether retrying the same inputs with backoff can succeed. */
export function retryable(err: unknown): boolean {
  if (err instanceof ProviderError) return err.retryable;
  if (err instanceof TemplateError) return false;
  return true; // unknown failures: retry, as before
}

/**
 * @param nowMs the time of the failed attempt
 * @param nextRefreshMs when the ExternalSecret's next periodic refresh falls (undefined: none)
 */
export function afterFailure(err: unknown, nowMs: number, nextRefreshMs: number | undefined): AfterFailure {
  if (retryable(err)) return { then: 'backoff' };
  if (nextRefreshMs === undefined) return { then: 'wait' };
  return { then: 'wait', requeueAfterMs: Math.max(0, nextRefreshMs - nowMs) };
}
