// Reloader's command-line filters, as secretsync flags: each test starts a controller with the
// flag under test, and a workload the flag leaves alone next to one it does not (the positive
// marker), so "nothing happened" is checked after something provably did.
import { kubectl } from '../../support/apply';
import { startController, type TestController } from '../../support/controller';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  apps,
  core,
  decided,
  deployment,
  envCmKey,
  envKey,
  FLAGS,
  putConfigMap,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  revisions,
  staysAt,
} from './helpers';

let ns: string;
let ctl: TestController | undefined;

beforeEach(async () => {
  ns = await createNamespace('rollout-flags');
});

afterEach(async () => {
  await ctl?.stop();
  ctl = undefined;
  await deleteNamespace(ns);
});

const AUTO = { 'reloader.stakater.com/auto': 'true' };
const rs = (name: string) => () => replicaSets(ns, name);
const wk = (name: string) => `Deployment/${ns}/${name}`;

async function create(name: string, o: Parameters<typeof deployment>[1]): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, o) });
}

test('--resources-to-ignore=secrets: a Secret change rolls nothing, a ConfigMap change still does', async () => {
  ctl = await startController(ns, { ...FLAGS, resourcesToIgnore: 'secrets' });
  await putSecret(ns, 's', { k: '1' });
  await putConfigMap(ns, 'c', { k: '1' });
  await create('app', { annotations: AUTO, pod: { env: [envKey('s', 'k'), envCmKey('c', 'k')] } });
  await recorded(ns, 'Deployment', 'app');
  await reaches(rs('app'), 1, 'first ReplicaSet');
  const from = ctl.logs.length;
  await putSecret(ns, 's', { k: '2' });
  await decided(ctl, from, wk('app'), 'Secret/s');
  await staysAt(rs('app'), 1);
  await putConfigMap(ns, 'c', { k: '2' });
  await reaches(rs('app'), 2, 'rolled for the ConfigMap');
});

test('--namespaces-to-ignore: workloads there are neither recorded nor rolled', async () => {
  ctl = await startController(ns, { ...FLAGS, namespacesToIgnore: `other,${ns}` });
  await putSecret(ns, 's', { k: '1' });
  await create('app', { annotations: AUTO, pod: { env: [envKey('s', 'k')] } });
  await reaches(rs('app'), 1, 'first ReplicaSet');
  await putSecret(ns, 's', { k: '2' });
  // The controller sees the Secret change (it watches the namespace) but no workload of it.
  await staysAt(rs('app'), 1);
  const d = await apps.readNamespacedDeployment({ name: 'app', namespace: ns });
  expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeUndefined();
});

test('--reload-on-create=false, --reload-on-delete=false: an optional Secret appearing or going away is recorded only', async () => {
  ctl = await startController(ns, { ...FLAGS, reloadOnCreate: 'false', reloadOnDelete: 'false' });
  await putSecret(ns, 'req', { k: '1' });
  await create('app', {
    annotations: AUTO,
    pod: { env: [envKey('req', 'k'), envKey('opt', 'k', true)] },
  });
  const first = await recorded(ns, 'Deployment', 'app');
  await reaches(rs('app'), 1, 'first ReplicaSet');
  let from = ctl.logs.length;
  await putSecret(ns, 'opt', { k: '1' });
  await decided(ctl, from, wk('app'), 'Secret/opt');
  await staysAt(rs('app'), 1);
  const afterCreate = await recorded(ns, 'Deployment', 'app');
  expect(afterCreate).not.toBe(first); // recorded: the hash now covers the new Secret
  from = ctl.logs.length;
  await core.deleteNamespacedSecret({ name: 'opt', namespace: ns });
  await decided(ctl, from, wk('app'), 'Secret/opt');
  await staysAt(rs('app'), 1);
  // A change of content still rolls.
  await putSecret(ns, 'req', { k: '2' });
  await reaches(rs('app'), 2, 'rolled for a changed Secret');
});

test('--auto-reload-all: a workload without annotations rolls; auto: "false" opts out', async () => {
  ctl = await startController(ns, { ...FLAGS, autoReloadAll: true });
  await putSecret(ns, 's', { k: '1' });
  await create('plain', { pod: { env: [envKey('s', 'k')] } });
  await create('optout', {
    annotations: { 'reloader.stakater.com/auto': 'false' },
    pod: { env: [envKey('s', 'k')] },
  });
  await recorded(ns, 'Deployment', 'plain');
  await reaches(rs('plain'), 1, 'first ReplicaSet');
  await reaches(rs('optout'), 1, 'first ReplicaSet');
  await putSecret(ns, 's', { k: '2' });
  await reaches(rs('plain'), 2, 'rolled without an annotation');
  await staysAt(rs('optout'), 1);
});

test('--ignored-workload-types=deployments: Deployments are not watched, StatefulSets are', async () => {
  ctl = await startController(ns, { ...FLAGS, ignoredWorkloadTypes: 'deployments' });
  await putSecret(ns, 's', { k: '1' });
  await create('app', { annotations: AUTO, pod: { env: [envKey('s', 'k')] } });
  await apps.createNamespacedStatefulSet({
    namespace: ns,
    body: {
      metadata: { name: 'sts', annotations: AUTO },
      spec: {
        serviceName: 'sts',
        selector: { matchLabels: { app: 'sts' } },
        template: {
          metadata: { labels: { app: 'sts' } },
          spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1', env: [envKey('s', 'k')] }] },
        },
      },
    },
  });
  await recorded(ns, 'StatefulSet', 'sts');
  await reaches(rs('app'), 1, 'first ReplicaSet');
  await reaches(() => revisions(ns, 'sts'), 1, 'first revision');
  await putSecret(ns, 's', { k: '2' });
  await reaches(() => revisions(ns, 'sts'), 2, 'the StatefulSet rolled');
  await staysAt(rs('app'), 1);
  expect(ctl.logs.join('')).not.toContain('/deployments');
});

test('--resource-label-selector: only labelled Secrets roll anything', async () => {
  ctl = await startController(ns, { ...FLAGS, resourceLabelSelector: 'reload=yes' });
  for (const name of ['labelled', 'plain'])
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name, labels: name === 'labelled' ? { reload: 'yes' } : {} },
        stringData: { k: '1' },
      },
    });
  await create('app', { annotations: AUTO, pod: { env: [envKey('labelled', 'k'), envKey('plain', 'k')] } });
  await recorded(ns, 'Deployment', 'app');
  await reaches(rs('app'), 1, 'first ReplicaSet');
  const from = ctl.logs.length;
  await kubectl(['-n', ns, 'patch', 'secret', 'plain', '-p', '{"stringData":{"k":"2"}}']);
  await decided(ctl, from, wk('app'), 'Secret/plain');
  await staysAt(rs('app'), 1);
  await kubectl(['-n', ns, 'patch', 'secret', 'labelled', '-p', '{"stringData":{"k":"2"}}']);
  await reaches(rs('app'), 2, 'rolled for the labelled Secret');
});

test('--namespace-selector: workloads roll only while their namespace carries the labels', async () => {
  const label = 'secretsync-test-selected';
  ctl = await startController(ns, { ...FLAGS, namespaceSelector: `${label}=on` });
  await putSecret(ns, 's', { k: '1' });
  await create('app', { annotations: AUTO, pod: { env: [envKey('s', 'k')] } });
  await reaches(rs('app'), 1, 'first ReplicaSet');
  await putSecret(ns, 's', { k: '2' });
  await staysAt(rs('app'), 1);
  expect(
    (await apps.readNamespacedDeployment({ name: 'app', namespace: ns })).metadata?.annotations?.[
      'secretsync.io/last-reload-hash'
    ],
  ).toBeUndefined();
  // Selected: first sight records (nothing rolls), then a change rolls.
  await kubectl(['label', 'namespace', ns, `${label}=on`]);
  await recorded(ns, 'Deployment', 'app');
  await staysAt(rs('app'), 1);
  await putSecret(ns, 's', { k: '3' });
  await reaches(rs('app'), 2, 'rolled once selected');
  // No longer selected: changes roll nothing.
  await kubectl(['label', 'namespace', ns, `${label}-`]);
  await putSecret(ns, 's', { k: '4' });
  await staysAt(rs('app'), 2);
});
