// What a failed sync does next: one table from (reconcile step, error type) to a decision. Failures
// that retrying can fix (provider down or throttling, credentials refused — IAM grants and identity
// endpoints change outside Kubernetes, with no event — a remote key not found yet) back off per
// ExternalSecret, from about a second up to five minutes. Failures that the same inputs will
// reproduce (a reference the provider or the spec rejects, an invalid store config, a template
// error) are not retried: they wait for a change of the ExternalSecret or its store (both
// re-enqueue it), a rotation event, or the next periodic refresh — one attempt per refreshInterval
// instead of one per backoff step. Errors the table does not name are not ours to explain: the
// reconcile throws them and the worker backs off.
import { ES_REASON } from '../../api/constants';
import { DurationError } from '../../gocompat/duration';
import { TemplateError } from '../../gocompat/template';
import { KubeApiError } from '../../kube/request';
import { NoSecretError, ProviderError, ThrottledError, UnavailableError } from '../../providers/core/errors';
import { TemplateSourceMissing } from './template-from';

/**
 * After Ready=False:
 * - backoff: retry with per-key backoff;
 * - wait-for-refresh: no backoff; a change, a rotation event or the next periodic refresh tries again;
 * - wait-for-change: only a change of the ExternalSecret or its store tries again;
 * - terminal: the spec cannot work; forget the key until the object changes.
 */
export type AfterFailure = 'backoff' | 'wait-for-refresh' | 'wait-for-change' | 'terminal';

/** Ready=False with this reason and message, then `after`. */
export interface Failure {
  reason: string;
  message: string;
  after: AfterFailure;
  /** The error behind it; a backoff retry carries it (for logs and metrics). */
  cause?: unknown;
}

/** The reconcile steps that can fail; one error type can mean different things in different steps. */
export type SyncStep = 'spec' | 'stores' | 'tags' | 'sources' | 'fetch' | 'build' | 'write';

/**
 * What the table says about an error: report a failure; `remote-gone` (the remote key is confirmed
 * absent: deletionPolicy decides what happens to the Secret); `fall-back` (the version-tag check
 * gives up and the payload fetch reports the problem precisely); undefined: not a known failure.
 */
export type FailureOutcome = Failure | 'remote-gone' | 'fall-back' | undefined;

/** A store reference the ExternalSecret cannot use (not named, not found, not allowed). */
export class Blocked extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a write failure's message adds, by HTTP status. */
function writeHint(code: number): string {
  if (code === 422) return ' (a Secret holds at most 1 MiB of data)';
  if (code === 403) return ' (check deploy/rbac.yaml)';
  return '';
}

interface Rule<E> {
  /** The error type (instanceof), or any thrown value. */
  type: (abstract new (...args: never[]) => E) | 'any';
  steps: readonly SyncStep[];
  outcome(err: E, target: string): FailureOutcome;
}

const rule = <E>(r: Rule<E>): Rule<unknown> => r as Rule<unknown>;

/** First matching row wins. `target` is the Secret's `namespace/name`, for write messages. */
const FAILURES: readonly Rule<unknown>[] = [
  rule({
    type: DurationError,
    steps: ['spec'],
    outcome: (e) => ({
      reason: ES_REASON.InvalidSpec,
      message: `spec.refreshInterval: ${e.message}`,
      after: 'terminal',
    }),
  }),
  rule({
    type: Blocked,
    steps: ['stores', 'fetch'],
    outcome: (e) => ({ reason: e.reason, message: e.message, after: 'wait-for-change' }),
  }),
  // A store that is down or throttling fails the attempt at the tag check: asking it again for the
  // payloads would double both the wait (each call runs to its deadline) and the calls.
  rule({
    type: UnavailableError,
    steps: ['tags'],
    outcome: (e) => ({ reason: e.reason, message: e.message, after: 'backoff', cause: e }),
  }),
  rule({
    type: ThrottledError,
    steps: ['tags'],
    outcome: (e) => ({ reason: e.reason, message: e.message, after: 'backoff', cause: e }),
  }),
  rule({ type: 'any', steps: ['tags'], outcome: () => 'fall-back' }),
  rule({ type: NoSecretError, steps: ['fetch'], outcome: () => 'remote-gone' }),
  // A templateFrom ConfigMap or Secret (or a key of it) is missing: it may be created any moment
  // (an overlay applied out of order); its creation also re-renders at once (controller.ts).
  rule({
    type: TemplateSourceMissing,
    steps: ['sources', 'build'],
    outcome: (e) => ({ reason: e.reason, message: e.message, after: 'backoff', cause: e }),
  }),
  rule({
    type: ProviderError,
    steps: ['fetch', 'build'],
    outcome: (e) => ({
      reason: e.reason,
      message: e.message,
      after: e.retryable ? 'backoff' : 'wait-for-refresh',
      cause: e,
    }),
  }),
  rule({
    type: TemplateError,
    steps: ['fetch', 'build'],
    outcome: (e) => ({
      reason: ES_REASON.TemplateError,
      message: e.message,
      after: 'wait-for-refresh',
      cause: e,
    }),
  }),
  // The apiserver's answer names the problem (size limit, forbidden, invalid key), never a value.
  rule({
    type: KubeApiError,
    steps: ['write'],
    outcome: (e, target) => ({
      reason: ES_REASON.UpdateFailed,
      message: `writing Secret ${target} failed: ${e.message}${writeHint(e.code)}`,
      after: 'backoff',
      cause: e,
    }),
  }),
];

export function isFailure(x: unknown): x is Failure {
  return typeof x === 'object' && x !== null && 'reason' in x && 'after' in x;
}

/** What an error thrown in `step` means for the ExternalSecret (see FAILURES). */
export function failureFor(step: SyncStep, err: unknown, target = ''): FailureOutcome {
  for (const r of FAILURES) {
    if (!r.steps.includes(step)) continue;
    if (r.type === 'any' || err instanceof r.type) return r.outcome(err, target);
  }
  return undefined;
}

/**
 * How long a failure that waits for the next refresh waits: until `nextRefreshMs`, or (none, as for
 * OnChange and CreatedOnce) until something changes.
 */
export function requeueForRefresh(nowMs: number, nextRefreshMs: number | undefined): number | undefined {
  return nextRefreshMs === undefined ? undefined : Math.max(0, nextRefreshMs - nowMs);
}
