// One cache for every per-store credential, so that the calls to the apiserver (TokenRequest) and to
// the clouds' token services are bounded by the number of (store, generation, identity) entries
// and the credential lifetime — not by the number of ExternalSecrets or reconciles. Concurrent
// callers share one in-flight fetch; a credential is reused until shortly before it expires; a
// failure is remembered briefly so that a hundred ExternalSecrets on one broken store make one call.

import { systemClock, type Clock } from '../../runtime/clock';

/** Anything with an absolute expiry (ms since the epoch). */
export interface Expiring {
  expiresAt: number;
}

/** Refresh this long before expiry (GKE and EKS client libraries use 5 minutes too). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** How long a failure is served from the cache before the next attempt. */
export const FAILURE_TTL_MS = 10_000;

type Entry<T> =
  | { state: 'pending'; promise: Promise<T> }
  | { state: 'ok'; value: T; refreshAt: number }
  | { state: 'failed'; error: unknown; retryAt: number };

export class CredentialCache {
  private readonly entries = new Map<string, Entry<Expiring>>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly marginMs = REFRESH_MARGIN_MS,
    private readonly failureTtlMs = FAILURE_TTL_MS,
  ) {}

  /** The cached credential for `key`, or the result of `fetch` (shared by concurrent callers). */
  get<T extends Expiring>(key: string, fetch: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (e?.state === 'pending') return e.promise as Promise<T>;
    if (e?.state === 'ok' && now < e.refreshAt) return Promise.resolve(e.value as T);
    if (e?.state === 'failed' && now < e.retryAt) return Promise.reject(e.error);
    this.prune(now);
    const promise = fetch().then(
      (value) => {
        const start = this.clock.now();
        // Short-lived credentials are refreshed at half their remaining life instead.
        const margin = Math.min(this.marginMs, Math.max(0, (value.expiresAt - start) / 2));
        this.entries.set(key, { state: 'ok', value, refreshAt: value.expiresAt - margin });
        return value;
      },
      (error: unknown) => {
        this.entries.set(key, { state: 'failed', error, retryAt: this.clock.now() + this.failureTtlMs });
        throw error;
      },
    );
    this.entries.set(key, { state: 'pending', promise });
    return promise;
  }

  /** Forgets every entry whose key starts with `prefix` (all of them without one). */
  clear(prefix = ''): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  size(): number {
    return this.entries.size;
  }

  /** Drops entries that are of no further use (expired credentials, old failures). */
  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if ((e.state === 'ok' && e.value.expiresAt <= now) || (e.state === 'failed' && e.retryAt <= now)) {
        this.entries.delete(k);
      }
    }
  }
}

/** Calls made to obtain credentials, by kind, since start (what the cache bounds). */
export const identityCalls = {
  tokenRequest: 0,
  gcpStsExchange: 0,
  gcpGenerateAccessToken: 0,
  gcpKeyToken: 0,
  awsAssumeRoleWithWebIdentity: 0,
  awsAssumeRole: 0,
};
export type IdentityCall = keyof typeof identityCalls;

export function countCall(kind: IdentityCall): void {
  identityCalls[kind]++;
}

/** The process-wide cache every store's identity uses. */
export const sharedCache = new CredentialCache();
