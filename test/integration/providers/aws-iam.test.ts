// The aws provider against a moto that enforces IAM: a private moto_server (the testbed's, not
// shared, because switching IAM on is server-wide), with users whose inline policies grant only
// part of what the provider may call. A policy with secretsmanager:GetSecretValue alone is the
// common case: values must still arrive (BatchGetSecretValue and DescribeSecret fall back to
// GetSecretValue), and what cannot work must fail as AuthError naming the IAM action and principal.
// moto answers IAM denials of JSON services with an XML 403 the SDK cannot parse, so these cases
// cover the 403 path; AWS's own AccessDeniedException shapes are pinned in aws-errors.test.ts.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsClient } from '../../../src/providers/aws';
import { AuthError, ProviderError } from '../../../src/providers/core/errors';
import type { SecretsClient } from '../../../src/providers/core/types';
import { ensureMoto } from '../../../dev/testbed/install';
import { freePort } from '../../../dev/testbed/ports';
import { killGroup, spawnManaged, waitReady, type Managed } from '../../../dev/testbed/process';

const region = 'us-east-1';
const canary = `CANARY-${randomBytes(8).toString('hex')}`;
const account = '123456789012';
const errors: unknown[] = [];
const clients: SecretsClient[] = [];
let moto: Managed | undefined;
let endpoint = '';
const keys: Record<string, { accessKeyId: string; secretAccessKey: string }> = {};

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const arn = (user: string) => `arn:aws:iam::${account}:user/${user}`;

/** An unsigned IAM Query call (accepted while moto's IAM enforcement is still off). */
async function iam(params: Record<string, string>): Promise<string> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=setup/20250101/${region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action}: HTTP ${res.status}`);
  return body;
}

async function user(name: string, actions: string[]): Promise<void> {
  await iam({ Action: 'CreateUser', UserName: name });
  if (actions.length > 0) {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] };
    await iam({
      Action: 'PutUserPolicy',
      UserName: name,
      PolicyName: 'p',
      PolicyDocument: JSON.stringify(doc),
    });
  }
  const xml = await iam({ Action: 'CreateAccessKey', UserName: name });
  keys[name] = {
    accessKeyId: /<AccessKeyId>([^<]+)</.exec(xml)![1]!,
    secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(xml)![1]!,
  };
}

async function aws(name: string) {
  const counts: Record<string, number> = {};
  const c = await createAwsClient(
    { service: 'SecretsManager', region },
    {
      endpoint,
      credentials: keys[name]!,
      identity: arn(name),
      instrument: (client) =>
        client.middlewareStack.add(
          (next, context) => (args) => {
            const cmd = (context.commandName ?? '?').replace(/Command$/, '');
            counts[cmd] = (counts[cmd] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize', name: 'countCommands' },
        ),
    },
  );
  clients.push(c);
  return { c, counts };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    errors.push(err);
    if (!(err instanceof ProviderError)) throw err;
    return err;
  }
  throw new Error('expected the call to fail');
}

const names = ['iam/a', 'iam/b', 'iam/c'];

beforeAll(async () => {
  const bin = await ensureMoto(() => {});
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  const logFile = join(process.env.SECRETSYNC_TESTBED_ROOT ?? '/tmp', 'logs', `moto-iam-${port}.log`);
  moto = spawnManaged({
    name: 'moto-iam',
    command: bin,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    logFile,
  });
  await waitReady(moto, 'moto-iam', logFile, async () => (await fetch(`${endpoint}/moto-api/`)).ok, 60_000);
  await user('getter', ['secretsmanager:GetSecretValue']);
  await user('lister', ['secretsmanager:GetSecretValue', 'secretsmanager:ListSecrets']);
  await user('nobody', []);
  const admin = new SecretsManagerClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  for (const [i, Name] of names.entries()) {
    await admin.send(new CreateSecretCommand({ Name, SecretString: i === 0 ? canary : `value-${i}` }));
  }
  admin.destroy();
  // From here on every request must be signed by a known key and allowed by its user's policies.
  const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!res.ok) throw new Error(`reset-auth: HTTP ${res.status}`);
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  if (moto) await killGroup(moto.pid);
});

test('GetSecretValue only: getSecrets falls back from a denied BatchGetSecretValue, once', async () => {
  const { c, counts } = await aws('getter');
  const refs = names.map((key) => ({ key }));
  const first = await c.getSecrets!(refs);
  expect(text(first.get('iam/a@') as Uint8Array)).toBe(canary);
  expect(text(first.get('iam/c@') as Uint8Array)).toBe('value-2');
  expect(counts).toEqual({ BatchGetSecretValue: 1, GetSecretValue: 3 });
  await c.getSecrets!(refs);
  expect(counts).toEqual({ BatchGetSecretValue: 1, GetSecretValue: 6 });
});

test('GetSecretValue only: currentVersion falls back from a denied DescribeSecret, once per secret', async () => {
  const { c, counts } = await aws('getter');
  const v = await c.currentVersion!({ key: 'iam/b' });
  expect(v).toMatch(/^[0-9a-f-]{36}$/);
  expect(await c.currentVersion!({ key: 'iam/b' })).toBe(v);
  expect(counts).toEqual({ DescribeSecret: 1, GetSecretValue: 2 });
});

test('find without secretsmanager:ListSecrets is an AuthError naming the action and the principal', async () => {
  const { c } = await aws('getter');
  const e = await failure(c.findSecrets({ path: 'iam/' }));
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /^access denied in us-east-1: grant secretsmanager:ListSecrets \(resource "\*", needed by dataFrom.find\) to arn:aws:iam::123456789012:user\/getter/,
  );
});

test('ListSecrets + GetSecretValue: find works, values fetched one by one after the denied batch', async () => {
  const { c, counts } = await aws('lister');
  const out = await c.findSecrets({ path: 'iam/' });
  expect([...out.keys()]).toEqual(names);
  expect(text(out.get('iam/b')!)).toBe('value-1');
  expect(counts).toEqual({ ListSecrets: 1, BatchGetSecretValue: 1, GetSecretValue: 3 });
});

test('sweepVersions: refused without ListSecrets (AuthError, so the caller asks per key); with it, tags equal currentVersion', async () => {
  const getter = await aws('getter');
  const e = await failure(getter.c.sweepVersions!());
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /^access denied in us-east-1: grant secretsmanager:ListSecrets \(resource "\*", used to detect changes of many secrets in a few calls; without it each secret costs a DescribeSecret\) to arn:aws:iam::123456789012:user\/getter/,
  );
  const { c, counts } = await aws('lister');
  const sweep = await c.sweepVersions!();
  expect(sweep.calls).toBe(1);
  expect(counts).toEqual({ ListSecrets: 1 });
  // DescribeSecret is denied to this user: currentVersion's GetSecretValue fallback says the same.
  for (const key of names) {
    const tag = sweep.tagOf({ key });
    expect(tag).toMatch(/^[0-9a-f-]{36}$/);
    expect(await c.currentVersion!({ key })).toBe(tag);
  }
});

test('no permission at all: AuthError naming secretsmanager:GetSecretValue, the secret and the principal', async () => {
  const { c } = await aws('nobody');
  const e = await failure(c.getSecret({ key: 'iam/a' }));
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /^access denied in us-east-1: grant secretsmanager:GetSecretValue on secret "iam\/a" to arn:aws:iam::123456789012:user\/nobody/,
  );
  const many = await c.getSecrets!([{ key: 'iam/a' }, { key: 'iam/b' }]);
  for (const v of many.values()) {
    expect(v).toBeInstanceOf(AuthError);
    errors.push(v);
  }
  errors.push(await failure(c.currentVersion!({ key: 'iam/a' })));
});

test('the canary appears in no error', () => {
  expect(errors.length).toBeGreaterThanOrEqual(4);
  for (const err of errors) {
    const e = err as Error;
    expect(e.message).not.toContain(canary);
    expect(JSON.stringify(e)).not.toContain(canary);
    expect(inspect(e, { depth: 6, showHidden: true })).not.toContain(canary);
  }
});
