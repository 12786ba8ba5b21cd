// Per-store Google identities for `gcpsm.auth`, turned into what the gcpsm provider's factory
// accepts (GcpClientOptions.authClient and .identity):
//  - workloadIdentity.serviceAccountRef: GKE Workload Identity for a ServiceAccount other than the
//    controller's (TokenRequest → STS → generateAccessToken for the Google service account in its
//    iam.gke.io/gcp-service-account annotation, or the federated token itself without one);
//  - secretRef.secretAccessKeySecretRef: a service-account key file in a Secret.
// No auth: undefined, and the provider uses Application Default Credentials (the metadata server).
// Credentials live in the shared cache, keyed by store, generation and identity.

import type { GcpClientOptions } from '.';
import { UnavailableError } from '../core/errors';
import type { ProviderContext, SecretsClient } from '../core/types';
import { sharedCache, type CredentialCache } from '../credentials/cache';
import { IdentityConfigError } from '../credentials/errors';
import { tokenAuthClient } from './auth-client';
import {
  endpoints,
  exchangeToken,
  federatedMember,
  impersonate,
  type AccessToken,
  type Federation,
} from './federation';
import { jwtClient, keyToken, parseServiceAccountKey } from './key';
import { guarded } from '../credentials/guard';
import { send, type FetchFn } from '../credentials/http';
import { cachedAnnotations, serviceAccountToken, secretKey } from '../credentials/kube';
import { resolveKeyRef, resolveRef, storeKey, type ResolvedRef } from '../credentials/refs';

/** The annotation GKE reads to map a Kubernetes ServiceAccount to a Google service account. */
export const GSA_ANNOTATION = 'iam.gke.io/gcp-service-account';

const WI = 'gcpsm.auth.workloadIdentity';
const KEY = 'gcpsm.auth.secretRef.secretAccessKeySecretRef';

export interface GcpIdentityDeps {
  env?: Record<string, string | undefined>;
  fetch?: FetchFn;
  cache?: CredentialCache;
  now?: () => number;
}

export interface GcpStoreIdentity {
  authClient: NonNullable<GcpClientOptions['authClient']>;
  /** Who the credentials act as, when known, for PERMISSION_DENIED advice. */
  identity?: string;
  /** Obtains (or reuses) the access token; rejects with the identity's typed error. */
  ensure(): Promise<AccessToken>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(o: Obj, field: string, where: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new IdentityConfigError(`${where}.${field} must be a string`);
  return v;
}

/** The workload identity settings of a store, validated (pure; exported for tests). */
export function parseWorkloadIdentity(
  gcpsm: Obj,
  wi: Obj,
  ctx: Pick<ProviderContext, 'namespace' | 'store'>,
): {
  ksa: ResolvedRef;
  pool: string;
  clusterProjectID: string;
  clusterLocation?: string;
  clusterName?: string;
  audiences: string[];
} {
  const saRef = wi.serviceAccountRef;
  if (!isObj(saRef)) throw new IdentityConfigError(`${WI}.serviceAccountRef is required`);
  const ksa = resolveRef(saRef, `${WI}.serviceAccountRef`, ctx);
  const clusterProjectID = optString(wi, 'clusterProjectID', WI) ?? optString(gcpsm, 'projectID', 'gcpsm');
  if (clusterProjectID === undefined) {
    throw new IdentityConfigError(
      `${WI} needs the cluster's project: set ${WI}.clusterProjectID (or gcpsm.projectID when the ` +
        "secrets live in the cluster's project)",
    );
  }
  const pool = `${clusterProjectID}.svc.id.goog`;
  const aud = saRef.audiences;
  if (
    aud !== undefined &&
    aud !== null &&
    (!Array.isArray(aud) || aud.some((a) => typeof a !== 'string' || !a))
  ) {
    throw new IdentityConfigError(`${WI}.serviceAccountRef.audiences must be a list of non-empty strings`);
  }
  const audiences = Array.isArray(aud) && aud.length > 0 ? (aud as string[]) : [pool];
  const clusterLocation = optString(wi, 'clusterLocation', WI);
  const clusterName = optString(wi, 'clusterName', WI);
  return {
    ksa,
    pool,
    clusterProjectID,
    audiences,
    ...(clusterLocation !== undefined && { clusterLocation }),
    ...(clusterName !== undefined && { clusterName }),
  };
}

const discovered = new Map<string, string>();

/** clusterName / clusterLocation from the GKE metadata server, as ESO discovers them when unset. */
async function clusterAttribute(
  attr: 'cluster-name' | 'cluster-location',
  env: Record<string, string | undefined>,
  fetchFn: FetchFn,
): Promise<string> {
  const host = env.GCE_METADATA_HOST || 'metadata.google.internal';
  const id = `${host}|${attr}`;
  const hit = discovered.get(id);
  if (hit) return hit;
  const field = attr === 'cluster-name' ? 'clusterName' : 'clusterLocation';
  const fix = `set ${WI}.clusterName and ${WI}.clusterLocation (the GKE cluster's name and location)`;
  let value: string | undefined;
  try {
    const res = await send(
      fetchFn,
      `http://${host}/computeMetadata/v1/instance/attributes/${attr}`,
      { headers: { 'metadata-flavor': 'Google' } },
      'the GKE metadata server',
      3000,
    );
    if (res.status === 200 && res.text.trim() !== '') value = res.text.trim();
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
  }
  if (value === undefined) {
    throw new IdentityConfigError(
      `${WI}.${field} is not set and the metadata server does not know it: ${fix}`,
    );
  }
  discovered.set(id, value);
  return value;
}

function workloadIdentity(gcpsm: Obj, wi: Obj, ctx: ProviderContext, deps: Required<GcpIdentityDeps>) {
  const cfg = parseWorkloadIdentity(gcpsm, wi, ctx);
  const { sts, iam } = endpoints(deps.env);
  const key = `gcp-wi|${storeKey(ctx, gcpsm)}|${cfg.ksa.namespace}/${cfg.ksa.name}`;
  const fetchToken = async (): Promise<AccessToken> => {
    const clusterLocation =
      cfg.clusterLocation ?? (await clusterAttribute('cluster-location', deps.env, deps.fetch));
    const clusterName = cfg.clusterName ?? (await clusterAttribute('cluster-name', deps.env, deps.fetch));
    const f: Federation = {
      pool: cfg.pool,
      stsAudience:
        `identitynamespace:${cfg.pool}:https://container.googleapis.com/v1/projects/${cfg.clusterProjectID}` +
        `/locations/${clusterLocation}/clusters/${clusterName}`,
      tokenAudiences: cfg.audiences,
      ksa: cfg.ksa,
    };
    // Read on every refresh, so a changed annotation takes effect within the token's lifetime.
    const gsa = (await cachedAnnotations(ctx, cfg.ksa, deps.cache, deps.now))[GSA_ANNOTATION]?.trim();
    const { token } = await serviceAccountToken(ctx, cfg.ksa, cfg.audiences);
    const federated = await exchangeToken(deps.fetch, sts, f, token, deps.now);
    if (!gsa) return federated;
    return impersonate(deps.fetch, iam, f, gsa, federated.token, deps.now);
  };
  const ensure = () => deps.cache.get(key, fetchToken);
  const describeIdentity = async (): Promise<string | undefined> => {
    if (!ctx.readServiceAccount || !ctx.store) return undefined;
    const gsa = (await cachedAnnotations(ctx, cfg.ksa, deps.cache, deps.now))[GSA_ANNOTATION]?.trim();
    return gsa
      ? `serviceAccount:${gsa}`
      : `${federatedMember({ pool: cfg.pool, ksa: cfg.ksa })} (ServiceAccount ${cfg.ksa.namespace}/` +
          `${cfg.ksa.name} has no ${GSA_ANNOTATION} annotation, so its federated identity is used directly; ` +
          'annotate it with a Google service account to act as that one)';
  };
  return { ensure, describeIdentity };
}

function serviceAccountKey(
  gcpsm: Obj,
  secretRef: Obj,
  ctx: ProviderContext,
  deps: Required<GcpIdentityDeps>,
) {
  const ref = resolveKeyRef(
    isObj(secretRef.secretAccessKeySecretRef) ? secretRef.secretAccessKeySecretRef : undefined,
    KEY,
    ctx,
  );
  const where = `key "${ref.key}" of Secret ${ref.namespace}/${ref.name} (${KEY})`;
  const readKey = async () => parseServiceAccountKey(await secretKey(ctx, ref, KEY), where);
  const key = `gcp-key|${storeKey(ctx, gcpsm)}|${ref.namespace}/${ref.name}/${ref.key}`;
  const ensure = () =>
    deps.cache.get(key, async () => {
      const sa = await readKey();
      return keyToken(jwtClient(sa), sa.client_email, deps.now);
    });
  // A live context can read the key now: a broken file is reported before any call.
  const describeIdentity = async (): Promise<string | undefined> =>
    ctx.store ? `serviceAccount:${(await readKey()).client_email}` : undefined;
  return { ensure, describeIdentity };
}

/** The store's own Google identity, or undefined when it uses the controller's (no auth). */
export async function gcpStoreIdentity(
  gcpsm: unknown,
  ctx: ProviderContext,
  deps: GcpIdentityDeps = {},
): Promise<GcpStoreIdentity | undefined> {
  if (!isObj(gcpsm) || !isObj(gcpsm.auth)) return undefined;
  const auth = gcpsm.auth;
  const d: Required<GcpIdentityDeps> = {
    env: deps.env ?? process.env,
    fetch: deps.fetch ?? fetch,
    cache: deps.cache ?? sharedCache,
    now: deps.now ?? Date.now,
  };
  let chosen: { ensure: () => Promise<AccessToken>; describeIdentity: () => Promise<string | undefined> };
  // ESO's precedence: a key in a Secret wins over workload identity.
  if (isObj(auth.secretRef) && auth.secretRef.secretAccessKeySecretRef != null) {
    chosen = serviceAccountKey(gcpsm, auth.secretRef, ctx, d);
  } else if (isObj(auth.workloadIdentity)) {
    chosen = workloadIdentity(gcpsm, auth.workloadIdentity, ctx, d);
  } else if (auth.workloadIdentityFederation != null) {
    throw new IdentityConfigError(
      'gcpsm.auth.workloadIdentityFederation is not supported; use gcpsm.auth.workloadIdentity (GKE), ' +
        "gcpsm.auth.secretRef (a key file), or no auth for the controller's own identity",
    );
  } else if (Object.keys(auth).length === 0) {
    return undefined;
  } else {
    throw new IdentityConfigError(
      `gcpsm.auth (${Object.keys(auth).join(', ')}) names no usable identity: set workloadIdentity.serviceAccountRef ` +
        'or secretRef.secretAccessKeySecretRef',
    );
  }
  const identity = await chosen.describeIdentity();
  return {
    authClient: tokenAuthClient(chosen.ensure) as NonNullable<GcpClientOptions['authClient']>,
    ...(identity !== undefined && { identity }),
    ensure: chosen.ensure,
  };
}

/**
 * Builds a gcpsm client with the store's identity (the registry's gcpsm factory). Injected
 * credentials (opts.authClient) are used as given; without auth the provider uses ADC.
 */
export async function withGcpIdentity(
  spec: unknown,
  ctx: ProviderContext,
  opts: GcpClientOptions | undefined,
  create: (spec: unknown, opts?: GcpClientOptions) => Promise<SecretsClient>,
): Promise<SecretsClient> {
  if (opts?.authClient !== undefined) return create(spec, opts);
  const id = await gcpStoreIdentity(spec, ctx, { ...(opts?.env !== undefined && { env: opts.env }) });
  if (!id) return create(spec, opts);
  const client = await create(spec, {
    ...opts,
    authClient: id.authClient,
    ...(id.identity !== undefined && { identity: id.identity }),
  });
  return guarded(client, id.ensure);
}
