// Per-store AWS identities end to end through the controller (as the `secretsync` ServiceAccount,
// deploy/'s RBAC): auth.jwt (TokenRequest → AssumeRoleWithWebIdentity at the testbed's STS front,
// which verifies the token against the apiserver's JWKS and a trust map, then moto), the store's
// role chained on top, and static keys from Secrets. Failures say what to fix — the role and the
// subject its trust policy must allow, the missing annotation, the audience — and the canary value
// and the tokens never appear in logs, status or Events.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { fakeAdmin, fakeRequests } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, eventsFor, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const run = randomBytes(3).toString('hex');
const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const account = '123456789012';
const role = (name: string) => `arn:aws:iam::${account}:role/${name}-${run}`;
const secretName = `ss-id-${run}/db`;
const plainName = `ss-id-${run}/plain`;
const sm = new SecretsManagerClient({});
const { core } = clients();
let ns: string;
let other: string;
let ctl: TestController | undefined;
const esNames: string[] = [];

const subject = (ksa: string) => `system:serviceaccount:${ns}:${ksa}`;
const trust = (roleArn: string, subjects: string[], audience = 'sts.amazonaws.com') =>
  fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', { roleArn, subjects, audience });

async function ksa(name: string, annotations: Record<string, string> = {}, namespace = ns): Promise<void> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, annotations } } });
}

function store(name: string, aws: Record<string, unknown>): string {
  return `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${ns}}
spec:
  provider:
    aws: ${JSON.stringify({ service: 'SecretsManager', region: 'us-east-1', ...aws })}
`;
}

async function externalSecret(name: string, storeName: string, key = plainName): Promise<void> {
  esNames.push(name);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: ${storeName}}
  data:
    - {secretKey: value, remoteRef: {key: ${key}}}
`);
}

const synced = (name: string, value: string) =>
  eventually(async () => expect(decoded(await readSecret(ns, name)).value).toBe(value), {
    timeoutMs: 30_000,
    what: `Secret ${name} synced`,
  });

const failing = (name: string, reason: string) =>
  eventually(
    async () => {
      const c = ready(await readEs(ns, name));
      expect(c).toMatchObject({ status: 'False', reason });
      return c.message ?? '';
    },
    { timeoutMs: 30_000, what: `${name} Ready=False ${reason}` },
  );

const webIdentityCalls = async (roleArn: string) =>
  (await fakeRequests('AWS_ENDPOINT_URL_STS')).filter((r) => r.detail?.roleArn === roleArn);

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('id-aws');
  other = await createNamespace('id-aws-other');
  await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: CANARY }));
  await sm.send(new CreateSecretCommand({ Name: plainName, SecretString: 'plain-value' }));
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  await deleteNamespace(ns);
  await deleteNamespace(other);
  sm.destroy();
  expect(logs).not.toContain(CANARY);
  expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
});

afterEach(async () => {
  for (const name of esNames.splice(0)) {
    const text = JSON.stringify([await readEs(ns, name), await eventsFor(ns, name)]);
    expect(text).not.toContain(CANARY);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  }
});

test('auth.jwt: the ServiceAccount role is assumed with a verified token; one STS call for many ExternalSecrets', async () => {
  await ksa('app', { 'eks.amazonaws.com/role-arn': role('app') });
  await trust(role('app'), [subject('app')]);
  await applyYaml(store('aws-jwt', { auth: { jwt: { serviceAccountRef: { name: 'app' } } } }));
  await externalSecret('db', 'aws-jwt', secretName);
  await synced('db', CANARY);
  for (let i = 0; i < 4; i++) await externalSecret(`db-${i}`, 'aws-jwt');
  for (let i = 0; i < 4; i++) await synced(`db-${i}`, 'plain-value');
  const calls = await webIdentityCalls(role('app'));
  expect(calls).toEqual([
    expect.objectContaining({ outcome: 200, detail: { roleArn: role('app'), subject: subject('app') } }),
  ]);
});

test('role refuses the ServiceAccount: Ready=False naming the role, the subject and the trust policy', async () => {
  await ksa('denied', { 'eks.amazonaws.com/role-arn': role('denied') });
  await trust(role('denied'), [subject('someone-else')]);
  await applyYaml(store('aws-denied', { auth: { jwt: { serviceAccountRef: { name: 'denied' } } } }));
  await externalSecret('denied', 'aws-denied');
  const msg = await failing('denied', 'ProviderAuthFailed');
  expect(msg).toContain(`role ${role('denied')} refused AssumeRoleWithWebIdentity for ${subject('denied')}`);
  expect(msg).toContain('trust policy');
  expect((await webIdentityCalls(role('denied')))[0]).toMatchObject({
    outcome: 403,
    detail: { subject: subject('denied'), error: 'AccessDenied' },
  });
});

test('a ServiceAccount without eks.amazonaws.com/role-arn: says to annotate it (or use the ambient identity)', async () => {
  await ksa('bare');
  await applyYaml(store('aws-bare', { auth: { jwt: { serviceAccountRef: { name: 'bare' } } } }));
  await externalSecret('bare', 'aws-bare');
  const msg = await failing('bare', 'ProviderAuthFailed');
  expect(msg).toContain(`ServiceAccount ${ns}/bare has no eks.amazonaws.com/role-arn annotation`);
  expect(msg).toMatch(/IRSA or EKS Pod Identity/);
});

test('a token for another audience: InvalidIdentityToken with an audience/issuer hint', async () => {
  await ksa('aud', { 'eks.amazonaws.com/role-arn': role('aud') });
  await trust(role('aud'), [subject('aud')]);
  await applyYaml(
    store('aws-aud', {
      auth: { jwt: { serviceAccountRef: { name: 'aud', audiences: ['https://wrong.invalid'] } } },
    }),
  );
  await externalSecret('aud', 'aws-aud');
  const msg = await failing('aud', 'ProviderAuthFailed');
  expect(msg).toContain('InvalidIdentityToken');
  expect(msg).toContain('https://wrong.invalid');
  expect(msg).toMatch(/IAM OIDC provider/);
});

test('aws.role is chained on top of the web identity (with externalID)', async () => {
  await ksa('chain', { 'eks.amazonaws.com/role-arn': role('chain-base') });
  await trust(role('chain-base'), [subject('chain')]);
  await applyYaml(
    store('aws-chain', {
      role: role('chained'),
      externalID: 'ext-1',
      auth: { jwt: { serviceAccountRef: { name: 'chain' } } },
    }),
  );
  await externalSecret('chain', 'aws-chain');
  await synced('chain', 'plain-value');
  expect(await webIdentityCalls(role('chain-base'))).toHaveLength(1);
});

test('auth.secretRef: static keys from Secrets in the store namespace', async () => {
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'aws-keys' }, stringData: { id: 'AKIDTESTING', secret: 'testing-secret\n' } },
  });
  await applyYaml(
    store('aws-keys', {
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
          secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
        },
      },
    }),
  );
  await externalSecret('keys', 'aws-keys');
  await synced('keys', 'plain-value');
});

test("a SecretStore may not read another namespace's Secret or ServiceAccount", async () => {
  await applyYaml(
    store('aws-cross', {
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'aws-keys', key: 'id', namespace: other },
          secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret', namespace: other },
        },
      },
    }),
  );
  await externalSecret('cross', 'aws-cross');
  const msg = await failing('cross', 'InvalidProviderConfig');
  expect(msg).toContain(`names namespace "${other}"`);
  expect(msg).toContain(`may only use ServiceAccounts and Secrets in its own namespace "${ns}"`);
});
