// A moto that enforces IAM, shaped like AWS. moto (server mode) checks every request once
// INITIAL_NO_AUTH_ACTION_COUNT requests have passed: the SigV4 signature against the key's secret
// (IAM users' keys, and STS-issued keys with their session token), then the caller's identity
// policies (inline and attached, user groups too) for `<service>:<Action>` on resource "*" — so
// secretsmanager:ListSecrets, BatchGetSecretValue, GetSecretValue and DescribeSecret are each
// checked as their own action, but Resource and Condition elements and resource policies are not,
// and BatchGetSecretValue does not also require GetSecretValue on each secret as AWS does.
// It refuses JSON services in the Query protocol's XML (403 AccessDenied, InvalidClientTokenId,
// SignatureDoesNotMatch), which the SDK cannot parse; AWS answers Secrets Manager with JSON
// (400 AccessDeniedException naming the action and why, UnrecognizedClientException,
// InvalidSignatureException). The front below forwards everything unchanged (Host too: it is
// signed) and rewrites those refusals into AWS's shape, recording action, caller key and outcome.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { FakeServer, type Reply } from './http';
import type { AwsKeys } from './sigv4';

/** The admin user the testbed creates before switching enforcement on (seeds, IAM setup). */
export const STRICT_ADMIN_USER = 'testbed-admin';

async function unsignedIam(motoUrl: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${motoUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // Read for the region only: enforcement is still off.
      authorization:
        'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`moto IAM ${params.Action}: HTTP ${res.status}`);
  return body;
}

/**
 * Creates an admin user (every action allowed) and switches moto's IAM enforcement on for every
 * later request; returns the admin's keys. Call once, on a moto no one else has used yet.
 */
export async function enforceIam(motoUrl: string): Promise<AwsKeys> {
  await unsignedIam(motoUrl, { Action: 'CreateUser', UserName: STRICT_ADMIN_USER });
  await unsignedIam(motoUrl, {
    Action: 'PutUserPolicy',
    UserName: STRICT_ADMIN_USER,
    PolicyName: 'admin',
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    }),
  });
  const xml = await unsignedIam(motoUrl, { Action: 'CreateAccessKey', UserName: STRICT_ADMIN_USER });
  const pick = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1] ?? '';
  const keys = { accessKeyId: pick('AccessKeyId'), secretAccessKey: pick('SecretAccessKey') };
  const res = await fetch(`${motoUrl}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!res.ok) throw new Error(`moto reset-auth: HTTP ${res.status}`);
  return keys;
}

export interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Forwards a request unchanged, Host included (SigV4 signs it), and reads the whole answer. */
export function forward(motoUrl: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: motoUrl.hostname,
        port: motoUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string' && !['content-length', 'transfer-encoding', 'connection'].includes(k))
              headers[k] = v;
          }
          resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** AWS's JSON error for one of moto's XML IAM refusals, or undefined when it is not one. */
export function awsJsonRefusal(
  xml: string,
  action: string,
  secretId: string | undefined,
): { code: string; message: string } | undefined {
  const code = /<Code>([^<]+)<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? '';
  switch (code) {
    case 'AccessDenied': {
      const who = /^User: (\S+) is not authorized/.exec(message)?.[1] ?? 'unknown';
      const on = secretId !== undefined ? ` on resource: ${secretId}` : '';
      return {
        code: 'AccessDeniedException',
        message: `User: ${who} is not authorized to perform: ${action}${on} because no identity-based policy allows the ${action} action`,
      };
    }
    case 'InvalidClientTokenId':
      return {
        code: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    case 'SignatureDoesNotMatch':
      return { code: 'InvalidSignatureException', message };
    default:
      return undefined;
  }
}

/** The front the testbed exports as the strict AWS endpoint (see the header). */
export function strictAwsFront(motoUrl: string): FakeServer {
  const upstream = new URL(motoUrl);
  return new FakeServer('aws-strict', async (req, body) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const res = await forward(upstream, req, body);
    const detail: Record<string, unknown> = { target, ...(accessKeyId !== undefined && { accessKeyId }) };
    const reply: Reply = { status: res.status, body: res.body, headers: res.headers, detail };
    if (!target.startsWith('secretsmanager.') || res.status !== 403) return reply;
    let secretId: string | undefined;
    try {
      const id = (JSON.parse(body.toString('utf8')) as { SecretId?: unknown }).SecretId;
      if (typeof id === 'string') secretId = id;
    } catch {
      /* not JSON: no resource to name */
    }
    const action = `secretsmanager:${target.slice('secretsmanager.'.length)}`;
    const refusal = awsJsonRefusal(res.body.toString('utf8'), action, secretId);
    if (!refusal) return reply;
    return {
      status: 400,
      body: JSON.stringify({ __type: refusal.code, Message: refusal.message }),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': refusal.code },
      detail: { ...detail, error: refusal.code },
    };
  });
}
