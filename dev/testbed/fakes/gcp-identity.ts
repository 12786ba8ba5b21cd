// Fakes of the Google identity endpoints that have no emulator: the GCE metadata server (ambient
// GKE Workload Identity), STS token exchange and IAM Credentials generateAccessToken (per-store
// federation). They verify the Kubernetes service-account JWT against the apiserver's JWKS, apply a
// configurable IAM binding map, and record each request (never the token itself).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeServer, bearer, json, parseForm, type Reply } from './http';
import { JwksVerifier, TokenRejected, tokenFacts } from './jwt';

export const TESTBED_PROJECT = 'testbed-project';
export const TESTBED_PROJECT_NUMBER = '123456789012';
export const CONTROLLER_GSA = `secretsync@${TESTBED_PROJECT}.iam.gserviceaccount.com`;

/** Access tokens issued by the fakes, mapped to the principal they stand for. */
export class GcpTokens {
  private tokens = new Map<string, { principal: string; expires: number }>();
  /** Lifetime of what the fakes issue: an hour, as Google's; shortened by resilience scenarios. */
  ttlSec = 3600;

  issue(principal: string, ttlSec = this.ttlSec): { token: string; expiresIn: number } {
    const token = `ya29.testbed-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { principal, expires: Date.now() + ttlSec * 1000 });
    return { token, expiresIn: ttlSec };
  }

  principal(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const t = this.tokens.get(token);
    return t && t.expires > Date.now() ? t.principal : undefined;
  }
}

function gcpError(code: number, status: string, message: string): Reply {
  return json(code, { error: { code, message, status } }, { error: status });
}

export function metadataServer(tokens: GcpTokens): FakeServer {
  let email = CONTROLLER_GSA;
  return new FakeServer('gce-metadata', (req: IncomingMessage, body, url) => {
    if (url.pathname === '/_testbed/identity' && req.method === 'POST') {
      email = (JSON.parse(body.toString()) as { email: string }).email;
      return json(200, { email });
    }
    // The lifetime of every token the GCP fakes issue from now on (metadata, STS, IAM Credentials).
    if (url.pathname === '/_testbed/token-ttl' && req.method === 'POST') {
      tokens.ttlSec = (JSON.parse(body.toString()) as { seconds: number }).seconds;
      return json(200, { seconds: tokens.ttlSec });
    }
    const headers = { 'metadata-flavor': 'Google' };
    if (url.pathname === '/' || url.pathname === '/computeMetadata/v1/') {
      return { status: 200, body: 'computeMetadata/\n', headers };
    }
    if (req.headers['metadata-flavor'] !== 'Google')
      return { status: 403, body: 'Missing Metadata-Flavor header' };
    const p = url.pathname.replace(/\/+$/, '');
    // google-auth probes this path to decide whether it runs on GCE/GKE.
    if (p === '/computeMetadata/v1/instance') return { status: 200, body: 'service-accounts/\n', headers };
    if (p === '/computeMetadata/v1/project/project-id')
      return { status: 200, body: TESTBED_PROJECT, headers };
    if (p === '/computeMetadata/v1/project/numeric-project-id') {
      return { status: 200, body: TESTBED_PROJECT_NUMBER, headers };
    }
    if (p === '/computeMetadata/v1/instance/service-accounts/default/email')
      return { status: 200, body: email, headers };
    if (p === '/computeMetadata/v1/instance/service-accounts/default/token') {
      const { token, expiresIn } = tokens.issue(`serviceAccount:${email}`);
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token, expires_in: expiresIn, token_type: 'Bearer' }),
        detail: { issuedTo: email },
      };
    }
    if (p === '/computeMetadata/v1/instance/service-accounts/default') {
      return {
        status: 200,
        headers,
        body: JSON.stringify({ email, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
      };
    }
    return { status: 404, body: 'not found', headers };
  });
}

/**
 * STS token exchange. The audience names the workload identity pool
 * (`identitynamespace:<project>.svc.id.goog:<provider>` as GKE sends, or `//iam.googleapis.com/...`);
 * the subject token must be a service-account JWT whose `aud` is the pool name.
 */
export function stsServer(tokens: GcpTokens, verifier: JwksVerifier): FakeServer {
  return new FakeServer('gcp-sts', async (req, body, url) => {
    if (url.pathname !== '/v1/token' || req.method !== 'POST')
      return gcpError(404, 'NOT_FOUND', 'unknown path');
    const isJson = (req.headers['content-type'] ?? '').includes('json');
    const f = isJson ? (JSON.parse(body.toString()) as Record<string, string>) : parseForm(body);
    const camel = (a: string, b: string) => f[a] ?? f[b];
    const grant = camel('grant_type', 'grantType');
    const subjectToken = camel('subject_token', 'subjectToken');
    const audience = camel('audience', 'audience') ?? '';
    if (grant !== 'urn:ietf:params:oauth:grant-type:token-exchange' || !subjectToken) {
      return json(400, {
        error: 'invalid_request',
        error_description: 'token-exchange grant with subject_token required',
      });
    }
    const pool =
      /identitynamespace:([^:]+)/.exec(audience)?.[1] ?? /workloadIdentityPools\/([^/]+)/.exec(audience)?.[1];
    if (!pool) {
      return json(
        400,
        {
          error: 'invalid_target',
          error_description: `audience ${audience} names no workload identity pool`,
        },
        { audience },
      );
    }
    try {
      const claims = await verifier.verify(subjectToken, pool);
      const [, , ns, sa] = claims.sub.split(':');
      const member = `serviceAccount:${pool}[${ns}/${sa}]`;
      const { token, expiresIn } = tokens.issue(member);
      return {
        ...json(
          200,
          {
            access_token: token,
            issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            token_type: 'Bearer',
            expires_in: expiresIn,
          },
          { audience, subject: claims.sub, member },
        ),
        token: tokenFacts(claims),
      };
    } catch (err) {
      const msg = err instanceof TokenRejected ? err.message : (err as Error).message;
      return json(
        400,
        { error: 'invalid_grant', error_description: `The subject token is invalid: ${msg}` },
        { audience, rejected: msg },
      );
    }
  });
}

/** IAM Credentials generateAccessToken, gated by roles/iam.workloadIdentityUser bindings. */
export function iamCredentialsServer(tokens: GcpTokens): FakeServer {
  const bindings = new Map<string, Set<string>>(); // GSA email → members allowed to impersonate
  return new FakeServer('gcp-iamcredentials', (req, body, url) => {
    if (url.pathname === '/_testbed/bindings' && req.method === 'POST') {
      const b = JSON.parse(body.toString()) as { gsa: string; member: string };
      bindings.set(b.gsa, (bindings.get(b.gsa) ?? new Set()).add(b.member));
      return json(200, {});
    }
    const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return gcpError(404, 'NOT_FOUND', 'unknown path');
    const gsa = decodeURIComponent(m[1]!);
    const caller = tokens.principal(bearer(req));
    if (!caller) return gcpError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    if (!bindings.get(gsa)?.has(caller)) {
      return gcpError(
        403,
        'PERMISSION_DENIED',
        `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`,
      );
    }
    const { token, expiresIn } = tokens.issue(`serviceAccount:${gsa}`);
    const expireTime = new Date(Date.now() + expiresIn * 1000).toISOString();
    return json(200, { accessToken: token, expireTime }, { gsa, caller });
  });
}
