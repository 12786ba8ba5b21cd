// End to end with the sync side: a rotation at the (fake) provider → the ExternalSecret's Secret
// is rewritten → exactly one new ReplicaSet of the Deployment that reads it. Prints the latency.
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, apps, deployment, envKey, FLAGS, reaches, recorded, replicaSets, staysAt } from './helpers';

let ns: string;
let ctl: TestController;

const store = (value: string) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name: 'fake', namespace: ns },
  spec: { provider: { fake: { data: [{ key: 'db-pass', value }] } } },
});

beforeAll(async () => {
  ns = await createNamespace('rollout-sync');
  await installDeploy();
  await createObject(store('v1'));
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

test('provider rotation → Secret → one new ReplicaSet', async () => {
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      data: [{ secretKey: 'password', remoteRef: { key: 'db-pass' } }],
    },
  });
  // Applied together, as from Git: the Deployment waits for its Secret; no rollout when it appears.
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('app', {
      annotations: { 'reloader.stakater.com/auto': 'true' },
      pod: { env: [envKey('db', 'password')] },
    }),
  });
  await recorded(ns, 'Deployment', 'app');
  await reaches(() => replicaSets(ns, 'app'), 1, 'first ReplicaSet');
  await staysAt(() => replicaSets(ns, 'app'), 1);

  const started = Date.now();
  const current = await clients().objects.read(store('v1'));
  await clients().objects.replace({ ...current, spec: store('v2').spec } as typeof current);
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('v2'), {
    timeoutMs: ACT_MS,
    what: 'Secret rewritten',
  });
  const secretMs = Date.now() - started;
  await reaches(() => replicaSets(ns, 'app'), 2, 'rollout after rotation');
  const rolloutMs = Date.now() - started;
  console.log(
    `rotation → Secret ${secretMs} ms, → new ReplicaSet ${rolloutMs} ms (rollout window ${FLAGS.rolloutDebounce}, leading edge)`,
  );
  await staysAt(() => replicaSets(ns, 'app'), 2);
});
