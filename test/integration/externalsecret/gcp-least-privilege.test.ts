// The least-privilege GCP setup users are told to use: the controller's Google service account holds
// roles/secretmanager.secretAccessor on the secrets it reads, nothing more (the testbed's emulator
// allows nothing else). The store must be usable and say what it could not check; ExternalSecrets
// sync and workloads roll. An identity that may only view metadata gets a clear permission error,
// never a value.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { clusterStoreCondition, decoded, eventsFor, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { maxAttemptsWithin, metricSum, metricsText } from '../../support/events';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { FLAGS, deployment, envKey, reaches, recorded, replicaSets } from '../rollout/helpers';

const run = randomBytes(3).toString('hex');
const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const lean = `lean-${run}`; // accessor on two secrets
const looker = `looker-${run}`; // viewer on the project
const sm = gcpSecretManager();
const { apps, objects } = clients();
const stores = [`gcp-lean-${run}`, `gcp-viewer-${run}`];
let ns: string;
let ctl: TestController | undefined;
const SYNC_MS = 30_000;

const es = (name: string, store: string, body: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 2s
  secretStoreRef: {name: ${store}, kind: ClusterSecretStore}
  target: {name: ${name}}
${body}`;

const failing = (name: string, reason: string) =>
  eventually(
    async () => {
      const c = ready(await readEs(ns, name));
      expect(c).toMatchObject({ status: 'False', reason });
      return c.message ?? '';
    },
    { timeoutMs: SYNC_MS, what: `${name} Ready=False ${reason}` },
  );

beforeAll(async () => {
  ns = await createNamespace('gcp-lp');
  await installDeploy();
  await putGcpVersion(sm, lean, 'db-password', 'p1');
  await putGcpVersion(sm, lean, 'api-key', 'k1');
  await putGcpVersion(sm, looker, 'db-password', CANARY);
  for (const id of ['db-password', 'api-key'])
    await grantGcp(`projects/${lean}/secrets/${id}`, 'roles/secretmanager.secretAccessor');
  await grantGcp(looker, 'roles/secretmanager.viewer');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: ${stores[0]}}
spec: {provider: {gcpsm: {projectID: ${lean}}}}
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: ${stores[1]}}
spec: {provider: {gcpsm: {projectID: ${looker}}}}
`);
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  for (const name of stores) {
    await objects
      .delete({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name } })
      .catch(() => undefined);
  }
  await deleteNamespace(ns);
  await sm.close();
  expect(logs).not.toContain(CANARY);
});

test('accessor-only: the store is Ready with a one-line note, an ExternalSecret syncs and a rotation rolls the Deployment', async () => {
  const cond = await eventually(
    async () => {
      const c = await clusterStoreCondition(stores[0]!);
      expect(c).toMatchObject({ status: 'True', reason: 'Valid' });
      return c!;
    },
    { timeoutMs: SYNC_MS, what: 'lean store Valid' },
  );
  expect(cond.message).toBe(
    `store validated; Secret Manager accepted the credentials but denied secretmanager.secrets.list on projects/${lean} ` +
      '(or the project does not exist), so dataFrom.find is unavailable (it needs roles/secretmanager.viewer)',
  );
  expect(cond.message).not.toContain('\n');

  await applyYaml(
    es('db', stores[0]!, '  data:\n    - {secretKey: password, remoteRef: {key: db-password}}\n'),
  );
  await eventually(async () => expect(decoded(await readSecret(ns, 'db'))).toEqual({ password: 'p1' }), {
    timeoutMs: SYNC_MS,
    what: 'db synced',
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('app', {
      annotations: { 'reloader.stakater.com/auto': 'true' },
      pod: { env: [envKey('db', 'password')] },
    }),
  });
  await recorded(ns, 'Deployment', 'app');
  await reaches(() => replicaSets(ns, 'app'), 1, 'first ReplicaSet');

  await putGcpVersion(sm, lean, 'db-password', 'p2');
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('p2'), {
    timeoutMs: SYNC_MS,
    what: 'rotation synced',
  });
  await reaches(() => replicaSets(ns, 'app'), 2, 'second ReplicaSet after the rotation');
  expect(ready(await readEs(ns, 'db'))).toMatchObject({ status: 'True', reason: 'SecretSynced' });
});

test('accessor-only: dataFrom.find says it needs secrets.list (roles/secretmanager.viewer), and backs off', async () => {
  const findCalls = async () =>
    metricSum(await metricsText(ctl!.metricsPort), 'secretsync_provider_calls_total', {
      provider: 'gcpsm',
      op: 'findSecrets',
    });
  const before = await findCalls();
  const since = Date.now();
  await applyYaml(es('found', stores[0]!, '  dataFrom:\n    - find: {name: {regexp: "^api-"}}\n'));
  const msg = await failing('found', 'ProviderAuthFailed');
  expect(msg).toContain(`permission denied on projects/${lean}/secrets`);
  expect(msg).toContain('roles/secretmanager.viewer (secretmanager.secrets.list, needed by dataFrom.find)');
  // No retry storm: at most what per-key backoff (1 s doubling, 5 min cap) allows in the time taken.
  expect((await findCalls()) - before).toBeLessThanOrEqual(
    maxAttemptsWithin(Date.now() - since, 1000, 300_000),
  );
});

test('viewer-only: the store validates, but the ExternalSecret is Ready=False naming secretAccessor, with no value anywhere', async () => {
  await eventually(
    async () =>
      expect(await clusterStoreCondition(stores[1]!)).toMatchObject({
        status: 'True',
        reason: 'Valid',
        message: 'store validated',
      }),
    { timeoutMs: SYNC_MS, what: 'viewer store Valid' },
  );
  await applyYaml(
    es('peek', stores[1]!, '  data:\n    - {secretKey: password, remoteRef: {key: db-password}}\n'),
  );
  const msg = await failing('peek', 'ProviderAuthFailed');
  expect(msg).toContain(
    `permission denied on projects/${looker}/secrets/db-password/versions/latest: grant roles/secretmanager.secretAccessor to serviceAccount:`,
  );
  expect(await readSecret(ns, 'peek')).toBeUndefined();
  const seen = JSON.stringify([await readEs(ns, 'peek'), await eventsFor(ns, 'peek')]);
  expect(seen).not.toContain(CANARY);
});
