// Objects are matched to workloads within their namespace only: a same-named Secret changing in
// another namespace touches nothing here, and a change here touches nothing there.
import { startController, type TestController } from '../../support/controller';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  apps,
  decided,
  decisions,
  deployment,
  envKey,
  FLAGS,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  staysAt,
} from './helpers';

let here: string;
let there: string;
let ctl: TestController;

beforeAll(async () => {
  here = await createNamespace('rollout-ns-a');
  there = await createNamespace('rollout-ns-b');
  ctl = await startController(here, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await Promise.all([deleteNamespace(here), deleteNamespace(there)]);
});

test('a workload in another namespace is untouched', async () => {
  const body = deployment('web', {
    annotations: { 'reloader.stakater.com/auto': 'true' },
    pod: { env: [envKey('shared', 'k')] },
  });
  for (const ns of [here, there]) {
    await putSecret(ns, 'shared', { k: '1' });
    await apps.createNamespacedDeployment({ namespace: ns, body });
  }
  await recorded(here, 'Deployment', 'web');
  await reaches(() => replicaSets(there, 'web'), 1, 'first ReplicaSet there');

  let from = ctl.logs.length;
  await putSecret(there, 'shared', { k: '2' });
  await staysAt(() => replicaSets(here, 'web'), 1);
  expect(decisions(ctl, from).filter((d) => d.seen?.includes('Secret/shared'))).toEqual([]);

  from = ctl.logs.length;
  await putSecret(here, 'shared', { k: '2' });
  await reaches(() => replicaSets(here, 'web'), 2, 'rollout here');
  expect(await decided(ctl, from, `Deployment/${here}/web`, 'Secret/shared')).toMatchObject({
    action: 'restart',
  });
  await staysAt(() => replicaSets(there, 'web'), 1);
  const other = await apps.readNamespacedDeployment({ name: 'web', namespace: there });
  expect(other.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeUndefined();
});
