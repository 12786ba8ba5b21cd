// GKE Workload Identity for one store, done the way the GKE metadata server does it: the
// Kubernetes ServiceAccount token is exchanged at Google STS for a federated access token of the
// cluster's workload identity pool, which then impersonates the Google service account through IAM
// Credentials generateAccessToken. Each refusal is mapped to the setting that fixes it (the pool,
// the IAM binding, the cluster coordinates); server text is quoted only after redact().

import { AuthError, ThrottledError, UnavailableError } from '../core/errors';
import { countCall } from '../credentials/cache';
import { redact } from '../credentials/errors';
import { send, str, type FetchFn } from '../credentials/http';

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
export const DEFAULT_STS = 'https://sts.googleapis.com';
export const DEFAULT_IAMCREDENTIALS = 'https://iamcredentials.googleapis.com';

export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** What the exchange needs to know about the store and its ServiceAccount. */
export interface Federation {
  /** `<clusterProjectID>.svc.id.goog`. */
  pool: string;
  /** The STS audience: `identitynamespace:<pool>:<cluster's identity provider URL>`. */
  stsAudience: string;
  /** Audiences the ServiceAccount token was requested for. */
  tokenAudiences: string[];
  ksa: { namespace: string; name: string };
}

export function endpoints(env: Record<string, string | undefined>): { sts: string; iam: string } {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return {
    sts: trim(env.SECRETSYNC_GCP_STS_ENDPOINT || DEFAULT_STS),
    iam: trim(env.SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT || DEFAULT_IAMCREDENTIALS),
  };
}

/** The IAM member a federated token stands for: `serviceAccount:<pool>[<ns>/<ksa>]`. */
export function federatedMember(f: Pick<Federation, 'pool' | 'ksa'>): string {
  return `serviceAccount:${f.pool}[${f.ksa.namespace}/${f.ksa.name}]`;
}

function serverSays(status: number, body: Record<string, unknown> | undefined, text: string): string {
  const e = body?.error;
  if (typeof e === 'string') {
    const d = str(body, 'error_description');
    return redact(d ? `${e}: ${d}` : e);
  }
  if (typeof e === 'object' && e !== null) {
    const m = (e as { message?: unknown; status?: unknown }).message;
    const s = (e as { status?: unknown }).status;
    return redact(`${typeof s === 'string' ? `${s}: ` : ''}${typeof m === 'string' ? m : ''}`);
  }
  return redact(text || `HTTP ${status}`);
}

function expiry(now: number, expiresIn: unknown, fallbackSec = 3600): number {
  const s = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : fallbackSec;
  return now + s * 1000;
}

/** STS token exchange: the ServiceAccount JWT for a federated access token of the pool. */
export async function exchangeToken(
  fetchFn: FetchFn,
  stsEndpoint: string,
  f: Federation,
  subjectToken: string,
  now: () => number,
): Promise<AccessToken> {
  countCall('gcpStsExchange');
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    audience: f.stsAudience,
    scope: CLOUD_PLATFORM,
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
  });
  const res = await send(
    fetchFn,
    `${stsEndpoint}/v1/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    },
    'Google STS',
  );
  const token = str(res.body, 'access_token');
  if (res.status === 200 && token) return { token, expiresAt: expiry(now(), res.body?.expires_in) };
  throw stsError(res.status, res.body, res.text, f);
}

export function stsError(
  status: number,
  body: Record<string, unknown> | undefined,
  text: string,
  f: Federation,
): Error {
  const says = serverSays(status, body, text);
  const ksa = `${f.ksa.namespace}/${f.ksa.name}`;
  const code = str(body, 'error');
  if (status === 429)
    return new ThrottledError(`Google STS throttled the token exchange (${says}); retrying`);
  if (status >= 500)
    return new UnavailableError(`Google STS failed (HTTP ${status}: ${says}); retrying with backoff`);
  if (status === 200) return new UnavailableError('Google STS answered without an access_token; retrying');
  if (!f.tokenAudiences.includes(f.pool)) {
    return new AuthError(
      `Google STS refused the token of ServiceAccount ${ksa} (${says}): the token's audience ` +
        `${f.tokenAudiences.join(',')} is not the workload identity pool ${f.pool}: set clusterProjectID ` +
        `(or audiences) in the store's workloadIdentity so that the token is issued for ${f.pool}`,
    );
  }
  if (
    status === 404 ||
    code === 'invalid_target' ||
    /identitybindingtoken|identity provider|audience/i.test(says)
  ) {
    return new AuthError(
      `Google STS does not accept tokens of this cluster for the workload identity pool ${f.pool} ` +
        `(${says}; ESO users see "unable to fetch identitybindingtoken"): set clusterProjectID to the project ` +
        `that hosts the GKE cluster, check clusterLocation and clusterName (audience sent: ${f.stsAudience}), ` +
        'and enable Workload Identity on the cluster',
    );
  }
  return new AuthError(
    `Google STS refused the token of ServiceAccount ${ksa} for the workload identity pool ${f.pool} (${says}): ` +
      'check that Workload Identity is enabled on the cluster and that the store names its project, location and name',
  );
}

/** IAM Credentials generateAccessToken for `gsa`, authorised by the federated token. */
export async function impersonate(
  fetchFn: FetchFn,
  iamEndpoint: string,
  f: Federation,
  gsa: string,
  federated: string,
  now: () => number,
): Promise<AccessToken> {
  countCall('gcpGenerateAccessToken');
  const res = await send(
    fetchFn,
    `${iamEndpoint}/v1/projects/-/serviceAccounts/${encodeURIComponent(gsa)}:generateAccessToken`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${federated}`,
      },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: '3600s' }),
    },
    'Google IAM Credentials',
  );
  const token = str(res.body, 'accessToken');
  if (res.status === 200 && token) {
    const exp = Date.parse(str(res.body, 'expireTime') ?? '');
    return { token, expiresAt: Number.isFinite(exp) ? exp : now() + 3600_000 };
  }
  throw iamError(res.status, res.body, res.text, f, gsa);
}

export function iamError(
  status: number,
  body: Record<string, unknown> | undefined,
  text: string,
  f: Federation,
  gsa: string,
): Error {
  const says = serverSays(status, body, text);
  const member = federatedMember(f);
  const ksa = `${f.ksa.namespace}/${f.ksa.name}`;
  if (status === 429)
    return new ThrottledError(`Google IAM Credentials throttled generateAccessToken for ${gsa}; retrying`);
  if (status >= 500) {
    return new UnavailableError(
      `Google IAM Credentials failed for ${gsa} (HTTP ${status}: ${says}); retrying with backoff`,
    );
  }
  if (status === 403) {
    return new AuthError(
      `Google service account ${gsa} may not be impersonated by ServiceAccount ${ksa} (${says}): grant ` +
        `roles/iam.workloadIdentityUser on ${gsa} to ${member} (gcloud iam service-accounts ` +
        `add-iam-policy-binding ${gsa} --role roles/iam.workloadIdentityUser --member "${member}"), and check ` +
        `that ${gsa} exists (it is named by the iam.gke.io/gcp-service-account annotation of ${ksa})`,
    );
  }
  if (status === 404) {
    return new AuthError(
      `Google service account ${gsa} does not exist (${says}): fix the iam.gke.io/gcp-service-account ` +
        `annotation of ServiceAccount ${ksa}`,
    );
  }
  if (status === 400) {
    return new AuthError(
      `Google IAM Credentials rejected generateAccessToken for "${gsa}" (${says}): the ` +
        `iam.gke.io/gcp-service-account annotation of ServiceAccount ${ksa} must be a service account email`,
    );
  }
  return new AuthError(
    `Google IAM Credentials refused the federated token of ${member} (HTTP ${status}: ${says}); retrying`,
  );
}
