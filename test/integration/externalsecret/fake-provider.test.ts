// The sync controller against the real apiserver, with ESO's `fake` provider as the store, running
// as the `secretsync` ServiceAccount with deploy/'s RBAC.
import type { V1Secret } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { installDeploy, startController, type TestController } from '../../support/controller';
import {
  createObject,
  decoded,
  eventsFor,
  readEs,
  readSecret,
  ready,
  storeCondition,
} from '../../support/es';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const { core, objects } = clients();
let ns: string;
let ctl: TestController | undefined;

function store(name: string, data: { key: string; value: string; version?: string }[]) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { fake: { data } } },
  };
}

function es(name: string, spec: Record<string, unknown>, apiVersion = 'external-secrets.io/v1') {
  return {
    apiVersion,
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', ...spec },
  };
}

beforeAll(async () => {
  ns = await createNamespace('es-fake');
  await installDeploy();
  await createObject(
    store('fake', [
      { key: 'db-user', value: 'alice' },
      { key: 'db-pass', value: CANARY },
      { key: 'config', value: JSON.stringify({ db: { host: 'db.internal', port: 5432 } }) },
    ]),
  );
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  // Values never leave through logs.
  expect(ctl?.logs.join('')).not.toContain(CANARY);
});

const waitSecret = (name: string, check: (s: V1Secret) => void, timeoutMs = 20000) =>
  eventually(
    async () => {
      const s = await readSecret(ns, name);
      expect(s).toBeDefined();
      check(s!);
      return s!;
    },
    { timeoutMs, what: `Secret ${name}` },
  );

test('Owner: creates the Secret with values, owner reference, managed label and hash; Ready=True', async () => {
  await createObject(
    es('app', {
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      data: [
        { secretKey: 'username', remoteRef: { key: 'db-user' } },
        { secretKey: 'password', remoteRef: { key: 'db-pass' } },
        { secretKey: 'host', remoteRef: { key: 'config', property: 'db.host' } },
      ],
    }),
  );
  const s = await waitSecret('app', (x) =>
    expect(decoded(x)).toEqual({ username: 'alice', password: CANARY, host: 'db.internal' }),
  );
  const owner = await readEs(ns, 'app');
  expect(s.metadata?.ownerReferences).toEqual([
    expect.objectContaining({
      kind: 'ExternalSecret',
      name: 'app',
      uid: owner.metadata?.uid,
      controller: true,
    }),
  ]);
  expect(s.metadata?.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
  expect(s.metadata?.annotations?.['reconcile.external-secrets.io/data-hash']).toMatch(/^[0-9a-f]{64}$/);
  const synced = await eventually(
    async () => {
      const e = await readEs(ns, 'app');
      expect(ready(e)).toMatchObject({ status: 'True', reason: 'SecretSynced' });
      return e;
    },
    { timeoutMs: 10000, what: 'Ready=True' },
  );
  expect(synced.status?.binding?.name).toBe('app');
  expect(synced.status?.refreshTime).toBeTruthy();
  expect(JSON.stringify(synced.status)).not.toContain(CANARY);
  // The first sync's Secret is routine (Ready=True says it): no Event, one apiserver write fewer.
  const events = await eventsFor(ns, 'app');
  expect(events.map((e) => e.reason)).not.toContain('Created');
  expect(JSON.stringify(events)).not.toContain(CANARY);
});

test('drift repair: an edited or deleted target Secret is restored', async () => {
  const before = await waitSecret('app', (x) => expect(decoded(x).username).toBe('alice'));
  await core.replaceNamespacedSecret({
    name: 'app',
    namespace: ns,
    body: { ...before, data: { ...before.data, username: Buffer.from('mallory').toString('base64') } },
  });
  await waitSecret('app', (x) => expect(decoded(x).username).toBe('alice'));
  await core.deleteNamespacedSecret({ name: 'app', namespace: ns });
  await waitSecret('app', (x) => expect(decoded(x).password).toBe(CANARY));
  // Re-creating a Secret someone deleted is news, unlike the first sync.
  await eventually(
    async () => expect((await eventsFor(ns, 'app')).map((e) => e.reason)).toContain('Created'),
    { timeoutMs: 10000, what: 'a Created Event for the re-created Secret' },
  );
});

test('a pre-existing Secret that is not ours is never overwritten', async () => {
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'theirs' }, stringData: { keep: 'me' } },
  });
  await createObject(
    es('theirs', {
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'u', remoteRef: { key: 'db-user' } }],
    }),
  );
  const e = await eventually(
    async () => {
      const x = await readEs(ns, 'theirs');
      expect(ready(x)).toMatchObject({ status: 'False', reason: 'SecretNotOwned' });
      return x;
    },
    { timeoutMs: 10000, what: 'SecretNotOwned' },
  );
  expect(ready(e).message).toMatch(/not managed by this ExternalSecret/);
  expect(decoded(await readSecret(ns, 'theirs'))).toEqual({ keep: 'me' });
});

test('a missing store and a missing remote key give Ready=False with reasons that say what to fix', async () => {
  await createObject(
    es('nostore', { secretStoreRef: { name: 'nope' }, data: [{ secretKey: 'u', remoteRef: { key: 'x' } }] }),
  );
  await createObject(
    es('nokey', {
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'u', remoteRef: { key: 'missing' } }],
    }),
  );
  await eventually(
    async () => {
      expect(ready(await readEs(ns, 'nostore'))).toMatchObject({ status: 'False', reason: 'StoreNotFound' });
      const nokey = ready(await readEs(ns, 'nokey'));
      expect(nokey).toMatchObject({ status: 'False', reason: 'RemoteKeyNotFound' });
      expect(nokey.message).toMatch(/missing/);
    },
    { timeoutMs: 10000, what: 'failure reasons' },
  );
  expect(ready(await readEs(ns, 'nostore')).message).toMatch(/SecretStore nope in namespace .* not found/);
});

test('store change reaches the Secret; force-sync refreshes at once', async () => {
  const live = await objects.read({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
  });
  const spec = (
    live as unknown as { spec: { provider: { fake: { data: { key: string; value: string }[] } } } }
  ).spec;
  spec.provider.fake.data[0]!.value = 'bob';
  await objects.replace(live);
  await waitSecret('app', (x) => expect(decoded(x).username).toBe('bob'));

  const before = (await readEs(ns, 'app')).status?.refreshTime;
  await new Promise((r) => setTimeout(r, 1100)); // refreshTime has one-second resolution
  await objects.patch(
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'app', namespace: ns, annotations: { 'force-sync': String(Date.now()) } },
    },
    undefined,
    undefined,
    undefined,
    undefined,
    'application/merge-patch+json' as never,
  );
  await eventually(async () => expect((await readEs(ns, 'app')).status?.refreshTime).not.toBe(before), {
    timeoutMs: 10000,
    what: 'refresh after force-sync',
  });
});

test('restarting the controller writes no Secret and no status', async () => {
  const secretRv = (await readSecret(ns, 'app'))!.metadata!.resourceVersion;
  const esRv = (await readEs(ns, 'app')).metadata!.resourceVersion;
  await ctl!.stop();
  ctl = await startController(ns);
  // The new process has reconciled the object once it logs it.
  await eventually(
    () => expect(ctl!.logs.join('')).toMatch(new RegExp(`"externalSecret":"${ns}/app".*"msg":"reconciled"`)),
    {
      timeoutMs: 20000,
      what: 'first reconcile after restart',
    },
  );
  expect((await readSecret(ns, 'app'))!.metadata!.resourceVersion).toBe(secretRv);
  expect((await readEs(ns, 'app')).metadata!.resourceVersion).toBe(esRv);
});

test('the store reports Ready=True Valid, as `kubectl get ss` shows in ESO', async () => {
  await eventually(
    async () => {
      expect(await storeCondition(ns, 'fake')).toMatchObject({ status: 'True', reason: 'Valid' });
    },
    { timeoutMs: 10000, what: 'store Ready' },
  );
});
