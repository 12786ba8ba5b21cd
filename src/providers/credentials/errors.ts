// Typed failures of per-store identities, in the providers' error vocabulary (reconcile turns any
// ProviderError into Ready=False with its reason and message). Messages say what to fix; quoted
// server text passes through `redact` first, so a token never reaches a condition, Event or log.

import { ProviderError } from '../core/errors';

/** The store's auth block cannot work as written (a field to fix, a namespace rule broken). */
export class IdentityConfigError extends ProviderError {
  readonly retryable = false;
  readonly reason = 'InvalidProviderConfig';
}

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const GOOGLE_TOKEN = /\bya29\.[A-Za-z0-9._-]+/g;
const AWS_SECRETISH = /\b(?:ASIA|AKIA)[A-Z0-9]{12,}\b/g;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g;

/** Server text made safe to show: tokens and keys masked, whitespace folded, length bounded. */
export function redact(text: string, max = 300): string {
  const out = text
    .replace(PEM, '[key]')
    .replace(JWT, '[token]')
    .replace(GOOGLE_TOKEN, '[token]')
    .replace(AWS_SECRETISH, '[key id]')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** The HTTP status a failed Kubernetes call carried (KubeApiError.code, client-node's code). */
export function statusOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown; statusCode?: unknown } | null)?.code;
  if (typeof c === 'number') return c;
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** One line about an unexpected failure, redacted. */
export function describe(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}
