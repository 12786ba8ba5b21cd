// End to end against the Secret Manager emulator with the controller's ambient identity (ADC
// through the GCE metadata server): the ESO v1beta1 manifest from the issue, applied as written.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { startController, installDeploy, type TestController } from '../../support/controller';
import { decoded, eventsFor, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, deleteNamespace } from '../../support/kube';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const sm = gcpSecretManager();
const ns = 'app';
let ctl: TestController | undefined;

beforeAll(async () => {
  await installDeploy();
  await clients().core.createNamespace({ body: { metadata: { name: ns } } });
  await grantGcp('my-project', 'roles/secretmanager.secretAccessor');
  await putGcpVersion(sm, 'my-project', 'db-username', 'app_user');
  await putGcpVersion(sm, 'my-project', 'db-password', CANARY);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: gcp-secret-store}
spec:
  provider:
    gcpsm: {projectID: my-project}
`);
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  expect(ctl?.logs.join('')).not.toContain(CANARY);
  await sm.close();
});

test('the ESO v1beta1 manifest applies as written and syncs from Secret Manager', async () => {
  await applyYaml(`
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: database-credentials, namespace: app}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp-secret-store, kind: ClusterSecretStore}
  target: {name: database-credentials}
  data:
    - {secretKey: username, remoteRef: {key: projects/my-project/secrets/db-username}}
    - {secretKey: password, remoteRef: {key: projects/my-project/secrets/db-password}}
`);
  const s = await eventually(
    async () => {
      const x = await readSecret(ns, 'database-credentials');
      expect(decoded(x)).toEqual({ username: 'app_user', password: CANARY });
      return x!;
    },
    { timeoutMs: 20000, what: 'synced Secret' },
  );
  expect(s.metadata?.ownerReferences?.[0]?.kind).toBe('ExternalSecret');
  const es = await eventually(
    async () => {
      const e = await readEs(ns, 'database-credentials');
      expect(ready(e)).toMatchObject({ status: 'True', reason: 'SecretSynced' });
      return e;
    },
    { timeoutMs: 10000, what: 'Ready=True' },
  );
  expect(JSON.stringify(es)).not.toContain(CANARY);
  expect(JSON.stringify(await eventsFor(ns, 'database-credentials'))).not.toContain(CANARY);
});

test('a rotation in Secret Manager reaches the Secret within refreshInterval', async () => {
  const intervalMs = 3000;
  await putGcpVersion(sm, 'my-project', 'rotating', 'v1');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: rotating, namespace: app}
spec:
  refreshInterval: 3s
  secretStoreRef: {name: gcp-secret-store, kind: ClusterSecretStore}
  data:
    - {secretKey: value, remoteRef: {key: rotating}}
`);
  await eventually(async () => expect(decoded(await readSecret(ns, 'rotating')).value).toBe('v1'), {
    timeoutMs: 20000,
    what: 'first sync',
  });
  await putGcpVersion(sm, 'my-project', 'rotating', 'v2');
  // Jitter may only make a refresh earlier; allow one interval plus reconcile time.
  await eventually(async () => expect(decoded(await readSecret(ns, 'rotating')).value).toBe('v2'), {
    timeoutMs: intervalMs + 3000,
    what: 'rotated value',
  });
});

test('a missing remote secret says what to fix and keeps nothing stale in status', async () => {
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: missing, namespace: app}
spec:
  secretStoreRef: {name: gcp-secret-store, kind: ClusterSecretStore}
  data:
    - {secretKey: value, remoteRef: {key: does-not-exist}}
`);
  const cond = await eventually(
    async () => {
      const c = ready(await readEs(ns, 'missing'));
      expect(c).toMatchObject({ status: 'False', reason: 'RemoteKeyNotFound' });
      return c;
    },
    { timeoutMs: 20000, what: 'RemoteKeyNotFound' },
  );
  expect(cond.message).toMatch(/does-not-exist/);
  expect(cond.message).toMatch(/my-project/);
  expect(await readSecret(ns, 'missing')).toBeUndefined();
});
