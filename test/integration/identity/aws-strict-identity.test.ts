// Assumed-role credentials against the testbed's IAM-enforcing moto (dev/testbed/fakes/aws-strict.ts):
// moto checks the STS-issued key and session token and the role's own policies, so a role granted
// only GetSecretValue and DescribeSecret reads values, and everything else is refused as AWS would.
//  - auth.jwt (per-store IRSA, through the controller): the strict STS front verifies the token,
//    moto issues the role's credentials; the store is Ready=True with a note per missing optional
//    action, data[] syncs, dataFrom.find fails naming the assumed role;
//  - EKS Pod Identity (the controller's ambient identity, through the SDK's default chain): the
//    same role semantics at the provider level.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createClient } from '../../../src/providers/registry';
import type { SecretsClient } from '../../../src/providers/core/types';
import { applyYaml } from '../../support/apply';
import { strictSecretsManager, strictRole, strictUrl, strictUser } from '../../support/aws-strict';
import { startController, type TestController } from '../../support/controller';
import { decoded, eventsFor, readEs, readSecret, ready, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { AuthError } from '../../../src/providers/core/errors';

const run = randomBytes(3).toString('hex');
const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const key = `sid-${run}/db`;
const READ_ONLY = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
const { core } = clients();
const sm = strictSecretsManager();
const dir = mkdtempSync(join(tmpdir(), 'secretsync-strict-id-'));
const AWS_ENV = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];
const savedEnv = Object.fromEntries(AWS_ENV.map((k) => [k, process.env[k]]));
const opened: SecretsClient[] = [];
let ns: string;
let ctl: TestController | undefined;

const subject = (sa: string) => `system:serviceaccount:${ns}:${sa}`;
const assumed = (role: string) => new RegExp(`arn:aws:sts::123456789012:assumed-role/${role}/`);

function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

beforeAll(async () => {
  ns = await createNamespace('id-strict');
  await sm.send(new CreateSecretCommand({ Name: key, SecretString: CANARY }));
  // The controller's own identity may do nothing: stores must use their own.
  const nobody = await strictUser(`sid-${run}-nobody`, []);
  setEnv({
    AWS_ENDPOINT_URL: strictUrl(),
    AWS_ENDPOINT_URL_STS: process.env.SECRETSYNC_TESTBED_AWS_STRICT_STS_URL,
    AWS_ACCESS_KEY_ID: nobody.accessKeyId,
    AWS_SECRET_ACCESS_KEY: nobody.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
  });
});

afterAll(async () => {
  await ctl?.stop();
  await Promise.all(opened.map((c) => c.close()));
  const logs = ctl?.logs.join('') ?? '';
  const status = JSON.stringify(
    await Promise.all(
      ['db', 'find'].map(async (n) => [await readEs(ns, n).catch(() => null), await eventsFor(ns, n)]),
    ),
  );
  setEnv(savedEnv);
  await deleteNamespace(ns);
  sm.destroy();
  rmSync(dir, { recursive: true, force: true });
  expect(logs).not.toContain(CANARY);
  expect(status).not.toContain(CANARY);
});

test('auth.jwt with a read-only role: store Ready=True with notes, data[] syncs, find names the assumed role', async () => {
  const roleName = `sid-${run}-app`;
  const roleArn = await strictRole(roleName, READ_ONLY, { webIdentity: [`system:serviceaccount:${ns}:app`] });
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'app', annotations: { 'eks.amazonaws.com/role-arn': roleArn } } },
  });
  ctl = await startController(ns);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: irsa, namespace: ${ns}}
spec:
  provider:
    aws: {service: SecretsManager, region: us-east-1, auth: {jwt: {serviceAccountRef: {name: app}}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: irsa}
  data: [{secretKey: password, remoteRef: {key: ${key}}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: find, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: irsa}
  dataFrom: [{find: {path: sid-${run}/}}]
`);
  const cond = await eventually(
    async () => {
      const c = await storeCondition(ns, 'irsa');
      expect(c).toMatchObject({ status: 'True', reason: 'Valid' });
      return c!;
    },
    { timeoutMs: 30_000, what: 'store irsa Ready=True' },
  );
  expect(cond.message).toMatch(
    /^store validated; credentials accepted, but secretsmanager:ListSecrets is not granted/,
  );
  expect(cond.message).toContain('; secretsmanager:BatchGetSecretValue is not granted');
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe(CANARY), {
    timeoutMs: 30_000,
    what: 'Secret db synced',
  });
  const find = await eventually(
    async () => {
      const c = ready(await readEs(ns, 'find'));
      expect(c).toMatchObject({ status: 'False' });
      return c;
    },
    { timeoutMs: 30_000, what: 'find Ready=False' },
  );
  expect(find.message).toContain('grant secretsmanager:ListSecrets');
  expect(find.message).toMatch(assumed(roleName));
});

test('EKS Pod Identity (ambient) with a read-only role: validate notes, values read, list refused for the role', async () => {
  const roleName = `sid-${run}-pod`;
  await strictRole(roleName, READ_ONLY, { podIdentity: [subject('pod')] });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'pod' } } });
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'pod',
    namespace: ns,
    body: { spec: { audiences: ['pods.eks.amazonaws.com'], expirationSeconds: 3600 } },
  });
  const file = join(dir, 'pod-token');
  writeFileSync(file, tr.status!.token!);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  setEnv({
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: process.env.SECRETSYNC_TESTBED_AWS_STRICT_POD_IDENTITY_URL,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file,
  });
  try {
    const c = await createClient(
      { aws: { service: 'SecretsManager', region: 'us-east-1' } },
      { namespace: ns, readSecretKey: () => Promise.reject(new Error('unused')) },
    );
    opened.push(c);
    const notes = await c.validate!();
    expect(notes).toEqual([
      expect.stringMatching(/^credentials accepted, but secretsmanager:ListSecrets is not granted/),
      expect.stringMatching(/^secretsmanager:BatchGetSecretValue is not granted/),
    ]);
    expect(Buffer.from(await c.getSecret({ key })).toString('utf8')).toBe(CANARY);
    const err = await c.findSecrets({ path: `sid-${run}/` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(assumed(roleName));
    expect((err as Error).message).not.toContain(CANARY);
  } finally {
    setEnv({
      AWS_ACCESS_KEY_ID: saved.id,
      AWS_SECRET_ACCESS_KEY: saved.secret,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: undefined,
    });
  }
});
