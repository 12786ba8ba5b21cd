// Fakes for AWS identity that moto does not check: a verifying front for STS (moto accepts any
// web-identity token) and the EKS Pod Identity agent. Both verify the Kubernetes service-account
// JWT against the apiserver's JWKS and a trust map, refuse the rest as AWS would, and forward what
// they accept to moto, whose credentials then work against moto's Secrets Manager. In front of a
// moto that enforces IAM (./aws-strict.ts) they are given its admin keys: an unsigned
// AssumeRoleWithWebIdentity is an HTTP 500 there, so the verified request is re-signed (AWS itself
// needs no signature on it), and the agent's AssumeRole is signed (the role's trust policy must
// allow that admin, standing in for the EKS service). Other STS calls (role chaining) are signed by
// the caller and forwarded with their Host intact.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { forward as forwardAsIs } from './aws-strict';
import { FakeServer, json, parseForm, type Reply } from './http';
import { JwksVerifier, TokenRejected, tokenFacts, type ServiceAccountClaims } from './jwt';
import { signedQuery, type AwsKeys } from './sigv4';

export interface Trust {
  roleArn: string;
  subjects: string[]; // system:serviceaccount:<ns>:<name>
  audience: string;
}

function stsError(code: string, message: string, status = 403): Reply {
  const body =
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  return { status, body, headers: { 'content-type': 'text/xml' }, detail: { error: code } };
}

/** Admin route setting the lifetime of the credentials a fake hands out (undefined: moto's hour). */
function ttlRoute(req: IncomingMessage, body: Buffer, url: URL, set: (s: number) => void): Reply | undefined {
  if (url.pathname !== '/_testbed/credential-ttl' || req.method !== 'POST') return undefined;
  const { seconds } = JSON.parse(body.toString()) as { seconds: number };
  set(seconds);
  return json(200, { seconds });
}

const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

async function forward(target: string, req: IncomingMessage, body: Buffer, url: URL): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection') headers[k] = v;
  }
  const res = await fetch(`${target}${url.pathname}${url.search}`, {
    method: req.method,
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
  });
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: out };
}

async function answer(res: Response): Promise<Reply> {
  return {
    status: res.status,
    body: Buffer.from(await res.arrayBuffer()),
    headers: { 'content-type': res.headers.get('content-type') ?? 'text/xml' },
  };
}

export function stsFront(motoUrl: string, verifier: JwksVerifier, signer?: AwsKeys): FakeServer {
  const trusts = new Map<string, Trust>();
  const upstream = new URL(motoUrl);
  const pass = async (req: IncomingMessage, body: Buffer, url: URL): Promise<Reply> => {
    if (!signer) return forward(motoUrl, req, body, url);
    const res = await forwardAsIs(upstream, req, body);
    return { status: res.status, body: res.body, headers: res.headers };
  };
  let ttlSec: number | undefined;
  return new FakeServer('aws-sts', async (req, body, url) => {
    const admin = ttlRoute(req, body, url, (s) => (ttlSec = s));
    if (admin) return admin;
    if (url.pathname === '/_testbed/trust' && req.method === 'POST') {
      const t = JSON.parse(body.toString()) as Trust;
      trusts.set(t.roleArn, t);
      return json(200, {});
    }
    const form = parseForm(body);
    if (form.Action !== 'AssumeRoleWithWebIdentity') return pass(req, body, url);
    const roleArn = form.RoleArn ?? '';
    const trust = trusts.get(roleArn);
    if (!trust) return stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    try {
      const claims = await verifier.verify(form.WebIdentityToken ?? '', trust.audience);
      if (!trust.subjects.includes(claims.sub)) {
        const reply = stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
        return { ...reply, detail: { roleArn, subject: claims.sub, error: 'AccessDenied' } };
      }
      const reply = signer
        ? await answer(await signedQuery(motoUrl, 'sts', form, signer))
        : await forward(motoUrl, req, body, url);
      if (ttlSec !== undefined && reply.status === 200) {
        const xml = (reply.body as Buffer).toString();
        reply.body = xml.replace(
          /<Expiration>[^<]*<\/Expiration>/,
          `<Expiration>${expiresIn(ttlSec)}</Expiration>`,
        );
      }
      return { ...reply, detail: { roleArn, subject: claims.sub }, token: tokenFacts(claims) };
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      const reply = stsError('InvalidIdentityToken', `Incorrect token: ${err.message}`, 400);
      return { ...reply, detail: { roleArn, rejected: err.message } };
    }
  });
}

const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

/** EKS Pod Identity agent: `Authorization: <projected SA token>` → temporary credentials. */
export function podIdentityAgent(motoUrl: string, verifier: JwksVerifier, signer?: AwsKeys): FakeServer {
  const associations = new Map<string, string>(); // system:serviceaccount:<ns>:<sa> → role ARN
  let ttlSec: number | undefined;
  return new FakeServer('eks-pod-identity', async (req, body, url) => {
    const admin = ttlRoute(req, body, url, (s) => (ttlSec = s));
    if (admin) return admin;
    if (url.pathname === '/_testbed/associations' && req.method === 'POST') {
      const a = JSON.parse(body.toString()) as { subject: string; roleArn: string };
      associations.set(a.subject, a.roleArn);
      return json(200, {});
    }
    if (url.pathname !== '/v1/credentials') return json(404, { message: 'not found' });
    let claims: ServiceAccountClaims;
    try {
      claims = await verifier.verify(String(req.headers.authorization ?? ''), POD_IDENTITY_AUDIENCE);
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      return json(401, { message: `invalid token: ${err.message}` }, { rejected: err.message });
    }
    const subject = claims.sub;
    const roleArn = associations.get(subject);
    if (!roleArn) return json(400, { message: `no pod identity association for ${subject}` }, { subject });
    const params = {
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: 'eks-pod-identity',
    };
    const res = signer
      ? await signedQuery(motoUrl, 'sts', params, signer)
      : await fetch(`${motoUrl}/`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization:
              'AWS4-HMAC-SHA256 Credential=testbed/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0',
          },
          body: new URLSearchParams(params).toString(),
        });
    const xml = await res.text();
    const pick = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1] ?? '';
    if (res.status !== 200) return json(502, { message: `moto AssumeRole failed: HTTP ${res.status}` });
    return {
      ...json(200, {
        AccessKeyId: pick('AccessKeyId'),
        SecretAccessKey: pick('SecretAccessKey'),
        Token: pick('SessionToken'),
        AccountId: /arn:aws:iam::(\d+):/.exec(roleArn)?.[1] ?? '',
        Expiration: ttlSec === undefined ? pick('Expiration') : expiresIn(ttlSec),
      }),
      detail: { subject, roleArn },
      token: tokenFacts(claims),
    };
  });
}
