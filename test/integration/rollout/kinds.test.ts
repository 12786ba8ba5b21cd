// StatefulSets and DaemonSets roll through a new ControllerRevision; an OnDelete StatefulSet is
// patched with an Event saying pods change only when deleted, and counts as a rollout waiting until
// its pod is deleted; a paused Deployment rolls when it is resumed, once, and waits until then.
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  ACT_MS,
  apps,
  core,
  daemonSet,
  decided,
  deployment,
  envKey,
  events,
  FLAGS,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  revisions,
  staysAt,
  statefulSet,
} from './helpers';

let ns: string;
let ctl: TestController;

beforeAll(async () => {
  ns = await createNamespace('rollout-kinds');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

const AUTO = { 'reloader.stakater.com/auto': 'true' };
const pod = (secret: string) => ({ env: [envKey(secret, 'k')] });
const rev = (name: string) => () => revisions(ns, name);

/** The reason label of the workload's secretsync_rollout_waiting series, if it has one. */
async function waiting(kind: string, name: string): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${ctl.metricsPort}/metrics`)).text();
  const series = new RegExp(
    `^secretsync_rollout_waiting\\{kind="${kind}",workload_namespace="${ns}",workload="${name}",reason="([^"]+)"\\} 1$`,
    'm',
  );
  return series.exec(text)?.[1];
}

/** Waits (as long as a rollout may take) until the workload's waiting reason is `reason`. */
async function waitsFor(kind: string, name: string, reason: string | undefined): Promise<void> {
  await eventually(async () => expect(await waiting(kind, name)).toBe(reason), {
    timeoutMs: ACT_MS,
    what: `${kind} ${name} waiting: ${reason ?? 'no'}`,
  });
}

test('StatefulSet (RollingUpdate): a consumed change makes one new ControllerRevision', async () => {
  await putSecret(ns, 'sts', { k: '1' });
  await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSetBody('sts', false) });
  await recorded(ns, 'StatefulSet', 'sts');
  await reaches(rev('sts'), 1, 'first revision');
  await putSecret(ns, 'sts', { k: '2' });
  await reaches(rev('sts'), 2, 'second revision');
  await staysAt(rev('sts'), 2);
});

test('StatefulSet (OnDelete): patched, one new revision, and an Event saying pods change when deleted', async () => {
  await putSecret(ns, 'ondel', { k: '1' });
  await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSetBody('ondel', true) });
  await recorded(ns, 'StatefulSet', 'ondel');
  await reaches(rev('ondel'), 1, 'first revision');
  await putSecret(ns, 'ondel', { k: '2' });
  await reaches(rev('ondel'), 2, 'second revision');
  await staysAt(rev('ondel'), 2);
  const ev = await events(ns, 'ondel');
  expect(ev).toContainEqual({
    type: 'Normal',
    reason: 'RolloutOnDelete',
    message: expect.stringContaining('pods change only when they are deleted'),
  });
  // Its pod runs the old template until deleted: a rollout waiting, until the StatefulSet's status
  // says the pod it made again runs the new one.
  await waitsFor('StatefulSet', 'ondel', 'on-delete');
  await core.deleteNamespacedPod({ name: 'ondel-0', namespace: ns });
  await waitsFor('StatefulSet', 'ondel', undefined);
});

test('DaemonSet: a consumed change makes one new ControllerRevision', async () => {
  await putSecret(ns, 'ds', { k: '1' });
  await apps.createNamespacedDaemonSet({
    namespace: ns,
    body: daemonSet('ds', { annotations: AUTO, pod: pod('ds') }),
  });
  await recorded(ns, 'DaemonSet', 'ds');
  await reaches(rev('ds'), 1, 'first revision');
  await putSecret(ns, 'ds', { k: '2' });
  await reaches(rev('ds'), 2, 'second revision');
  await staysAt(rev('ds'), 2);
});

test('paused Deployment: no ReplicaSet while paused, exactly one when resumed', async () => {
  const rs = () => replicaSets(ns, 'paused');
  await putSecret(ns, 'paused', { k: '1' });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('paused', { annotations: AUTO, pod: pod('paused') }),
  });
  await recorded(ns, 'Deployment', 'paused');
  await reaches(rs, 1, 'first ReplicaSet');
  const wk = `Deployment/${ns}/paused`;
  let from = ctl.logs.length;
  await apps.patchNamespacedDeployment({
    name: 'paused',
    namespace: ns,
    body: [{ op: 'add', path: '/spec/paused', value: true }],
  });
  await decided(ctl, from, wk); // the controller saw it paused
  from = ctl.logs.length;
  await putSecret(ns, 'paused', { k: '2' });
  expect(await decided(ctl, from, wk, 'Secret/paused')).toMatchObject({ action: 'restart' });
  await staysAt(rs, 1);
  await waitsFor('Deployment', 'paused', 'paused');
  expect(await events(ns, 'paused')).toContainEqual({
    type: 'Normal',
    reason: 'RolloutPaused',
    message: expect.stringContaining('pods change when it is resumed'),
  });
  await apps.patchNamespacedDeployment({
    name: 'paused',
    namespace: ns,
    body: [{ op: 'replace', path: '/spec/paused', value: false }],
  });
  await reaches(rs, 2, 'rollout on resume');
  await waitsFor('Deployment', 'paused', undefined);
  await staysAt(rs, 2);
});

function statefulSetBody(name: string, onDelete: boolean) {
  return statefulSet(name, { annotations: AUTO, pod: pod(name), onDelete });
}
