// AWS identities at the provider level, against the testbed's STS front, Pod Identity agent and
// moto: the controller's ambient identity through the SDK's default chain — IRSA (AWS_ROLE_ARN +
// AWS_WEB_IDENTITY_TOKEN_FILE holding a real TokenRequest token) and EKS Pod Identity
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + a token file, audience pods.eks.amazonaws.com) — for which
// secretsync writes no code, and the role chains src/providers/aws/identity.ts adds (checked with GetCallerIdentity:
// the credentials handed to the provider are the last role's).
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsStoreIdentity } from '../../../src/providers/aws/identity';
import { createClient } from '../../../src/providers/registry';
import type { ProviderContext, SecretsClient } from '../../../src/providers/core/types';
import { fakeAdmin, fakeRequests } from '../../support/cloud';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const run = randomBytes(3).toString('hex');
const account = '123456789012';
const role = (name: string) => `arn:aws:iam::${account}:role/${name}-${run}`;
const key = `ss-ambient-${run}/value`;
const { core } = clients();
const sm = new SecretsManagerClient({});
const dir = mkdtempSync(join(tmpdir(), 'secretsync-ambient-'));
const opened: SecretsClient[] = [];
let ns: string;

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const subject = (ksa: string) => `system:serviceaccount:${ns}:${ksa}`;

async function tokenFor(
  name: string,
  namespace: string,
  audiences: string[],
  expirationSeconds = 3600,
): Promise<string> {
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences, expirationSeconds } },
  });
  const t = tr.status?.token;
  if (!t) throw new Error('TokenRequest returned no token');
  return t;
}

const token = (ksa: string, audience: string) => tokenFor(ksa, ns, [audience]);

/** Runs `fn` with these environment variables set (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** What the controller's client() gives a provider, with the admin's apiserver access. */
function liveContext(storeName: string): ProviderContext {
  return {
    namespace: ns,
    store: { kind: 'SecretStore', name: storeName, namespace: ns, generation: 1 },
    readSecretKey: () => Promise.reject(new Error('unused')),
    requestServiceAccountToken: async (ref, audiences) => ({
      token: await tokenFor(ref.name, ref.namespace ?? ns, audiences),
      expiresAt: Date.now() + 3600_000,
    }),
    readServiceAccount: async (ref) => ({
      annotations:
        (await core.readNamespacedServiceAccount({ name: ref.name, namespace: ref.namespace ?? ns })).metadata
          ?.annotations ?? {},
    }),
  };
}

/** The ambient chain only: no static keys, no IRSA or Pod Identity left from another case. */
const NO_AMBIENT = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_ROLE_ARN: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: undefined,
  AWS_PROFILE: undefined,
};

async function ambientClient(): Promise<SecretsClient> {
  const c = await createClient(
    { aws: { service: 'SecretsManager', region: 'us-east-1' } },
    { namespace: ns, readSecretKey: () => Promise.reject(new Error('unused')) },
  );
  opened.push(c);
  return c;
}

async function callerArn(credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }>) {
  const sts = new STSClient({ region: 'us-east-1', credentials });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

beforeAll(async () => {
  ns = await createNamespace('id-ambient');
  for (const name of ['irsa', 'pod', 'chain']) {
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name, annotations: { 'eks.amazonaws.com/role-arn': role(`${name}-base`) } } },
    });
  }
  await sm.send(new CreateSecretCommand({ Name: key, SecretString: 'ambient-value' }));
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  sm.destroy();
  rmSync(dir, { recursive: true, force: true });
  await deleteNamespace(ns);
});

test('IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE through the default chain', async () => {
  await fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', {
    roleArn: role('irsa'),
    subjects: [subject('irsa')],
    audience: 'sts.amazonaws.com',
  });
  const file = join(dir, 'irsa-token');
  writeFileSync(file, await token('irsa', 'sts.amazonaws.com'));
  const value = await withEnv(
    { ...NO_AMBIENT, AWS_ROLE_ARN: role('irsa'), AWS_WEB_IDENTITY_TOKEN_FILE: file },
    async () => text(await (await ambientClient()).getSecret({ key })),
  );
  expect(value).toBe('ambient-value');
  const calls = (await fakeRequests('AWS_ENDPOINT_URL_STS')).filter(
    (r) => r.detail?.roleArn === role('irsa'),
  );
  expect(calls).toEqual([
    expect.objectContaining({ outcome: 200, detail: { roleArn: role('irsa'), subject: subject('irsa') } }),
  ]);
});

test('EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI + token file through the default chain', async () => {
  await fakeAdmin('SECRETSYNC_EKS_POD_IDENTITY_URL', '/_testbed/associations', {
    subject: subject('pod'),
    roleArn: role('pod'),
  });
  const file = join(dir, 'pod-token');
  writeFileSync(file, await token('pod', 'pods.eks.amazonaws.com'));
  const value = await withEnv(
    {
      ...NO_AMBIENT,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: process.env.SECRETSYNC_EKS_POD_IDENTITY_URL,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file,
    },
    async () => text(await (await ambientClient()).getSecret({ key })),
  );
  expect(value).toBe('ambient-value');
  const calls = (await fakeRequests('SECRETSYNC_EKS_POD_IDENTITY_URL')).filter(
    (r) => r.detail?.subject === subject('pod'),
  );
  expect(calls).toEqual([
    expect.objectContaining({ outcome: 200, detail: { subject: subject('pod'), roleArn: role('pod') } }),
  ]);
});

test("aws.role with the controller's identity: the provider gets the assumed role's credentials", async () => {
  const id = await awsStoreIdentity(
    { service: 'SecretsManager', region: 'us-east-1', role: role('ambient-chained') },
    liveContext('ambient-role'),
  );
  expect(id?.identity).toBe(role('ambient-chained'));
  expect(await callerArn(id!.credentials)).toMatch(new RegExp(`assumed-role/ambient-chained-${run}/`));
});

test('auth.jwt then additionalRoles and role: each role assumed in turn, the last one used', async () => {
  await fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', {
    roleArn: role('chain-base'),
    subjects: [subject('chain')],
    audience: 'sts.amazonaws.com',
  });
  const id = await awsStoreIdentity(
    {
      service: 'SecretsManager',
      region: 'us-east-1',
      additionalRoles: [role('hop')],
      role: role('final'),
      externalID: 'ext-42',
      auth: { jwt: { serviceAccountRef: { name: 'chain' } } },
    },
    liveContext('chain'),
  );
  expect(await callerArn(id!.credentials)).toMatch(new RegExp(`assumed-role/final-${run}/`));
  const web = (await fakeRequests('AWS_ENDPOINT_URL_STS')).filter(
    (r) => r.detail?.roleArn === role('chain-base'),
  );
  expect(web).toEqual([
    expect.objectContaining({
      outcome: 200,
      detail: { roleArn: role('chain-base'), subject: subject('chain') },
    }),
  ]);
});

// The kubelet rotates a projected token by replacing the file's content (at 80% of its lifetime,
// 8 min at the 600 s minimum: too long to wait for here). What matters to the controller is that a
// credential refresh reads the file again rather than a copy: the SDK's default chain does (its
// web-identity and container providers read the file on each fetch). Here the fakes hand out
// credentials that expire in 2 s; once they have, the next use refreshes them before the call, and
// the refresh presents the token now in the file: a new one, told apart by its lifetime.
const CREDENTIAL_TTL_S = 2;

test('IRSA and Pod Identity: a credential refresh re-reads the token file, as the kubelet rotates it', async () => {
  await fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', {
    roleArn: role('irsa-rotate'),
    subjects: [subject('irsa')],
    audience: 'sts.amazonaws.com',
  });
  await fakeAdmin('SECRETSYNC_EKS_POD_IDENTITY_URL', '/_testbed/associations', {
    subject: subject('pod'),
    roleArn: role('pod-rotate'),
  });
  const cases = [
    {
      env: (file: string) => ({ AWS_ROLE_ARN: role('irsa-rotate'), AWS_WEB_IDENTITY_TOKEN_FILE: file }),
      ksa: 'irsa',
      audience: 'sts.amazonaws.com',
      fake: 'AWS_ENDPOINT_URL_STS',
      role: role('irsa-rotate'),
    },
    {
      env: (file: string) => ({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: process.env.SECRETSYNC_EKS_POD_IDENTITY_URL,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file,
      }),
      ksa: 'pod',
      audience: 'pods.eks.amazonaws.com',
      fake: 'SECRETSYNC_EKS_POD_IDENTITY_URL',
      role: role('pod-rotate'),
    },
  ];
  for (const c of cases) {
    await fakeAdmin(c.fake, '/_testbed/credential-ttl', { seconds: CREDENTIAL_TTL_S });
    const presented = async () =>
      (await fakeRequests(c.fake))
        .filter((r) => r.detail?.roleArn === c.role)
        .map((r) => [r.outcome, r.token?.aud, r.token?.lifetimeSec]);
    try {
      const file = join(dir, `${c.ksa}-rotating-token`);
      await withEnv({ ...NO_AMBIENT, ...c.env(file) }, async () => {
        const client = await ambientClient();
        writeFileSync(file, await tokenFor(c.ksa, ns, [c.audience], 3600));
        expect(text(await client.getSecret({ key }))).toBe('ambient-value');
        expect((await presented())[0]).toEqual([200, [c.audience], 3600]);
        writeFileSync(file, await tokenFor(c.ksa, ns, [c.audience], 7200));
        await sleep(CREDENTIAL_TTL_S * 1000 + 500); // the credentials expire
        expect(text(await client.getSecret({ key }))).toBe('ambient-value');
        expect(await presented()).toContainEqual([200, [c.audience], 7200]);
      });
      expect(new Set((await presented()).map((p) => p[2]))).toEqual(new Set([3600, 7200]));
    } finally {
      await fakeAdmin(c.fake, '/_testbed/credential-ttl', {});
    }
  }
});
