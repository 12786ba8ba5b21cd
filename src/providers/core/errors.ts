// Typed provider failures. Messages name what to fix and never include a secret value.

export abstract class ProviderError extends Error {
  /**
   * Whether retrying (with backoff) can help. When not, the ExternalSecret waits for a change of
   * itself or its store, or its next refresh (controllers/externalsecret/retry-policy.ts).
   */
  abstract readonly retryable: boolean;
  /** Stable reason for status conditions, Events and metrics. */
  abstract readonly reason: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The remote key (or the requested version) does not exist. Retryable: it is often created just
 * after the ExternalSecret (one apply), and without rotation events nothing else would say so.
 */
export class NoSecretError extends ProviderError {
  readonly retryable = true;
  readonly reason = 'RemoteKeyNotFound';
}

/** Credentials missing, rejected, or lacking a permission. */
export class AuthError extends ProviderError {
  readonly retryable = true;
  readonly reason = 'ProviderAuthFailed';
}

/** The provider rate-limited us. */
export class ThrottledError extends ProviderError {
  readonly retryable = true;
  readonly reason = 'ProviderThrottled';
}

/** The reference cannot be valid for this provider (bad name, bad version syntax, …). */
export class InvalidRefError extends ProviderError {
  readonly retryable = false;
  readonly reason = 'InvalidRemoteRef';
}

/** The provider is unavailable or failed in a way that a retry may fix. */
export class UnavailableError extends ProviderError {
  readonly retryable = true;
  readonly reason = 'ProviderUnavailable';
}
