// Every opt-in form, Reloader's and ours, on the real apiserver: which changes roll which
// workload, and malformed annotations (a warning Event naming the annotation, no restart).
import { startController, type TestController } from '../../support/controller';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  apps,
  decided,
  deployment,
  envCmKey,
  envKey,
  events,
  FLAGS,
  putConfigMap,
  putSecret,
  QUIET_MS,
  reaches,
  recorded,
  replicaSets,
  staysAt,
  type WorkloadOpts,
} from './helpers';

let ns: string;
let ctl: TestController;

beforeAll(async () => {
  ns = await createNamespace('rollout-ann');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

const wk = (name: string) => `Deployment/${ns}/${name}`;
const rs = (name: string) => () => replicaSets(ns, name);

async function created(name: string, o: WorkloadOpts): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, o) });
  await recorded(ns, 'Deployment', name);
  await reaches(rs(name), 1, `first ReplicaSet of ${name}`);
}

/** Applies a change to `object` and checks that the workload rolls exactly once, or not at all. */
async function change(name: string, object: string, act: () => Promise<void>, rolls: boolean): Promise<void> {
  const before = await rs(name)();
  const from = ctl.logs.length;
  await act();
  const after = rolls ? before + 1 : before;
  if (rolls) await reaches(rs(name), after, `rollout of ${name} after ${object} changed`);
  expect(await decided(ctl, from, wk(name), object)).toMatchObject({ action: rolls ? 'restart' : 'none' });
  await staysAt(rs(name), after);
}

const both = (s: string, c: string) => ({ env: [envKey(s, 'k'), envCmKey(c, 'k')] });

test('reloader.stakater.com/auto on the pod template (no metadata annotation) covers both kinds', async () => {
  await putSecret(ns, 'tpl-s', { k: '1' });
  await putConfigMap(ns, 'tpl-c', { k: '1' });
  await created('tpl', {
    templateAnnotations: { 'reloader.stakater.com/auto': 'true' },
    pod: both('tpl-s', 'tpl-c'),
  });
  await change('tpl', 'Secret/tpl-s', () => putSecret(ns, 'tpl-s', { k: '2' }), true);
  await change('tpl', 'ConfigMap/tpl-c', () => putConfigMap(ns, 'tpl-c', { k: '2' }), true);
});

test('secret.reloader.stakater.com/auto: Secrets roll, ConfigMaps do not', async () => {
  await putSecret(ns, 'sa-s', { k: '1' });
  await putConfigMap(ns, 'sa-c', { k: '1' });
  await created('sa', {
    annotations: { 'secret.reloader.stakater.com/auto': 'true' },
    pod: both('sa-s', 'sa-c'),
  });
  await change('sa', 'ConfigMap/sa-c', () => putConfigMap(ns, 'sa-c', { k: '2' }), false);
  await change('sa', 'Secret/sa-s', () => putSecret(ns, 'sa-s', { k: '2' }), true);
});

test('configmap.reloader.stakater.com/auto: ConfigMaps roll, Secrets do not', async () => {
  await putSecret(ns, 'ca-s', { k: '1' });
  await putConfigMap(ns, 'ca-c', { k: '1' });
  await created('ca', {
    annotations: { 'configmap.reloader.stakater.com/auto': 'true' },
    pod: both('ca-s', 'ca-c'),
  });
  await change('ca', 'Secret/ca-s', () => putSecret(ns, 'ca-s', { k: '2' }), false);
  await change('ca', 'ConfigMap/ca-c', () => putConfigMap(ns, 'ca-c', { k: '2' }), true);
});

test('secret.reloader.stakater.com/reload: regex list; a listed Secret rolls even if unreferenced', async () => {
  await putSecret(ns, 'rl-db', { k: '1' });
  await putSecret(ns, 'rl-other', { k: '1' });
  await putSecret(ns, 'api-token', { t: '1' });
  await putSecret(ns, 'my-api-token', { t: '1' });
  await created('rl', {
    annotations: { 'secret.reloader.stakater.com/reload': 'rl-db, api-.*' },
    pod: { env: [envKey('rl-db', 'k'), envKey('rl-other', 'k')] },
  });
  await change('rl', 'Secret/rl-other', () => putSecret(ns, 'rl-other', { k: '2' }), false);
  await change('rl', 'Secret/my-api-token', () => putSecret(ns, 'my-api-token', { t: '2' }), false);
  await change('rl', 'Secret/api-token', () => putSecret(ns, 'api-token', { t: '2' }), true);
  await change('rl', 'Secret/rl-db', () => putSecret(ns, 'rl-db', { k: '2' }), true);
});

test('configmap.reloader.stakater.com/reload names ConfigMaps only', async () => {
  await putConfigMap(ns, 'cl-c', { k: '1' });
  await putSecret(ns, 'cl-c', { k: '1' });
  await created('cl', {
    annotations: { 'configmap.reloader.stakater.com/reload': 'cl-c' },
    pod: both('cl-c', 'cl-c'),
  });
  await change('cl', 'Secret/cl-c', () => putSecret(ns, 'cl-c', { k: '2' }), false);
  await change('cl', 'ConfigMap/cl-c', () => putConfigMap(ns, 'cl-c', { k: '2' }), true);
});

test('reloader.stakater.com/search + match: only referenced objects annotated match roll', async () => {
  await putSecret(ns, 'se-m', { k: '1' }, { 'reloader.stakater.com/match': 'true' });
  await putSecret(ns, 'se-n', { k: '1' });
  await created('se', {
    annotations: { 'reloader.stakater.com/search': 'true' },
    pod: { env: [envKey('se-m', 'k'), envKey('se-n', 'k')] },
  });
  await change('se', 'Secret/se-n', () => putSecret(ns, 'se-n', { k: '2' }), false);
  await change(
    'se',
    'Secret/se-m',
    () => putSecret(ns, 'se-m', { k: '2' }, { 'reloader.stakater.com/match': 'true' }),
    true,
  );
});

test('secrets.exclude / configmaps.exclude: excluded objects never roll an auto workload', async () => {
  await putSecret(ns, 'ex-s', { k: '1' });
  await putConfigMap(ns, 'ex-c', { k: '1' });
  await putSecret(ns, 'ex-in', { k: '1' });
  await created('ex', {
    annotations: {
      'reloader.stakater.com/auto': 'true',
      'secrets.exclude.reloader.stakater.com/reload': 'ex-s',
      'configmaps.exclude.reloader.stakater.com/reload': 'ex-c',
    },
    pod: { env: [envKey('ex-s', 'k'), envCmKey('ex-c', 'k'), envKey('ex-in', 'k')] },
  });
  await change('ex', 'Secret/ex-s', () => putSecret(ns, 'ex-s', { k: '2' }), false);
  await change('ex', 'ConfigMap/ex-c', () => putConfigMap(ns, 'ex-c', { k: '2' }), false);
  await change('ex', 'Secret/ex-in', () => putSecret(ns, 'ex-in', { k: '2' }), true);
});

test('reloader.stakater.com/ignore on a Secret or ConfigMap: never triggers', async () => {
  const ignore = { 'reloader.stakater.com/ignore': 'true' };
  await putSecret(ns, 'ig-s', { k: '1' }, ignore);
  await putConfigMap(ns, 'ig-c', { k: '1' }, ignore);
  await created('ig', { annotations: { 'reloader.stakater.com/auto': 'true' }, pod: both('ig-s', 'ig-c') });
  await change('ig', 'Secret/ig-s', () => putSecret(ns, 'ig-s', { k: '2' }, ignore), false);
  await change('ig', 'ConfigMap/ig-c', () => putConfigMap(ns, 'ig-c', { k: '2' }, ignore), false);
});

test('secretsync.io/reload: "true" covers both kinds; a list names either kind', async () => {
  await putSecret(ns, 'ours-s', { k: '1' });
  await putConfigMap(ns, 'ours-c', { k: '1' });
  await created('ours', { annotations: { 'secretsync.io/reload': 'true' }, pod: both('ours-s', 'ours-c') });
  await change('ours', 'ConfigMap/ours-c', () => putConfigMap(ns, 'ours-c', { k: '2' }), true);

  await putSecret(ns, 'ol-s', { k: '1' });
  await putConfigMap(ns, 'ol-c', { k: '1' });
  await putSecret(ns, 'ol-x', { k: '1' });
  await created('ourlist', {
    annotations: { 'secretsync.io/reload': 'ol-[sc]' },
    pod: { env: [envKey('ol-s', 'k'), envCmKey('ol-c', 'k'), envKey('ol-x', 'k')] },
  });
  await change('ourlist', 'Secret/ol-x', () => putSecret(ns, 'ol-x', { k: '2' }), false);
  await change('ourlist', 'Secret/ol-s', () => putSecret(ns, 'ol-s', { k: '2' }), true);
  await change('ourlist', 'ConfigMap/ol-c', () => putConfigMap(ns, 'ol-c', { k: '2' }), true);
});

test('malformed annotations: a warning Event naming the annotation, and no restart', async () => {
  await putSecret(ns, 'bad-s', { k: '1' });
  await putConfigMap(ns, 'bad-c', { k: '1' });
  // A bad regex for Secrets beside a valid ConfigMap opt-in: Secrets roll nothing.
  await created('bad', {
    annotations: {
      'secret.reloader.stakater.com/reload': '[bad-s',
      'configmap.reloader.stakater.com/auto': 'true',
    },
    pod: both('bad-s', 'bad-c'),
  });
  await change('bad', 'Secret/bad-s', () => putSecret(ns, 'bad-s', { k: '2' }), false);
  const ev = await events(ns, 'bad');
  expect(ev).toContainEqual({
    type: 'Warning',
    reason: 'InvalidReloadAnnotation',
    message: expect.stringContaining('annotation secret.reloader.stakater.com/reload: entry "[bad-s"'),
  });

  // Only malformed annotations (unknown value, empty list): the Events, and no restart ever.
  await putSecret(ns, 'bad2', { k: '1' });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('bad2', {
      annotations: { 'reloader.stakater.com/auto': 'yes', 'secretsync.io/reload': ' , ' },
      pod: { env: [envKey('bad2', 'k')] },
    }),
  });
  await reaches(rs('bad2'), 1, 'first ReplicaSet');
  await reaches(
    async () => (await events(ns, 'bad2')).filter((e) => e.reason === 'InvalidReloadAnnotation').length,
    2,
    'two warning Events',
  );
  const messages = (await events(ns, 'bad2')).map((e) => e.message);
  expect(messages).toEqual(
    expect.arrayContaining([
      'annotation reloader.stakater.com/auto: value "yes" is not "true" or "false"',
      'annotation secretsync.io/reload: empty list',
    ]),
  );
  await putSecret(ns, 'bad2', { k: '2' });
  // Nothing opts this workload in, so no decision is logged for it: a bounded wait is the check.
  await staysAt(rs('bad2'), 1, QUIET_MS);
  const d = await apps.readNamespacedDeployment({ name: 'bad2', namespace: ns });
  expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeUndefined();
});
