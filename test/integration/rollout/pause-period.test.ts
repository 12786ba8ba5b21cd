// Rollout timing per workload: the first change rolls at once (leading edge); changes within the
// workload's window after a rollout — its pause-period, here 6 s — make one more rollout, at the
// window's end. Proven by counting ReplicaSets and reading the restartedAt stamp each one's
// template carries (written by the controller with its clock), and the "hold" decision naming the
// window's end. The Deployment is never paused (no spec.paused, no paused-at annotation).
import type { V1Deployment } from '@kubernetes/client-node';
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  ACT_MS,
  apps,
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
  revisions,
  statefulSet,
  staysAt,
  type DecisionLine,
} from './helpers';

const PAUSE_MS = 6000;
const PAUSE = { 'deployment.reloader.stakater.com/pause-period': `${PAUSE_MS / 1000}s` };
const AUTO = { 'reloader.stakater.com/auto': 'true' };
/** Deadline for the coalesced rollout: the rest of the period plus the usual slack. */
const AFTER_PERIOD_MS = PAUSE_MS + ACT_MS;

let ns: string;
const running: TestController[] = [];

async function start(): Promise<TestController> {
  const c = await startController(ns, FLAGS);
  running.push(c);
  return c;
}

async function stop(c: TestController): Promise<void> {
  await c.stop();
  running.splice(running.indexOf(c), 1);
}

beforeAll(async () => {
  ns = await createNamespace('rollout-pause');
});

afterEach(async () => {
  for (const c of [...running]) await stop(c);
});

afterAll(() => deleteNamespace(ns));

const wk = (name: string) => `Deployment/${ns}/${name}`;
const rs = (name: string) => () => replicaSets(ns, name);

/** The restartedAt stamps of the Deployment's ReplicaSets (one per rollout by secretsync), sorted. */
async function rolloutStamps(name: string): Promise<number[]> {
  const list = await apps.listNamespacedReplicaSet({ namespace: ns });
  return list.items
    .filter((r) => r.metadata?.ownerReferences?.some((o) => o.name === name))
    .map((r) => r.spec?.template?.metadata?.annotations?.['secretsync.io/restartedAt'])
    .filter((s): s is string => s !== undefined)
    .map((s) => Date.parse(s))
    .sort((a, b) => a - b);
}

async function created(name: string, body: V1Deployment): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body });
  await recorded(ns, 'Deployment', name);
  await reaches(rs(name), 1, `first ReplicaSet of ${name}`);
}

/** The first change: rolled at once, before the period could have passed. Returns its stamp. */
async function leadingRollout(name: string, change: () => Promise<void>): Promise<number> {
  const t0 = Date.now();
  await change();
  await reaches(rs(name), 2, 'the leading rollout');
  const [r1] = await rolloutStamps(name);
  expect(r1! - t0).toBeLessThan(PAUSE_MS); // rolled at once, not at the end of a period
  return r1!;
}

function holdUntil(ctl: TestController, name: string, from = 0): Promise<DecisionLine & { until?: string }> {
  return eventually(
    () => {
      const d = decisions(ctl, from).find((x) => x.workload === wk(name) && x.action === 'hold');
      if (!d) throw new Error(`no hold decision on ${name} yet`);
      return d as DecisionLine & { until?: string };
    },
    { timeoutMs: ACT_MS, what: `hold decision on ${name}` },
  );
}

async function notPaused(name: string): Promise<void> {
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  expect(d.spec?.paused).toBeFalsy();
  expect(Object.keys(d.metadata?.annotations ?? {})).not.toContain(
    'deployment.reloader.stakater.com/paused-at',
  );
}

test('pause-period with three rotations inside it: one rollout at once, one at the end of the period', async () => {
  const ctl = await start();
  await putSecret(ns, 'three', { k: '0' });
  await created(
    'three',
    deployment('three', { annotations: { ...AUTO, ...PAUSE }, pod: { env: [envKey('three', 'k')] } }),
  );
  const r1 = await leadingRollout('three', () => putSecret(ns, 'three', { k: '1' }));
  const from = ctl.logs.length;
  await putSecret(ns, 'three', { k: '2' });
  await putSecret(ns, 'three', { k: '3' });
  expect(Date.now()).toBeLessThan(r1 + PAUSE_MS); // otherwise this test proves nothing
  // Held until the period ends, visibly: a decision naming the end, the waiting gauge, no pause.
  expect((await holdUntil(ctl, 'three', from)).until).toBe(new Date(r1 + PAUSE_MS).toISOString());
  const waiting = { kind: 'Deployment', workload: 'three', reason: 'cooldown' };
  expect(await metric(ctl, 'secretsync_rollout_waiting', waiting)).toBe(1);
  await notPaused('three');
  expect(await replicaSets(ns, 'three')).toBe(2);

  await eventually(async () => expect(await replicaSets(ns, 'three')).toBe(3), {
    timeoutMs: AFTER_PERIOD_MS,
    what: 'the coalesced rollout at the end of the period',
  });
  const stamps = await rolloutStamps('three');
  expect(stamps).toHaveLength(2);
  expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(PAUSE_MS);
  await staysAt(rs('three'), 3);
  expect(await metric(ctl, 'secretsync_rollout_waiting', waiting)).toBe(0);
  // The last rollout carries the last content.
  const d = await apps.readNamespacedDeployment({ name: 'three', namespace: ns });
  expect(d.spec?.template.metadata?.annotations?.['secretsync.io/reload-hash']).toBe(
    d.metadata?.annotations?.['secretsync.io/last-reload-hash'],
  );
  expect((await events(ns, 'three')).filter((e) => e.reason === 'RolloutTriggered')).toHaveLength(2);
});

test('a burst over a Secret and a ConfigMap after a rollout makes one more rollout, which saw both', async () => {
  const ctl = await start();
  await putSecret(ns, 'burst-s', { k: '0' });
  await putConfigMap(ns, 'burst-c', { k: '0' });
  await created(
    'burst',
    deployment('burst', {
      annotations: { ...AUTO, ...PAUSE },
      pod: { env: [envKey('burst-s', 'k'), envCmKey('burst-c', 'k')] },
    }),
  );
  const r1 = await leadingRollout('burst', () => putSecret(ns, 'burst-s', { k: '1' }));
  const from = ctl.logs.length;
  for (const v of ['2', '3']) {
    await putSecret(ns, 'burst-s', { k: v });
    await putConfigMap(ns, 'burst-c', { k: v });
  }
  expect(Date.now()).toBeLessThan(r1 + PAUSE_MS); // otherwise this test proves nothing
  await eventually(async () => expect(await replicaSets(ns, 'burst')).toBe(3), {
    timeoutMs: AFTER_PERIOD_MS,
    what: 'one rollout after the leading one',
  });
  await staysAt(rs('burst'), 3);
  // What the holds saw is kept for the rollout at the end: its decision names both objects.
  // (the last restart decision: an earlier one may have met a 409 on a stale cache and been retried)
  const restarts = decisions(ctl, from).filter((x) => x.workload === wk('burst') && x.action === 'restart');
  expect(restarts.at(-1)?.seen).toEqual(expect.arrayContaining(['Secret/burst-s', 'ConfigMap/burst-c']));
  const stamps = await rolloutStamps('burst');
  expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(PAUSE_MS);
});

test('a controller restart inside the pause-period makes no extra rollout; the held change rolls at its end', async () => {
  const first = await start();
  await putSecret(ns, 'restart', { k: '0' });
  await created(
    'restart',
    deployment('restart', { annotations: { ...AUTO, ...PAUSE }, pod: { env: [envKey('restart', 'k')] } }),
  );
  const r1 = await leadingRollout('restart', () => putSecret(ns, 'restart', { k: '1' }));
  await putSecret(ns, 'restart', { k: '2' });
  await holdUntil(first, 'restart');
  await stop(first);
  const second = await start();
  // The new controller knows nothing in memory: it reads the last rollout off the pod template.
  expect((await holdUntil(second, 'restart')).until).toBe(new Date(r1 + PAUSE_MS).toISOString());
  expect(await replicaSets(ns, 'restart')).toBe(2);
  await eventually(async () => expect(await replicaSets(ns, 'restart')).toBe(3), {
    timeoutMs: AFTER_PERIOD_MS,
    what: 'the held change rolled by the new controller',
  });
  await staysAt(rs('restart'), 3);
  const stamps = await rolloutStamps('restart');
  expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(PAUSE_MS);
});

test('statefulset.reloader.stakater.com/pause-period: the same on a StatefulSet (ControllerRevisions)', async () => {
  const ctl = await start();
  const revs = () => revisions(ns, 'sts');
  await putSecret(ns, 'sts', { k: '0' });
  await apps.createNamespacedStatefulSet({
    namespace: ns,
    body: statefulSet('sts', {
      annotations: { ...AUTO, 'statefulset.reloader.stakater.com/pause-period': `${PAUSE_MS / 1000}s` },
      pod: { env: [envKey('sts', 'k')] },
    }),
  });
  await recorded(ns, 'StatefulSet', 'sts');
  await reaches(revs, 1, 'first revision');
  await putSecret(ns, 'sts', { k: '1' });
  await reaches(revs, 2, 'the leading rollout');
  const sts = await apps.readNamespacedStatefulSet({ name: 'sts', namespace: ns });
  const r1 = Date.parse(sts.spec?.template.metadata?.annotations?.['secretsync.io/restartedAt'] ?? '');
  const from = ctl.logs.length;
  await putSecret(ns, 'sts', { k: '2' });
  expect(Date.now()).toBeLessThan(r1 + PAUSE_MS); // otherwise this test proves nothing
  const hold = await eventually(
    () => {
      const d = decisions(ctl, from).find(
        (x) => x.workload === `StatefulSet/${ns}/sts` && x.action === 'hold',
      );
      if (!d) throw new Error('no hold decision on the StatefulSet yet');
      return d as DecisionLine & { until?: string };
    },
    { timeoutMs: ACT_MS, what: 'hold decision on the StatefulSet' },
  );
  expect(hold.until).toBe(new Date(r1 + PAUSE_MS).toISOString());
  await eventually(async () => expect(await revs()).toBe(3), {
    timeoutMs: AFTER_PERIOD_MS,
    what: 'the coalesced rollout of the StatefulSet',
  });
  await staysAt(revs, 3);
});

test('an invalid pause-period: a warning Event naming it, and the default window applies', async () => {
  await start();
  const bad = { 'deployment.reloader.stakater.com/pause-period': '5 minutes' };
  await putSecret(ns, 'badperiod', { k: '0' });
  await created(
    'badperiod',
    deployment('badperiod', { annotations: { ...AUTO, ...bad }, pod: { env: [envKey('badperiod', 'k')] } }),
  );
  await eventually(
    async () =>
      expect(await events(ns, 'badperiod')).toContainEqual({
        type: 'Warning',
        reason: 'InvalidReloadAnnotation',
        message: expect.stringContaining('deployment.reloader.stakater.com/pause-period: value "5 minutes"'),
      }),
    { timeoutMs: ACT_MS, what: 'InvalidReloadAnnotation Event' },
  );
  await putSecret(ns, 'badperiod', { k: '1' });
  await reaches(rs('badperiod'), 2, 'rollout');
  await staysAt(rs('badperiod'), 2);
});
