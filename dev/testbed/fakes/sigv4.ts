// AWS Signature Version 4 for the testbed's own Query-protocol calls (IAM, STS) to a moto that
// enforces IAM: every request there must be signed by a key moto knows. The SDK signs the
// provider's calls; this covers the services the project has no SDK client for.
import { createHash, createHmac } from 'node:crypto';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

/** RFC 3986 encoding, as SigV4's canonical query string wants it. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Headers (lower-case names) that sign a request: host, x-amz-date, authorization (+ token). */
export function signV4(
  req: { method: string; url: URL; headers: Record<string, string>; body: string },
  keys: AwsKeys,
  region: string,
  service: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: req.url.host, 'x-amz-date': amzDate };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  if (keys.sessionToken) headers['x-amz-security-token'] = keys.sessionToken;
  const names = Object.keys(headers).sort();
  const query = [...req.url.searchParams]
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const canonical = [
    req.method,
    req.url.pathname || '/',
    query,
    names.map((n) => `${n}:${headers[n]!.trim()}\n`).join(''),
    names.join(';'),
    sha256(req.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${keys.secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** A signed Query-protocol POST (form body); resolves with the XML body, rejects on HTTP errors. */
export async function queryCall(
  endpoint: string,
  service: string,
  params: Record<string, string>,
  keys: AwsKeys,
  region = 'us-east-1',
): Promise<string> {
  const res = await signedQuery(endpoint, service, params, keys, region);
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${params.Action}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** A signed Query-protocol POST (form body), answered as is. */
export async function signedQuery(
  endpoint: string,
  service: string,
  params: Record<string, string>,
  keys: AwsKeys,
  region = 'us-east-1',
): Promise<Response> {
  const url = new URL('/', endpoint);
  // Encoded as Python's urlencode does: moto re-encodes the parsed form to check the signature.
  const body = Object.entries(params)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`.replace(/%20/g, '+'))
    .join('&');
  const headers = signV4(
    {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    },
    keys,
    region,
    service,
  );
  // fetch sets Host itself (to url.host, as signed).
  const { host: _host, ...sent } = headers;
  return fetch(url, { method: 'POST', headers: sent, body });
}
