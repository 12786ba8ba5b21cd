// The few HTTP calls identity makes itself (GCP STS, IAM Credentials, the GKE metadata server), on
// Node's fetch with a deadline. Failures to connect become UnavailableError naming the endpoint;
// answers are returned with their status and parsed JSON body for the caller to map.

import { UnavailableError } from '../core/errors';
import { describe } from './errors';

export type FetchFn = typeof fetch;

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: Record<string, unknown> | undefined;
  /** The raw body (never quoted in messages without redact()). */
  text: string;
}

export async function send(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  what: string,
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new UnavailableError(
      `cannot reach ${what} at ${new URL(url).origin}${typeof code === 'string' ? ` (${code})` : ''}: ` +
        `${describe(err)}; retrying with backoff`,
    );
  }
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** A string field of a JSON body, if present. */
export function str(body: Record<string, unknown> | undefined, field: string): string | undefined {
  const v = body?.[field];
  return typeof v === 'string' ? v : undefined;
}
