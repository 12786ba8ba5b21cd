// A refresh that changes nothing writes nothing: the controller checks the sources every
// refreshInterval (its last-check metric moves) while the ExternalSecret's resourceVersion, and so
// etcd and every watcher of ExternalSecrets, stays still until the refresh-time heartbeat.
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, readEs, ready } from '../../support/es';
import { lastCheckMs } from '../../support/last-check';

const { core } = clients();
let ns: string;
let ctl: TestController | undefined;
const REFRESH_S = 2;

beforeAll(async () => {
  ns = await createNamespace('es-idle');
  await installDeploy();
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'db-user', value: 'alice' }] } } },
  });
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

function es(name: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: `${REFRESH_S}s`,
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      data: [{ secretKey: 'username', remoteRef: { key: 'db-user' } }],
    },
  };
}

async function syncedResourceVersion(name: string): Promise<string> {
  return eventually(
    async () => {
      const e = await readEs(ns, name);
      expect(ready(e)).toMatchObject({ status: 'True', reason: 'SecretSynced' });
      return e.metadata!.resourceVersion!;
    },
    { timeoutMs: 20_000, what: `${name} Ready=True` },
  );
}

test('with the default heartbeat, refreshes that find nothing changed leave the ExternalSecret untouched', async () => {
  ctl = await startController(ns);
  await createObject(es('quiet'));
  const rv = await syncedResourceVersion('quiet');
  const firstCheck = (await lastCheckMs(ctl.metricsPort, ns, 'quiet'))!;
  const secretRv = (await core.readNamespacedSecret({ name: 'quiet', namespace: ns })).metadata!
    .resourceVersion;
  // Three further checks (each within one interval, jitter only makes them earlier).
  await eventually(
    async () =>
      expect(await lastCheckMs(ctl!.metricsPort, ns, 'quiet')).toBeGreaterThanOrEqual(
        firstCheck + 3 * REFRESH_S * 900,
      ),
    { timeoutMs: 6 * REFRESH_S * 1000 + 10_000, what: 'three more checks' },
  );
  expect((await readEs(ns, 'quiet')).metadata!.resourceVersion).toBe(rv);
  expect((await core.readNamespacedSecret({ name: 'quiet', namespace: ns })).metadata!.resourceVersion).toBe(
    secretRv,
  );
  await ctl.stop();
  ctl = undefined;
});

test('with --refresh-time-heartbeat 0 every refresh writes status.refreshTime, as ESO does', async () => {
  ctl = await startController(ns, { refreshTimeHeartbeat: '0' });
  await createObject(es('chatty'));
  const rv = await syncedResourceVersion('chatty');
  await eventually(async () => expect((await readEs(ns, 'chatty')).metadata!.resourceVersion).not.toBe(rv), {
    timeoutMs: 2 * REFRESH_S * 1000 + 10_000,
    what: 'a status write at the next refresh',
  });
});
