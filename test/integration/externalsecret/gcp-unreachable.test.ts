// A ClusterSecretStore whose Secret Manager endpoint refuses connections: the store is Ready=False
// ValidationFailed saying so, its ExternalSecrets fail with a retryable reason, and the process
// keeps serving every other store (it used to exit on an unhandled rejection from validation).
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { clusterStoreCondition, decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const run = randomBytes(3).toString('hex');
const store = `gcp-down-${run}`;
const saved = process.env.SECRETSYNC_GCP_ENDPOINT;
const SYNC_MS = 30_000;
let ns: string;
let ctl: TestController | undefined;

/** A local port nothing listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const es = (name: string, storeRef: string, key: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: ${storeRef.split('/')[1]}, kind: ${storeRef.split('/')[0]}}
  data:
    - {secretKey: v, remoteRef: {key: ${key}}}
`;

beforeAll(async () => {
  ns = await createNamespace('gcp-down');
  await installDeploy();
  // The in-process controller reads the endpoint when it builds a store's client.
  process.env.SECRETSYNC_GCP_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: ${store}}
spec: {provider: {gcpsm: {projectID: down-${run}}}}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: local, namespace: ${ns}}
spec: {provider: {fake: {data: [{key: a, value: one}, {key: b, value: two}]}}}
`);
  await applyYaml(es('before', 'SecretStore/local', 'a'));
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  process.env.SECRETSYNC_GCP_ENDPOINT = saved;
  await clients()
    .objects.delete({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: store },
    })
    .catch(() => undefined);
  await deleteNamespace(ns);
});

test('the store is ValidationFailed naming the endpoint failure; the process stays up and other stores sync', async () => {
  const cond = await eventually(
    async () => {
      const c = await clusterStoreCondition(store);
      expect(c).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
      return c!;
    },
    { timeoutMs: SYNC_MS, what: 'ValidationFailed' },
  );
  expect(cond.message).toMatch(`projects/down-${run}/secrets`);
  expect(cond.message).toMatch(/ECONNREFUSED|unavailable|failed/i);
  expect(cond.message).not.toContain('\n');

  await applyYaml(es('doomed', `ClusterSecretStore/${store}`, 'x'));
  expect(
    await eventually(
      async () => {
        const c = ready(await readEs(ns, 'doomed'));
        expect(c).toMatchObject({ status: 'False' });
        return c;
      },
      { timeoutMs: SYNC_MS, what: 'doomed Ready=False' },
    ),
  ).toMatchObject({ reason: 'ProviderUnavailable' });

  // Written before and after the store failed: the same process serves both.
  for (const [name, key, want] of [
    ['before', 'a', 'one'],
    ['after', 'b', 'two'],
  ] as const) {
    if (name === 'after') await applyYaml(es(name, 'SecretStore/local', key));
    await eventually(async () => expect(decoded(await readSecret(ns, name)).v).toBe(want), {
      timeoutMs: SYNC_MS,
      what: `${name} synced`,
    });
  }
  expect(ctl!.logs.join('')).not.toMatch(/unhandled/i);
});
