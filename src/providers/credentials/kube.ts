// The Kubernetes side of every per-store identity: a TokenRequest for the ServiceAccount a store
// names, that ServiceAccount's annotations, and keys of the Secrets a store names — each failure
// turned into a message naming the object and the fix (a missing ServiceAccount, a missing RBAC
// verb in deploy/rbac.yaml, a missing key). Tokens are returned, never logged or quoted.

import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest } from '../../kube/request';
import { AuthError, UnavailableError } from '../core/errors';
import type { ProviderContext } from '../core/types';
import { countCall, type CredentialCache } from './cache';
import { describe, statusOf } from './errors';
import type { ResolvedKeyRef, ResolvedRef } from './refs';
import { resourcePath } from '../../kube/resources';

const RBAC = 'deploy/rbac.yaml';

/**
 * The apiserver requests behind a controller's ProviderContext: a TokenRequest (1 h) for a
 * ServiceAccount and a ServiceAccount read, in `namespace` when the ref names none. Failures
 * arrive as KubeApiError, which the functions below turn into messages.
 */
export function serviceAccountCalls(
  kc: KubeConfig,
  namespace: string,
): Required<Pick<ProviderContext, 'requestServiceAccountToken' | 'readServiceAccount'>> {
  const path = (ref: { name: string; namespace?: string }, subresource?: string) =>
    resourcePath('ServiceAccount', { namespace: ref.namespace ?? namespace, name: ref.name, subresource });
  return {
    requestServiceAccountToken: async (ref, audiences) => {
      const tr = await kubeRequest<{ status?: { token?: string; expirationTimestamp?: string } }>(kc, {
        method: 'POST',
        path: path(ref, 'token'),
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences, expirationSeconds: 3600 },
        },
        timeoutMs: 30_000,
      });
      const token = tr?.status?.token;
      if (!token) throw new Error('TokenRequest answered without a token');
      const exp = Date.parse(tr.status?.expirationTimestamp ?? '');
      return { token, expiresAt: Number.isFinite(exp) ? exp : Date.now() + 3600_000 };
    },
    readServiceAccount: async (ref) => {
      const sa = await kubeRequest<{ metadata?: { annotations?: Record<string, string> } }>(kc, {
        path: path(ref),
        timeoutMs: 30_000,
      });
      return { annotations: sa?.metadata?.annotations ?? {} };
    },
  };
}

function unavailable(what: string, err: unknown): UnavailableError {
  return new UnavailableError(`${what} failed: ${describe(err)}; retrying with backoff`, { cause: err });
}

/** A service-account token for `ref` with `audiences` (one TokenRequest, 1 h). */
export async function serviceAccountToken(
  ctx: ProviderContext,
  ref: ResolvedRef,
  audiences: string[],
): Promise<{ token: string; expiresAt: number }> {
  if (!ctx.requestServiceAccountToken) {
    throw new AuthError('ServiceAccount tokens cannot be requested in this context (offline validation)');
  }
  countCall('tokenRequest');
  try {
    return await ctx.requestServiceAccountToken(ref, audiences);
  } catch (err) {
    const code = statusOf(err);
    if (code === 404) {
      throw new AuthError(
        `ServiceAccount ${ref.namespace}/${ref.name} not found: create it, or fix the store's serviceAccountRef`,
        { cause: err },
      );
    }
    if (code === 403) {
      throw new AuthError(
        `the controller may not request a token for ServiceAccount ${ref.namespace}/${ref.name}: it lacks ` +
          `create on serviceaccounts/token (${RBAC})`,
        { cause: err },
      );
    }
    throw unavailable(`TokenRequest for ServiceAccount ${ref.namespace}/${ref.name}`, err);
  }
}

/** The annotations of ServiceAccount `ref`. */
export async function serviceAccountAnnotations(
  ctx: ProviderContext,
  ref: ResolvedRef,
): Promise<Record<string, string>> {
  if (!ctx.readServiceAccount) {
    throw new AuthError('ServiceAccounts cannot be read in this context (offline validation)');
  }
  try {
    return (await ctx.readServiceAccount(ref)).annotations;
  } catch (err) {
    const code = statusOf(err);
    if (code === 404) {
      throw new AuthError(
        `ServiceAccount ${ref.namespace}/${ref.name} not found: create it, or fix the store's serviceAccountRef`,
        { cause: err },
      );
    }
    if (code === 403) {
      throw new AuthError(
        `the controller may not read ServiceAccount ${ref.namespace}/${ref.name}: it lacks get on ` +
          `serviceaccounts (${RBAC})`,
        { cause: err },
      );
    }
    throw unavailable(`reading ServiceAccount ${ref.namespace}/${ref.name}`, err);
  }
}

/** The bytes under `ref.key` of Secret `ref`, named at `field` in messages. */
export async function secretKey(
  ctx: ProviderContext,
  ref: ResolvedKeyRef,
  field: string,
): Promise<Uint8Array> {
  let value: Uint8Array;
  try {
    value = await ctx.readSecretKey(ref);
  } catch (err) {
    const code = statusOf(err);
    if (code === 403) {
      throw new AuthError(
        `the controller may not read Secret ${ref.namespace}/${ref.name} (${field}): it lacks get on secrets (${RBAC})`,
        { cause: err },
      );
    }
    if (code !== undefined && code >= 500)
      throw unavailable(`reading Secret ${ref.namespace}/${ref.name}`, err);
    // The controller reports a missing Secret and a missing key alike.
    throw new AuthError(
      `key "${ref.key}" of Secret ${ref.namespace}/${ref.name} not found (${field}): create the Secret ` +
        'with that key, or fix the reference',
      { cause: err },
    );
  }
  if (value.length === 0) {
    throw new AuthError(`key "${ref.key}" of Secret ${ref.namespace}/${ref.name} is empty (${field})`);
  }
  return value;
}

/** How long a ServiceAccount's annotations are reused (stores created together read it once). */
export const ANNOTATIONS_TTL_MS = 60_000;

/** serviceAccountAnnotations through `cache`: one read per ServiceAccount per ~30 s, failures 10 s. */
export async function cachedAnnotations(
  ctx: ProviderContext,
  ref: ResolvedRef,
  cache: CredentialCache,
  now: () => number,
): Promise<Record<string, string>> {
  const entry = await cache.get(`sa|${ref.namespace}/${ref.name}`, async () => ({
    annotations: await serviceAccountAnnotations(ctx, ref),
    expiresAt: now() + ANNOTATIONS_TTL_MS,
  }));
  return entry.annotations;
}
