// The aws provider against the testbed's moto (AWS_ENDPOINT_URL), with secrets created through the
// real SDK: string and binary values, stages and uuid/ versions, JSON properties, the store prefix,
// getSecrets batching and currentVersion (SDK commands counted by a middleware on the provider's
// own client), find by regexp, tags and path across ListSecrets pages, NotFound messages — and a
// planted canary that must never surface in an error. moto's state is shared by parallel test
// files, so every name carries this run's unique prefix.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { createAwsClient, type AwsClientOptions } from '../../../src/providers/aws';
import { NoSecretError, ProviderError, UnavailableError } from '../../../src/providers/core/errors';
import { extractProperty } from '../../../src/gocompat/gjson';
import type { SecretsClient } from '../../../src/providers/core/types';

const sm = new SecretsManagerClient({});
const run = `ss-aws-${randomBytes(4).toString('hex')}`;
const canary = `CANARY-${randomBytes(8).toString('hex')}`;
const errors: unknown[] = [];
const clients: SecretsClient[] = [];
let seq = 0;

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const uid = (what: string) => `${run}/${what}-${seq++}`;

/** SDK commands the provider's client sent, by name (counted, not faked). */
type Counts = Record<string, number>;

async function aws(
  spec: Record<string, unknown> = {},
  opts: AwsClientOptions = {},
): Promise<{ c: SecretsClient; counts: Counts }> {
  const counts: Counts = {};
  const c = await createAwsClient(
    { service: 'SecretsManager', ...spec },
    {
      ...opts,
      instrument: (client) =>
        client.middlewareStack.add(
          (next, context) => (args) => {
            const name = (context.commandName ?? '?').replace(/Command$/, '');
            counts[name] = (counts[name] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize', name: 'countCommands' },
        ),
    },
  );
  clients.push(c);
  return { c, counts };
}

/** Creates a secret (string or binary) with optional tags; returns its name. */
async function secret(
  value: string | Uint8Array,
  opts: { name?: string; tags?: Record<string, string> } = {},
): Promise<string> {
  const name = opts.name ?? uid('s');
  const Tags: Tag[] = Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  await sm.send(
    new CreateSecretCommand({
      Name: name,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
      ...(Tags.length > 0 && { Tags }),
    }),
  );
  return name;
}

async function put(name: string, value: string, stages?: string[]): Promise<string> {
  const res = await sm.send(
    new PutSecretValueCommand({
      SecretId: name,
      SecretString: value,
      ...(stages && { VersionStages: stages }),
    }),
  );
  return res.VersionId!;
}

/** The error a call fails with (recorded for the canary check). */
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

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  sm.destroy();
});

test('getSecret: SecretString as UTF-8 and SecretBinary as bytes, AWSCURRENT by default', async () => {
  const s = await secret(`héllo ${canary}`);
  const bin = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80]);
  const b = await secret(bin);
  const { c, counts } = await aws({ region: process.env.AWS_REGION });
  expect(text(await c.getSecret({ key: s }))).toBe(`héllo ${canary}`);
  expect(text(await c.getSecret({ key: s, version: 'AWSCURRENT' }))).toBe(`héllo ${canary}`);
  expect(await c.getSecret({ key: b })).toEqual(bin);
  expect(counts).toEqual({ GetSecretValue: 3 });
});

test('versions: AWSCURRENT / AWSPREVIOUS after PutSecretValue, a custom stage, and uuid/<VersionId>', async () => {
  const name = await secret('v1');
  const v2 = await put(name, 'v2');
  const v3 = await put(name, `v3-${canary}`, ['blue']);
  const { c } = await aws();
  expect(text(await c.getSecret({ key: name }))).toBe('v2');
  expect(text(await c.getSecret({ key: name, version: 'AWSPREVIOUS' }))).toBe('v1');
  expect(text(await c.getSecret({ key: name, version: 'blue' }))).toBe(`v3-${canary}`);
  expect(text(await c.getSecret({ key: name, version: `uuid/${v2}` }))).toBe('v2');
  expect(text(await c.getSecret({ key: name, version: `uuid/${v3}` }))).toBe(`v3-${canary}`);
});

test('a JSON property through the shared extractProperty, and the store prefix', async () => {
  const base = uid('json');
  await secret(JSON.stringify({ user: 'app', password: canary, nested: { port: 5432 }, 'a.b': 'dotted' }), {
    name: `${base}/db`,
  });
  const { c } = await aws({ prefix: `${base}/` });
  const raw = await c.getSecret({ key: 'db' });
  expect(text(extractProperty(raw, 'user', 'db'))).toBe('app');
  expect(text(extractProperty(raw, 'nested.port', 'db'))).toBe('5432');
  expect(text(extractProperty(raw, 'a.b', 'db'))).toBe('dotted');
  const e = await failure(c.getSecret({ key: 'nope' }));
  expect(e).toBeInstanceOf(NoSecretError);
  expect(e.message).toBe(
    `secret "${base}/nope" (the store's prefix "${base}/" + remoteRef.key "nope") not found in ` +
      `${process.env.AWS_REGION} (check remoteRef.key, the store's region and prefix)`,
  );
});

test('NoSecretError for a missing secret, stage or VersionId, told apart', async () => {
  const name = await secret(canary);
  const { c } = await aws();
  const region = process.env.AWS_REGION;
  const missing = await failure(c.getSecret({ key: `${name}-missing` }));
  expect(missing).toBeInstanceOf(NoSecretError);
  expect(missing.message).toBe(
    `secret "${name}-missing" not found in ${region} (check remoteRef.key and the store's region)`,
  );
  const stage = await failure(c.getSecret({ key: name, version: 'AWSPREVIOUS' }));
  expect(stage).toBeInstanceOf(NoSecretError);
  expect(stage.message).toBe(
    `secret "${name}" in ${region} has no version labelled "AWSPREVIOUS" (check remoteRef.version)`,
  );
  const id = await failure(c.getSecret({ key: name, version: 'uuid/00000000-0000-0000-0000-000000000000' }));
  expect(id).toBeInstanceOf(NoSecretError);
  expect(id.message).toBe(
    `secret "${name}" in ${region} has no version with VersionId "00000000-0000-0000-0000-000000000000" ` +
      '(check remoteRef.version)',
  );
  const both = await failure(c.getSecret({ key: `${name}-missing`, version: 'AWSPREVIOUS' }));
  expect(both.message).toMatch(/^secret "[^"]+-missing" not found in/);
});

test('a secret scheduled for deletion is NoSecretError (as in ESO)', async () => {
  const name = await secret(canary);
  await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
  const { c } = await aws();
  const e = await failure(c.getSecret({ key: name }));
  expect(e).toBeInstanceOf(NoSecretError);
  expect(e.message).toMatch(/is scheduled for deletion/);
  const v = await failure(c.currentVersion!({ key: name }));
  expect(v).toBeInstanceOf(NoSecretError);
  const m = await c.getSecrets!([{ key: name }]);
  expect(m.get(`${name}@`)).toBeInstanceOf(NoSecretError);
  errors.push(m.get(`${name}@`));
});

test('getSecrets: 45 AWSCURRENT keys in 3 BatchGetSecretValue calls; other versions one call each', async () => {
  const base = uid('batch');
  const names = await Promise.all(
    Array.from({ length: 45 }, (_, i) =>
      secret(`value-${i}`, { name: `${base}/k${String(i).padStart(2, '0')}` }),
    ),
  );
  await put(names[0]!, 'value-0-new');
  const { c, counts } = await aws({ prefix: `${base}/` });
  const refs = [
    ...names.map((n) => ({ key: n.slice(base.length + 1) })),
    { key: 'k00', version: 'AWSCURRENT' }, // same secret as k00@: no extra id in the batch
    { key: 'k01' }, // duplicate ref
    { key: 'k00', version: 'AWSPREVIOUS' },
    { key: 'missing-1' },
    { key: 'missing-2' },
    { key: '' },
  ];
  const out = await c.getSecrets!(refs);
  expect(counts).toEqual({ BatchGetSecretValue: 3, GetSecretValue: 1 });
  expect(out.size).toBe(45 + 1 + 1 + 2 + 1);
  expect(text(out.get('k00@') as Uint8Array)).toBe('value-0-new');
  expect(text(out.get('k00@AWSCURRENT') as Uint8Array)).toBe('value-0-new');
  expect(text(out.get('k00@AWSPREVIOUS') as Uint8Array)).toBe('value-0');
  for (let i = 1; i < 45; i++) {
    expect(text(out.get(`k${String(i).padStart(2, '0')}@`) as Uint8Array)).toBe(`value-${i}`);
  }
  const missing = out.get('missing-1@');
  expect(missing).toBeInstanceOf(NoSecretError);
  expect((missing as Error).message).toMatch(
    new RegExp(`^secret "${base}/missing-1" \\(the store's prefix .*\\) not found in`),
  );
  expect(out.get('missing-2@')).toBeInstanceOf(NoSecretError);
  expect((out.get('@') as Error).message).toBe('remoteRef.key is empty');
  errors.push(missing, out.get('missing-2@'));
  expect(await c.getSecrets!([])).toEqual(new Map());
});

test('currentVersion: the VersionId holding the stage, from DescribeSecret only, moving after PutSecretValue', async () => {
  const name = await secret(canary);
  const { c, counts } = await aws();
  const v1 = await c.currentVersion!({ key: name });
  expect(await c.currentVersion!({ key: name })).toBe(v1);
  const v2 = await put(name, `${canary}-2`);
  expect(await c.currentVersion!({ key: name })).toBe(v2);
  expect(await c.currentVersion!({ key: name, version: 'AWSCURRENT' })).toBe(v2);
  expect(await c.currentVersion!({ key: name, version: 'AWSPREVIOUS' })).toBe(v1);
  expect(await c.currentVersion!({ key: name, version: `uuid/${v1}` })).toBe(v1);
  expect(counts).toEqual({ DescribeSecret: 5 });
  const none = await failure(c.currentVersion!({ key: name, version: 'blue' }));
  expect(none).toBeInstanceOf(NoSecretError);
  expect(none.message).toBe(
    `secret "${name}" in ${process.env.AWS_REGION} has no version labelled "blue" (check remoteRef.version)`,
  );
  const gone = await failure(c.currentVersion!({ key: `${name}-missing` }));
  expect(gone).toBeInstanceOf(NoSecretError);
  expect(gone.message).toMatch(/not found in/);
});

test('findSecrets by name regexp: full names as keys, re-checked client-side, values batched', async () => {
  const base = uid('find');
  await Promise.all([
    secret('a', { name: `${base}/app/db-user` }),
    secret('b', { name: `${base}/app/db-pass` }),
    secret('c', { name: `${base}/app/cache` }),
    secret('d', { name: `${base}/other/db-user` }),
  ]);
  const { c, counts } = await aws({ prefix: 'ignored-by-find/' });
  const out = await c.findSecrets({ nameRegexp: `^${base}/app/db-` });
  expect([...out.keys()]).toEqual([`${base}/app/db-pass`, `${base}/app/db-user`]);
  expect(text(out.get(`${base}/app/db-user`)!)).toBe('a');
  expect(counts).toEqual({ ListSecrets: 1, BatchGetSecretValue: 1 });
  const unanchored = await c.findSecrets({ nameRegexp: `${base.replace(/[/-]/g, '.')}/.*/db-user$` });
  expect([...unanchored.keys()]).toEqual([`${base}/app/db-user`, `${base}/other/db-user`]);
  expect(await c.findSecrets({ nameRegexp: `^${base}/nothing` })).toEqual(new Map());
});

test('findSecrets by tags: exact key and value equality, though moto and AWS filter by prefix', async () => {
  const base = uid('tags');
  const team = `${base.replace(/\//g, '-')}`;
  await Promise.all([
    secret('hit', { name: `${base}/a`, tags: { team, env: 'prod' } }),
    secret('hit2', { name: `${base}/b`, tags: { team, env: 'prod', extra: 'x' } }),
    secret('value-prefix', { name: `${base}/c`, tags: { team, env: 'production' } }),
    secret('key-prefix', { name: `${base}/d`, tags: { team, environment: 'prod' } }),
    secret('crossed', { name: `${base}/e`, tags: { team, env: 'dev', other: 'prod' } }),
  ]);
  const { c } = await aws();
  const out = await c.findSecrets({ tags: { team, env: 'prod' } });
  expect([...out.keys()]).toEqual([`${base}/a`, `${base}/b`]);
  expect(text(out.get(`${base}/a`)!)).toBe('hit');
  const withPath = await c.findSecrets({ tags: { team }, path: `${base}/d` });
  expect([...withPath.keys()]).toEqual([`${base}/d`]);
});

test('findSecrets by path across ListSecrets pages: 105 secrets, pages of 25, values 20 a call', async () => {
  const base = uid('page');
  await Promise.all(
    Array.from({ length: 105 }, (_, i) =>
      secret(`p${i}`, { name: `${base}/s${String(i).padStart(3, '0')}` }),
    ),
  );
  await secret('sibling', { name: `${base}-sibling/x` });
  const { c, counts } = await aws({}, { listPageSize: 25 });
  const out = await c.findSecrets({ path: `${base}/` });
  expect(out.size).toBe(105);
  expect(text(out.get(`${base}/s104`)!)).toBe('p104');
  expect([...out.keys()][0]).toBe(`${base}/s000`);
  expect(counts.ListSecrets).toBe(5);
  expect(counts.BatchGetSecretValue).toBe(6);
  expect(counts.GetSecretValue).toBeUndefined();
});

test('an unreachable endpoint is UnavailableError after the SDK retries, naming the endpoint', async () => {
  const saved = process.env.AWS_ENDPOINT_URL;
  const dead = 'http://127.0.0.1:9';
  process.env.AWS_ENDPOINT_URL = dead;
  try {
    const { c, counts } = await aws();
    const e = await failure(c.getSecret({ key: 'any' }));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.message).toMatch(
      new RegExp(`^cannot reach Secrets Manager at ${dead} for GetSecretValue \\(ECONNREFUSED\\)`),
    );
    expect(counts).toEqual({ GetSecretValue: 1 }); // one command, which the SDK tried 3 times
    expect((e.cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(3);
  } finally {
    process.env.AWS_ENDPOINT_URL = saved;
  }
});

test('the canary planted in failing secrets appears in no error', () => {
  expect(errors.length).toBeGreaterThanOrEqual(10);
  for (const err of errors) {
    const e = err as Error;
    expect(e.message).not.toContain(canary);
    expect(String((e.cause as Error | undefined)?.message ?? '')).not.toContain(canary);
    expect(JSON.stringify(e)).not.toContain(canary);
    expect(inspect(e, { depth: 6 })).not.toContain(canary);
  }
});

test("ESO's provider_api_calls_count: the observer sees every SDK command once, named as ESO names them", async () => {
  const seen: Counts = {};
  const { c, counts } = await aws(
    {},
    {
      onApiCall: (provider, call, failed) => {
        const k = `${provider} ${call} ${failed ? 'error' : 'success'}`;
        seen[k] = (seen[k] ?? 0) + 1;
      },
    },
  );
  const name = await secret('observed');
  const missing = uid('missing');
  await c.getSecret({ key: name });
  await failure(c.getSecret({ key: missing }));
  await c.currentVersion!({ key: name });
  await c.getSecrets!([{ key: name }, { key: missing }]);
  const byCall: Counts = {};
  for (const [k, n] of Object.entries(seen)) {
    const [provider, call] = k.split(' ');
    expect(provider).toBe('AWS/SecretsManager');
    byCall[call!] = (byCall[call!] ?? 0) + n;
  }
  expect(byCall).toEqual(counts);
  expect(seen['AWS/SecretsManager GetSecretValue success']).toBeGreaterThanOrEqual(1);
  expect(seen['AWS/SecretsManager GetSecretValue error']).toBeGreaterThanOrEqual(1);
});
