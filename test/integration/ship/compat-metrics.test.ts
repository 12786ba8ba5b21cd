// ESO's and Reloader's metric names, scraped from /metrics of a running controller: the series a
// dashboard built for them reads move as theirs do through a sync from Secret Manager (emulator),
// a rotation that restarts a Deployment, a failure, and the ExternalSecret's deletion (which takes
// its per-object series away).
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, FLAGS, apps, deployment, envKey, recorded, replicaSets } from '../rollout/helpers';

jest.setTimeout(120_000);

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const REMOTE = `compat-metrics-${randomBytes(3).toString('hex')}`;
const sm = gcpSecretManager();
/** One sync against the emulator plus informer delivery. */
const SYNC_MS = 20_000;
let ns: string;
let ctl: TestController | undefined;

type Labels = Record<string, string>;

/** The value of the one series of `name` carrying `labels` (and perhaps others); undefined if none. */
function value(text: string, name: string, labels: Labels = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text();
}

const es = () => ({ name: 'app-db', namespace: ns });

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('compat-metrics');
  await grantGcp('my-project', 'roles/secretmanager.secretAccessor');
  await putGcpVersion(sm, 'my-project', REMOTE, 'v1');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gcp, namespace: ${ns}}
spec:
  provider:
    gcpsm: {projectID: my-project}
`);
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  expect(ctl?.logs.join('') ?? '').not.toContain(CANARY);
  await sm.close();
});

test('every ESO and Reloader metric name moves as theirs do', async () => {
  const before = await scrape();
  // Reloader shows both outcomes before any reload.
  expect(value(before, 'reloader_reload_executed_total', { success: 'true' })).toBe(0);
  expect(value(before, 'reloader_reload_executed_total', { success: 'false' })).toBe(0);

  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('web', {
      annotations: { 'reloader.stakater.com/auto': 'true' },
      pod: { env: [envKey('app-db', 'password')] },
    }),
  });
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-db, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp}
  data:
    - {secretKey: password, remoteRef: {key: ${REMOTE}}}
`);
  const synced = await eventually(
    async () => {
      const t = await scrape();
      expect(
        value(t, 'externalsecret_status_condition', { ...es(), condition: 'Ready', status: 'True' }),
      ).toBe(1);
      expect(
        value(t, 'externalsecret_status_condition', { ...es(), condition: 'Ready', status: 'False' }),
      ).toBe(0);
      expect(value(t, 'externalsecret_sync_calls_total', es())).toBeGreaterThanOrEqual(1);
      expect(value(t, 'externalsecret_sync_calls_error', es())).toBe(0);
      expect(value(t, 'externalsecret_reconcile_duration', es())).toBeGreaterThan(0);
      expect(
        value(t, 'externalsecret_provider_api_calls_count', {
          provider: 'GCP/SecretManager',
          call: 'AccessSecretVersion',
          status: 'success',
        }),
      ).toBeGreaterThanOrEqual(1);
      return t;
    },
    { timeoutMs: SYNC_MS, what: 'ESO series after the first sync' },
  );
  const syncCalls = value(synced, 'externalsecret_sync_calls_total', es())!;

  // A rotation: the Secret changes and the Deployment restarts once (Reloader's counter).
  await recorded(ns, 'Deployment', 'web');
  const rsBefore = await replicaSets(ns, 'web');
  await putGcpVersion(sm, 'my-project', REMOTE, CANARY);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-db, namespace: ${ns}, annotations: {external-secrets.io/force-sync: "1"}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp}
  data:
    - {secretKey: password, remoteRef: {key: ${REMOTE}}}
`);
  await eventually(async () => expect(decoded(await readSecret(ns, 'app-db')).password).toBe(CANARY), {
    timeoutMs: SYNC_MS,
    what: 'rotated Secret',
  });
  await eventually(
    async () => {
      const t = await scrape();
      expect(value(t, 'reloader_reload_executed_total', { success: 'true' })).toBe(1);
      expect(
        value(t, 'reloader_reload_executed_total_by_namespace', { success: 'true', namespace: ns }),
      ).toBe(1);
      expect(value(t, 'externalsecret_sync_calls_total', es())).toBeGreaterThan(syncCalls);
    },
    { timeoutMs: ACT_MS, what: 'one reload counted' },
  );
  expect(await replicaSets(ns, 'web')).toBe(rsBefore + 1);

  // A failure: a remote key that does not exist.
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-db, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp}
  data:
    - {secretKey: password, remoteRef: {key: ${REMOTE}-missing}}
`);
  await eventually(
    async () => {
      const t = await scrape();
      expect(
        value(t, 'externalsecret_status_condition', { ...es(), condition: 'Ready', status: 'False' }),
      ).toBe(1);
      expect(
        value(t, 'externalsecret_status_condition', { ...es(), condition: 'Ready', status: 'True' }),
      ).toBe(0);
      expect(value(t, 'externalsecret_sync_calls_error', es())).toBeGreaterThanOrEqual(1);
      expect(
        value(t, 'externalsecret_provider_api_calls_count', {
          provider: 'GCP/SecretManager',
          call: 'AccessSecretVersion',
          status: 'error',
        }),
      ).toBeGreaterThanOrEqual(1);
    },
    { timeoutMs: SYNC_MS, what: 'ESO series after a failure' },
  );

  // Deleted: no series of it is left (ESO would keep a condition="Deleted" one and its counters).
  await clients().objects.delete({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: es(),
  });
  await eventually(
    async () => {
      const t = await scrape();
      for (const name of [
        'externalsecret_status_condition',
        'externalsecret_sync_calls_total',
        'externalsecret_sync_calls_error',
        'externalsecret_reconcile_duration',
      ])
        expect(value(t, name, es())).toBeUndefined();
    },
    { timeoutMs: SYNC_MS, what: 'series removed with the ExternalSecret' },
  );
  expect(await scrape()).not.toContain(CANARY);
});
