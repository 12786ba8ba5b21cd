// Rollout pacing on the testbed. One Secret read by 200 Deployments is rotated with
// --max-concurrent-rollouts 20: the Deployments roll in waves, never more than 20 at once (sampled
// from the cluster throughout), and each rolls exactly once (one new ReplicaSet each). Most have
// `replicas: 0`: the testbed has no node, so pods never become available, and a Deployment of 0
// replicas completes its rollout as soon as the controller-manager observes it — which makes the
// waves short. Every twentieth has `replicas: 1` and so never completes: it stops counting at
// --rollout-progress-timeout, with a Warning Event. (A Deployment's own progressDeadlineSeconds is
// unit-tested, not here: the testbed's controller-manager is slow enough under this load to
// report a short deadline exceeded and then progressing again.) A second rotation restarts the
// controller halfway: the new one counts the rollouts its predecessor left in flight and still
// never exceeds 20. Then a rollout window: a workload outside its window does not roll; opened, it
// does.
import type { V1Deployment } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  ACT_MS,
  apps,
  core,
  DEBOUNCE_MS,
  deployment,
  envKey,
  events,
  FLAGS,
  metric,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  staysAt,
} from './helpers';

const COUNT = 200;
const LIMIT = 20;
/** Well above the controller-manager's lag under this load (a few seconds), so only the stuck ones time out. */
const TIMEOUT_MS = 15_000;
const PACED = { ...FLAGS, maxConcurrentRollouts: String(LIMIT), rolloutProgressTimeout: `${TIMEOUT_MS}ms` };
/**
 * The testbed's controller-manager writes at most 100 requests/s (--kube-api-qps), shared with the
 * other test files running beside this one: about three per Deployment rollout (ReplicaSet, its
 * status, the Deployment's status) bound how fast new ReplicaSets appear and rollouts complete.
 * Counted at 20/s, the default, for a controller-manager busy with the other files.
 */
const KCM_MS = (COUNT * 3 * 1000) / 20;
/**
 * Waves of LIMIT; each lasts at most as long as its slowest rollout counts, plus the debounce and
 * the controller-manager's lag for a wave on a loaded machine (CI runs image builds beside it).
 */
const WAVES = Math.ceil(COUNT / LIMIT);
const ROTATION_MS = WAVES * (TIMEOUT_MS + DEBOUNCE_MS + 15_000) + 2 * KCM_MS + ACT_MS;

const name = (i: number) => `d${String(i).padStart(3, '0')}`;
const stuck = (i: number) => i % 20 === 0;

let ns: string;
const running: TestController[] = [];

async function start(): Promise<TestController> {
  const c = await startController(ns, PACED);
  running.push(c);
  return c;
}

async function stop(c: TestController): Promise<void> {
  await c.stop();
  running.splice(running.indexOf(c), 1);
}

function workload(i: number): V1Deployment {
  const d = deployment(name(i), {
    annotations: { 'reloader.stakater.com/auto': 'true' },
    pod: { env: [envKey('shared', 'k')] },
  });
  d.spec = { ...d.spec!, replicas: stuck(i) ? 1 : 0, revisionHistoryLimit: 10 };
  return d;
}

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const restartedAt = (d: V1Deployment) =>
  Date.parse(d.spec?.template?.metadata?.annotations?.['secretsync.io/restartedAt'] ?? '');

/**
 * The Deployments rolling because of a restart made since `since`, as the cluster shows them at
 * `now` (read after the list returned): restarted, and the new pods not all available, unless the
 * restart is older than the timeout.
 */
function rollingAt(items: V1Deployment[], since: number, now: number): number {
  return items.filter((d) => {
    const at = restartedAt(d);
    if (!(at >= since) || at + TIMEOUT_MS <= now) return false;
    const s = d.status ?? {};
    if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return true;
    const want = d.spec?.replicas ?? 1;
    return (s.updatedReplicas ?? 0) < want || (s.availableReplicas ?? 0) < want || (s.replicas ?? 0) > want;
  }).length;
}

/** Samples the cluster (and the leader's gauges) until stopped; returns the highest counts seen. */
function sampler(since: number, current: () => TestController | undefined) {
  const seen = { rolling: 0, inFlightGauge: 0, waitingForSlot: 0, samples: 0 };
  let on = true;
  const loop = (async () => {
    while (on) {
      const items = (await apps.listNamespacedDeployment({ namespace: ns })).items;
      seen.rolling = Math.max(seen.rolling, rollingAt(items, since, Date.now()));
      seen.samples++;
      const ctl = current();
      if (ctl) {
        const text = await (
          await fetch(`http://127.0.0.1:${ctl.metricsPort}/metrics`)
        )
          .text()
          .catch(() => '');
        const gauge = /^secretsync_rollouts_in_flight (\d+)$/m.exec(text);
        if (gauge) seen.inFlightGauge = Math.max(seen.inFlightGauge, Number(gauge[1]));
        const waiting = text.split('\n').filter((l) => l.includes('reason="max-concurrent-rollouts"')).length;
        seen.waitingForSlot = Math.max(seen.waitingForSlot, waiting);
      }
      await sleep(200);
    }
  })();
  return {
    seen,
    stop: async () => {
      on = false;
      await loop;
      return seen;
    },
  };
}

/** ReplicaSets per Deployment, from one list. */
async function replicaSetCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const rs of (await apps.listNamespacedReplicaSet({ namespace: ns })).items)
    for (const o of rs.metadata?.ownerReferences ?? []) counts.set(o.name, (counts.get(o.name) ?? 0) + 1);
  return counts;
}

async function rolledSince(since: number): Promise<number> {
  const items = (await apps.listNamespacedDeployment({ namespace: ns })).items;
  return items.filter((d) => restartedAt(d) >= since).length;
}

async function allRolled(since: number, what: string, timeoutMs: number): Promise<void> {
  await eventually(async () => expect(await rolledSince(since)).toBe(COUNT), {
    timeoutMs,
    intervalMs: 500,
    what,
  });
}

async function eachHasReplicaSets(n: number): Promise<void> {
  // the controller-manager creates the new ReplicaSet shortly after the restart
  await eventually(
    async () => {
      const counts = await replicaSetCounts();
      const off = Array.from({ length: COUNT }, (_, i) => name(i)).filter((d) => counts.get(d) !== n);
      expect(off).toEqual([]);
    },
    { timeoutMs: ACT_MS + KCM_MS, intervalMs: 1000, what: `${n} ReplicaSets per Deployment` },
  );
}

beforeAll(async () => {
  ns = await createNamespace('rollout-pacing');
  await putSecret(ns, 'shared', { k: '1' });
  await pool(
    Array.from({ length: COUNT }, (_, i) => i),
    8,
    (i) => apps.createNamespacedDeployment({ namespace: ns, body: workload(i) }),
  );
}, 120_000);

afterEach(async () => {
  for (const c of [...running]) await stop(c);
});

afterAll(() => deleteNamespace(ns));

test(
  `one Secret read by ${COUNT} Deployments, rotated with --max-concurrent-rollouts ${LIMIT}: waves, each rolls once`,
  async () => {
    const ctl = await start();
    // first sight records a hash on each and restarts nothing
    await eventually(
      async () => {
        const items = (await apps.listNamespacedDeployment({ namespace: ns })).items;
        expect(items.filter((d) => d.metadata?.annotations?.['secretsync.io/last-reload-hash']).length).toBe(
          COUNT,
        );
      },
      { timeoutMs: ACT_MS + KCM_MS, intervalMs: 500, what: 'hash recorded on every Deployment' },
    );
    await eachHasReplicaSets(1);

    const since = Date.now();
    const s = sampler(since, () => ctl);
    await putSecret(ns, 'shared', { k: '2' });
    await allRolled(since, 'every Deployment restarted', ROTATION_MS);
    const took = Date.now() - since;
    // the stuck ones stop counting: by their deadline or by the timeout
    await eventually(async () => expect(await metric(ctl, 'secretsync_rollouts_in_flight', {})).toBe(0), {
      timeoutMs: TIMEOUT_MS + ACT_MS,
      what: 'no rollout in flight',
    });
    const seen = await s.stop();
    console.log(`${COUNT} Deployments, limit ${LIMIT}: all restarted in ${took} ms; highest seen`, seen);
    expect(seen.rolling).toBeLessThanOrEqual(LIMIT);
    expect(seen.inFlightGauge).toBeLessThanOrEqual(LIMIT);
    expect(seen.waitingForSlot).toBeGreaterThan(0); // the limit held restarts back
    expect(seen.samples).toBeGreaterThan(3);
    await eachHasReplicaSets(2);

    const byReason = async (reason: string) => {
      const out = new Map<string, string[]>();
      for (const e of (await core.listNamespacedEvent({ namespace: ns })).items)
        if (e.reason === reason) {
          const n = e.involvedObject.name ?? '';
          out.set(n, [...(out.get(n) ?? []), e.message ?? '']);
        }
      return out;
    };
    // Events are written in the background: the last ones may land just after the gauge fell to 0.
    await eventually(
      async () => {
        const triggered = await byReason('RolloutTriggered');
        expect(triggered.size).toBe(COUNT);
        expect([...triggered.values()].every((m) => m.length === 1)).toBe(true);
        const waited = [...(await byReason('MaxConcurrentRollouts')).values()];
        expect(waited.length).toBeGreaterThan(0);
        expect(waited[0]).toEqual([
          expect.stringMatching(/^restart waits: \d+ rollouts in flight, --max-concurrent-rollouts is 20/),
        ]);
        // Every stuck one times out once. So may others: under this load the controller-manager
        // takes up to about 20 s to observe a rollout (logged below), and then they count as long.
        const abandoned = await byReason('RolloutProgressTimeout');
        const timedOut = [expect.stringContaining('--rollout-progress-timeout (15s)')];
        for (let i = 0; i < COUNT; i++)
          if (stuck(i)) expect(abandoned.get(name(i))).toEqual(timedOut);
          else expect([undefined, timedOut]).toContainEqual(abandoned.get(name(i)));
      },
      { timeoutMs: ACT_MS, what: 'Events' },
    );
    const lags = (await apps.listNamespacedDeployment({ namespace: ns })).items
      .filter((d) => d.spec?.replicas === 0)
      .map((d) => {
        const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
        return new Date(c?.lastUpdateTime ?? 0).getTime() - restartedAt(d);
      });
    console.log(`controller-manager completed the rollouts in ${Math.min(...lags)}..${Math.max(...lags)} ms`);
  },
  ROTATION_MS + 3 * ACT_MS + 2 * KCM_MS,
);

test(
  'a controller restarted halfway through the waves counts what its predecessor left in flight',
  async () => {
    let ctl: TestController | undefined = await start();
    const since = Date.now();
    const s = sampler(since, () => ctl);
    await putSecret(ns, 'shared', { k: '3' });
    await eventually(async () => expect(await rolledSince(since)).toBeGreaterThanOrEqual(COUNT / 4), {
      timeoutMs: ROTATION_MS,
      intervalMs: 100,
      what: 'a quarter restarted',
    });
    const first = ctl;
    ctl = undefined;
    await stop(first);
    const before = await rolledSince(since);
    ctl = await start();
    await allRolled(since, 'every Deployment restarted once more', ROTATION_MS);
    const seen = await s.stop();
    console.log(`restart after ${before} of ${COUNT}; highest seen`, seen);
    expect(before).toBeLessThan(COUNT);
    expect(seen.rolling).toBeLessThanOrEqual(LIMIT);
    await eachHasReplicaSets(3);
  },
  2 * ROTATION_MS + 2 * ACT_MS,
);

test('outside its rollout window a workload does not roll; once its window is open it does', async () => {
  const wns = await createNamespace('rollout-window');
  try {
    const ctl = await startController(wns, FLAGS);
    running.push(ctl);
    // a window twelve hours from now: closed for the whole test
    const now = new Date();
    const closed = `${now.getUTCMinutes()} ${(now.getUTCHours() + 12) % 24} * * *`;
    await putSecret(wns, 'w', { k: '1' });
    await apps.createNamespacedDeployment({
      namespace: wns,
      body: deployment('windowed', {
        annotations: { 'reloader.stakater.com/auto': 'true', 'secretsync.io/rollout-window': closed },
        pod: { env: [envKey('w', 'k')] },
      }),
    });
    await recorded(wns, 'Deployment', 'windowed');
    const rs = () => replicaSets(wns, 'windowed');
    await reaches(rs, 1, 'first ReplicaSet');
    await putSecret(wns, 'w', { k: '2' });
    const labels = { workload: 'windowed', reason: 'rollout-window' };
    await eventually(async () => expect(await metric(ctl, 'secretsync_rollout_waiting', labels)).toBe(1), {
      timeoutMs: ACT_MS,
      what: 'waiting for the window',
    });
    const ev = (await events(wns, 'windowed')).filter((e) => e.reason === 'RolloutWindow');
    expect(ev.map((e) => e.message)).toEqual([
      expect.stringMatching(/^restart waits for secretsync.io\/rollout-window ".*" \(UTC\): it opens at /),
    ]);
    await staysAt(rs, 1);
    await apps.patchNamespacedDeployment({
      namespace: wns,
      name: 'windowed',
      body: [
        { op: 'replace', path: '/metadata/annotations/secretsync.io~1rollout-window', value: '* * * * *' },
      ],
    });
    await reaches(rs, 2, 'rollout once the window is open');
    expect(await metric(ctl, 'secretsync_rollout_waiting', labels)).toBe(0);
    await staysAt(rs, 2);
  } finally {
    await deleteNamespace(wns);
  }
});
