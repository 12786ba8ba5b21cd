// The controller against the testbed's IAM-enforcing moto (dev/testbed/fakes/aws-strict.ts:
// refusals in AWS's shape, every call recorded with its access key), with identities that hold
// exactly the policies each case grants:
//  - no secretsmanager:ListSecrets (the controller's own, ambient identity): the store is Ready=True
//    with a note, data[] ExternalSecrets sync, idle refreshes check versions with DescribeSecret and
//    do not list again; dataFrom.find fails naming the action;
//  - no BatchGetSecretValue (a store with auth.secretRef): values arrive by GetSecretValue, the
//    store says so, and the batch is not asked again on later syncs;
//  - no GetSecretValue: the ExternalSecret is Ready=False naming the action, and the value appears
//    nowhere;
//  - an unreachable endpoint: the store is Ready=False ValidationFailed and the controller keeps
//    serving other stores.
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { applyYaml } from '../../support/apply';
import { strictCallCounts, strictSecretsManager, strictUrl, strictUser } from '../../support/aws-strict';
import { startController, type TestController } from '../../support/controller';
import { decoded, eventsFor, readEs, readSecret, ready, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { freePort } from '../../../dev/testbed/ports';

const run = randomBytes(3).toString('hex');
const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const key = (n: string) => `lp-${run}/${n}`;
/** Refresh interval of the idle ExternalSecrets (s): deadlines below are derived from it. */
const REFRESH_S = 2;
const { core } = clients();
const sm = strictSecretsManager();
const AWS_ENV = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
const savedEnv = Object.fromEntries(AWS_ENV.map((k) => [k, process.env[k]]));
let ns: string;
let ctl: TestController | undefined;
let ambient: { accessKeyId: string; secretAccessKey: string; arn: string };
const logs: string[] = [];

/** The controller's own (ambient) AWS identity and endpoint, as the SDK's default chain reads them. */
function useAmbient(endpoint: string, keys: { accessKeyId: string; secretAccessKey: string }): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_ACCESS_KEY_ID = keys.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
}

function store(name: string, aws: Record<string, unknown> = {}): string {
  return `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${ns}}
spec:
  provider:
    aws: ${JSON.stringify({ service: 'SecretsManager', region: 'us-east-1', ...aws })}
`;
}

async function keyStore(name: string, keys: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: `${name}-keys` },
      stringData: { id: keys.accessKeyId, secret: keys.secretAccessKey },
    },
  });
  await applyYaml(
    store(name, {
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: `${name}-keys`, key: 'id' },
          secretAccessKeySecretRef: { name: `${name}-keys`, key: 'secret' },
        },
      },
    }),
  );
}

async function externalSecret(
  name: string,
  storeName: string,
  keys: string[],
  refresh = '1h',
): Promise<void> {
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: ${refresh}
  secretStoreRef: {name: ${storeName}}
  data:
${keys.map((k, i) => `    - {secretKey: v${i}, remoteRef: {key: ${k}}}`).join('\n')}
`);
}

const storeReady = (name: string, status: 'True' | 'False') =>
  eventually(
    async () => {
      const c = await storeCondition(ns, name);
      expect(c).toMatchObject({ status });
      return c!;
    },
    { timeoutMs: 30_000, what: `store ${name} Ready=${status}` },
  );

const synced = (name: string, want: Record<string, string>) =>
  eventually(async () => expect(decoded(await readSecret(ns, name))).toEqual(want), {
    timeoutMs: 30_000,
    what: `Secret ${name} synced`,
  });

const failing = (name: string) =>
  eventually(
    async () => {
      const c = ready(await readEs(ns, name));
      expect(c).toMatchObject({ status: 'False' });
      return c;
    },
    { timeoutMs: 30_000, what: `${name} Ready=False` },
  );

beforeAll(async () => {
  ns = await createNamespace('aws-lp');
  await sm.send(new CreateSecretCommand({ Name: key('a'), SecretString: CANARY }));
  await sm.send(new CreateSecretCommand({ Name: key('b'), SecretString: 'value-b' }));
  await sm.send(new CreateSecretCommand({ Name: key('c'), SecretString: 'value-c' }));
  ambient = await strictUser(`lp-${run}-ambient`, [
    'secretsmanager:GetSecretValue',
    'secretsmanager:DescribeSecret',
    'secretsmanager:BatchGetSecretValue',
  ]);
  useAmbient(strictUrl(), ambient);
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  logs.push(...(ctl?.logs ?? []));
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const everything = JSON.stringify(
    await Promise.all(
      ['idle', 'finder', 'many', 'many2', 'denied'].map(async (n) => [
        await readEs(ns, n).catch(() => null),
        await eventsFor(ns, n),
      ]),
    ),
  );
  await deleteNamespace(ns);
  sm.destroy();
  expect(everything).not.toContain(CANARY);
  expect(logs.join('')).not.toContain(CANARY);
});

test('no secretsmanager:ListSecrets: store Ready=True with a note, data[] syncs, idle refreshes do not list', async () => {
  await applyYaml(store('nolist'));
  const cond = await storeReady('nolist', 'True');
  expect(cond.reason).toBe('Valid');
  expect(cond.message).toBe(
    'store validated; credentials accepted, but secretsmanager:ListSecrets is not granted, so dataFrom.find ' +
      'and the one-call version sweep are unavailable (changes are checked with DescribeSecret per secret)',
  );
  await externalSecret('idle', 'nolist', [key('b')], `${REFRESH_S}s`);
  await synced('idle', { v0: 'value-b' });
  // Idle refreshes: each checks the version with DescribeSecret; the denied listing is not retried.
  const start = await eventually(
    async () => {
      const c = await strictCallCounts(ambient.accessKeyId);
      expect(c.DescribeSecret ?? 0).toBeGreaterThanOrEqual(1);
      return c;
    },
    { timeoutMs: 3 * REFRESH_S * 1000 + 10_000, what: 'a first version check' },
  );
  const end = await eventually(
    async () => {
      const c = await strictCallCounts(ambient.accessKeyId);
      expect(c.DescribeSecret ?? 0).toBeGreaterThanOrEqual((start.DescribeSecret ?? 0) + 4);
      return c;
    },
    { timeoutMs: 6 * REFRESH_S * 1000 + 10_000, what: '4 more idle refreshes' },
  );
  // Store validation and the one refused sweep listed; no idle refresh lists again.
  expect(start.ListSecrets).toBeGreaterThanOrEqual(1);
  expect(end.ListSecrets).toBe(start.ListSecrets);
  expect(ready(await readEs(ns, 'idle'))).toMatchObject({ status: 'True' });

  // dataFrom.find needs the listing: it says which action to grant.
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: finder, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: nolist}
  dataFrom: [{find: {path: lp-${run}/}}]
`);
  const c = await failing('finder');
  expect(c.message).toContain('grant secretsmanager:ListSecrets');
  expect(c.message).toContain(ambient.arn);
});

test('no BatchGetSecretValue: store notes it, values arrive by GetSecretValue, the batch is not asked again', async () => {
  const nobatch = await strictUser(`lp-${run}-nobatch`, [
    'secretsmanager:GetSecretValue',
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecrets',
  ]);
  await keyStore('nobatch', nobatch);
  const cond = await storeReady('nobatch', 'True');
  expect(cond.message).toBe(
    'store validated; secretsmanager:BatchGetSecretValue is not granted, so values are read with one GetSecretValue per secret',
  );
  await externalSecret('many', 'nobatch', [key('a'), key('b'), key('c')]);
  await synced('many', { v0: CANARY, v1: 'value-b', v2: 'value-c' });
  const first = await strictCallCounts(nobatch.accessKeyId);
  expect(first.GetSecretValue).toBeGreaterThanOrEqual(3);
  expect(first.BatchGetSecretValue).toBeGreaterThanOrEqual(1);
  // A second ExternalSecret reads all three again through the same store: one by one, no new batch.
  await externalSecret('many2', 'nobatch', [key('a'), key('b'), key('c')]);
  await synced('many2', { v0: CANARY, v1: 'value-b', v2: 'value-c' });
  const after = await strictCallCounts(nobatch.accessKeyId);
  expect(after.GetSecretValue).toBeGreaterThan(first.GetSecretValue!);
  expect(after.BatchGetSecretValue).toBe(first.BatchGetSecretValue);
});

test('no GetSecretValue: the ExternalSecret is Ready=False naming the action; the value appears nowhere', async () => {
  const noget = await strictUser(`lp-${run}-noget`, [
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecrets',
  ]);
  await keyStore('noget', noget);
  await storeReady('noget', 'True');
  await externalSecret('denied', 'noget', [key('a')]);
  const c = await failing('denied');
  expect(c.message).toContain(`grant secretsmanager:GetSecretValue on secret "${key('a')}" to ${noget.arn}`);
  expect(await readSecret(ns, 'denied')).toBeUndefined();
});

test('an unreachable endpoint: store Ready=False ValidationFailed, and the controller keeps serving', async () => {
  await ctl?.stop();
  logs.push(...(ctl?.logs ?? []));
  const closed = `http://127.0.0.1:${await freePort()}`;
  useAmbient(closed, ambient);
  ctl = await startController(ns);
  await applyYaml(store('unreachable'));
  const cond = await storeReady('unreachable', 'False');
  expect(cond.reason).toBe('ValidationFailed');
  expect(cond.message).toContain(`cannot reach Secrets Manager at ${closed}`);
  // Still serving: a store of another provider syncs after the failure.
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  provider:
    fake: {data: [{key: k, value: still-serving}]}
`);
  await externalSecret('after', 'fake', ['k']);
  await synced('after', { v0: 'still-serving' });
});
