// reloader.stakater.com/rollout-strategy: restart on a Deployment: the pod template stays as it
// is (Argo CD self-heal would revert a change) and the pods created before the change are evicted
// and replaced by the ReplicaSet (pods stay Pending on the testbed, but they exist and get new
// uids); the request is recorded on the Deployment's metadata, so nothing is evicted twice.
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  ACT_MS,
  apps,
  core,
  decided,
  deployment,
  envKey,
  FLAGS,
  putSecret,
  QUIET_MS,
  recorded,
  replicaSets,
  staysAt,
} from './helpers';

let ns: string;
let ctl: TestController;

beforeAll(async () => {
  ns = await createNamespace('rollout-strategy');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

const livePods = async (app: string) =>
  (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items.filter(
    (p) => p.metadata?.deletionTimestamp === undefined,
  );
const uids = async (app: string) => (await livePods(app)).map((p) => p.metadata?.uid ?? '').sort();

test('restart: pods evicted and replaced, the pod template unchanged, one ReplicaSet', async () => {
  await putSecret(ns, 'db', { k: '1' });
  const body = deployment('web', {
    annotations: {
      'reloader.stakater.com/auto': 'true',
      'reloader.stakater.com/rollout-strategy': 'restart',
    },
    pod: { env: [envKey('db', 'k')] },
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: { ...body, spec: { ...body.spec!, replicas: 2 } },
  });
  await recorded(ns, 'Deployment', 'web');
  const before = await eventually(
    async () => {
      const u = await uids('web');
      expect(u.length).toBe(2);
      return u;
    },
    { timeoutMs: ACT_MS, what: 'pods created by the ReplicaSet' },
  );
  const template = (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.template;
  // Creation timestamps have whole seconds: the change comes in a later second than the pods.
  const newest = Math.max(
    ...(await livePods('web')).map((p) => new Date(p.metadata?.creationTimestamp ?? 0).getTime()),
  );
  await eventually(() => expect(Date.now()).toBeGreaterThan(newest + 1000), {
    timeoutMs: 5000,
    what: 'a second after the pods were created',
  });
  const from = ctl.logs.length;
  await putSecret(ns, 'db', { k: '2' });
  await decided(ctl, from, `Deployment/${ns}/web`, 'Secret/db');
  await eventually(
    async () => {
      const now = await uids('web');
      expect(now.length).toBe(before.length);
      expect(now.filter((u) => before.includes(u))).toEqual([]);
    },
    { timeoutMs: ACT_MS, what: 'every pod replaced' },
  );
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  expect(d.spec?.template).toEqual(template);
  expect(d.metadata?.annotations?.['secretsync.io/restart-requested-at']).toMatch(/^\d{4}-/);
  expect(await replicaSets(ns, 'web')).toBe(1);
  // Nothing more: the replacements are newer than the request, the hash is recorded.
  const replaced = await uids('web');
  await staysAt(async () => ((await uids('web')).join() === replaced.join() ? 1 : 0), 1, QUIET_MS);
});
