// Deployments against the real apiserver + controller-manager, with the controller running as its
// ServiceAccount: exactly one new ReplicaSet per change of consumed content, none otherwise.
import { randomBytes } from 'node:crypto';
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  apps,
  core,
  ACT_MS,
  decided,
  decisions,
  deployment,
  envCmKey,
  envKey,
  events,
  FLAGS,
  metric,
  putConfigMap,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  staysAt,
  type WorkloadOpts,
} from './helpers';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
let ns: string;
let ctl: TestController;

beforeAll(async () => {
  ns = await createNamespace('rollout-dep');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  expect(ctl?.logs.join('')).not.toContain(CANARY);
});

const AUTO = { 'reloader.stakater.com/auto': 'true' };
const wk = (name: string) => `Deployment/${ns}/${name}`;
const rs = (name: string) => () => replicaSets(ns, name);

/** Creates the Deployment and waits for first sight: hash recorded, one ReplicaSet. */
async function created(name: string, o: WorkloadOpts): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, o) });
  await recorded(ns, 'Deployment', name);
  await reaches(rs(name), 1, `first ReplicaSet of ${name}`);
}

test('first sight records the hash on the workload and restarts nothing', async () => {
  await putSecret(ns, 'first', { a: '1' });
  const from = ctl.logs.length;
  await created('first', { annotations: AUTO, pod: { env: [envKey('first', 'a')] } });
  const d = await apps.readNamespacedDeployment({ name: 'first', namespace: ns });
  expect(d.metadata?.annotations?.['secretsync.io/last-reload-objects']).toMatch(
    /^hmac-sha256:[0-9a-f]{8}:Secret\/first=[0-9a-f]{16}\./,
  );
  expect(d.spec?.template.metadata?.annotations?.['secretsync.io/restartedAt']).toBeUndefined();
  // The recording patch comes back through the informer and is decided again: nothing to do.
  await decided(ctl, from, wk('first'));
  await staysAt(rs('first'), 1);
});

test('rotation of a consumed key: exactly one new ReplicaSet, an Event naming Secret and key, a metric', async () => {
  await putSecret(ns, 'db', { password: 'p1', user: 'u1' });
  await created('rotate', { annotations: AUTO, pod: { env: [envKey('db', 'password')] } });
  const before = await metric(ctl, 'secretsync_rollouts_total', {
    kind: 'Deployment',
    reason: 'content-changed',
  });
  const from = ctl.logs.length;
  await putSecret(ns, 'db', { password: CANARY, user: 'u1' });
  await reaches(rs('rotate'), 2, 'second ReplicaSet');
  expect(await decided(ctl, from, wk('rotate'), 'Secret/db')).toMatchObject({ action: 'restart' });
  await staysAt(rs('rotate'), 2);
  const d = await apps.readNamespacedDeployment({ name: 'rotate', namespace: ns });
  const tpl = d.spec?.template.metadata?.annotations ?? {};
  expect(tpl['secretsync.io/restartedAt']).toBeTruthy();
  expect(tpl['secretsync.io/reload-hash']).toBe(d.metadata?.annotations?.['secretsync.io/last-reload-hash']);
  const ev = (await events(ns, 'rotate')).filter((e) => e.reason === 'RolloutTriggered');
  expect(ev).toHaveLength(1);
  expect(ev[0]?.message).toContain('Secret db changed (password)');
  expect(JSON.stringify(ev)).not.toContain(CANARY);
  expect(
    await metric(ctl, 'secretsync_rollouts_total', { kind: 'Deployment', reason: 'content-changed' }),
  ).toBe(before + 1);
});

test('a change to a key the pod spec does not read restarts nothing', async () => {
  await putSecret(ns, 'shared', { used: '1', unused: '1' });
  await created('keylevel', { annotations: AUTO, pod: { env: [envKey('shared', 'used')] } });
  const from = ctl.logs.length;
  await putSecret(ns, 'shared', { used: '1', unused: '2' });
  expect(await decided(ctl, from, wk('keylevel'), 'Secret/shared')).toMatchObject({ action: 'none' });
  await staysAt(rs('keylevel'), 1);
});

test('secretsync.io/reload-scope: secret — a change to any key restarts', async () => {
  await putSecret(ns, 'whole', { used: '1', unused: '1' });
  await created('scoped', {
    annotations: { ...AUTO, 'secretsync.io/reload-scope': 'secret' },
    pod: { env: [envKey('whole', 'used')] },
  });
  await putSecret(ns, 'whole', { used: '1', unused: '2' });
  await reaches(rs('scoped'), 2, 'second ReplicaSet');
  await staysAt(rs('scoped'), 2);
});

test('changes more than a window apart each roll at once: nothing is held', async () => {
  await putSecret(ns, 'spaced', { k: '0' });
  await created('spaced', { annotations: AUTO, pod: { envFrom: [{ secretRef: { name: 'spaced' } }] } });
  const from = ctl.logs.length;
  await putSecret(ns, 'spaced', { k: '1' });
  await reaches(rs('spaced'), 2, 'second ReplicaSet');
  await staysAt(rs('spaced'), 2); // longer than the window
  await putSecret(ns, 'spaced', { k: '2' });
  await reaches(rs('spaced'), 3, 'third ReplicaSet');
  await staysAt(rs('spaced'), 3);
  expect(decisions(ctl, from).filter((d) => d.workload === wk('spaced') && d.action === 'hold')).toEqual([]);
});

test('ConfigMap: a consumed key → one rollout; an unconsumed key → none', async () => {
  await putConfigMap(ns, 'cfg', { level: 'info', other: 'a' });
  await created('cm', { annotations: AUTO, pod: { env: [envCmKey('cfg', 'level')] } });
  let from = ctl.logs.length;
  await putConfigMap(ns, 'cfg', { level: 'info', other: 'b' });
  expect(await decided(ctl, from, wk('cm'), 'ConfigMap/cfg')).toMatchObject({ action: 'none' });
  from = ctl.logs.length;
  await putConfigMap(ns, 'cfg', { level: 'debug', other: 'b' });
  await reaches(rs('cm'), 2, 'second ReplicaSet');
  expect(await decided(ctl, from, wk('cm'), 'ConfigMap/cfg')).toMatchObject({ action: 'restart' });
  await staysAt(rs('cm'), 2);
  const ev = (await events(ns, 'cm')).filter((e) => e.reason === 'RolloutTriggered');
  expect(ev.map((e) => e.message)).toEqual([expect.stringContaining('ConfigMap cfg changed (level)')]);
});

test('a ConfigMap volume with items and binaryData: a changed binary key rolls', async () => {
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'bin' }, binaryData: { blob: Buffer.from([1, 2]).toString('base64') } },
  });
  await created('bin', {
    annotations: AUTO,
    pod: { volumes: [{ name: 'b', configMap: { name: 'bin', items: [{ key: 'blob', path: 'blob' }] } }] },
  });
  await core.replaceNamespacedConfigMap({
    name: 'bin',
    namespace: ns,
    body: { metadata: { name: 'bin' }, binaryData: { blob: Buffer.from([1, 3]).toString('base64') } },
  });
  await reaches(rs('bin'), 2, 'second ReplicaSet');
  await staysAt(rs('bin'), 2);
});

test('a Secret and a ConfigMap changed together: one rollout at once, at most one more at the end of the window', async () => {
  await putSecret(ns, 'pair-s', { k: '1' });
  await putConfigMap(ns, 'pair-c', { k: '1' });
  await created('pair', {
    annotations: AUTO,
    pod: { envFrom: [{ secretRef: { name: 'pair-s' } }, { configMapRef: { name: 'pair-c' } }] },
  });
  await putSecret(ns, 'pair-s', { k: '2' });
  await putConfigMap(ns, 'pair-c', { k: '2' });
  // Whether the rollout made at once already saw the ConfigMap depends on timing; either it did,
  // or the window's end makes one more that does.
  await eventually(
    async () =>
      expect((await events(ns, 'pair')).map((e) => e.message)).toContainEqual(
        expect.stringContaining('ConfigMap pair-c changed'),
      ),
    { timeoutMs: ACT_MS, what: 'a rollout carrying the ConfigMap change' },
  );
  const count = await replicaSets(ns, 'pair');
  await staysAt(rs('pair'), count);
  expect([2, 3]).toContain(count);
  const d = await apps.readNamespacedDeployment({ name: 'pair', namespace: ns });
  expect(d.spec?.template.metadata?.annotations?.['secretsync.io/reload-hash']).toBe(
    d.metadata?.annotations?.['secretsync.io/last-reload-hash'],
  );
});

test('optional Secret: appearing rolls once, disappearing rolls once', async () => {
  await created('optional', {
    annotations: AUTO,
    pod: { volumes: [{ name: 's', secret: { secretName: 'maybe', optional: true } }] },
  });
  await putSecret(ns, 'maybe', { k: '1' });
  await reaches(rs('optional'), 2, 'rollout when the optional Secret appears');
  await staysAt(rs('optional'), 2);
  await core.deleteNamespacedSecret({ name: 'maybe', namespace: ns });
  await reaches(rs('optional'), 3, 'rollout when the optional Secret goes away');
  await staysAt(rs('optional'), 3);
});

test('a required Secret that does not exist yet: no rollout when it appears, the hash is recorded then', async () => {
  const from = ctl.logs.length;
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('late', { annotations: AUTO, pod: { env: [envKey('late', 'k')] } }),
  });
  await reaches(rs('late'), 1, 'first ReplicaSet');
  expect(await decided(ctl, from, wk('late'))).toMatchObject({ action: 'wait', missing: ['Secret/late'] });
  await putSecret(ns, 'late', { k: '1' });
  await recorded(ns, 'Deployment', 'late');
  await staysAt(rs('late'), 1);
});
