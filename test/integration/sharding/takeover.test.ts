// Active-active sharding with three in-process replicas (--sharding): each namespace is acted on
// by one replica at a time (checked on every reconcile through the shard gate), a crashed
// replica's namespaces are taken over once its Lease expires with nothing lost and one rollout per
// rotation, and a replica joining takes its share over by the same rules.
// Size: SHARD_TEST_NAMESPACES × SHARD_TEST_ES_PER_NAMESPACE ExternalSecrets, one Deployment per
// namespace (default 9 × 4 + 9; the 3,000 + 300 is the same test with larger numbers).
import { CoordinationV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { ShardGate } from '../../../src/runtime/shard-member';
import { buildRing, ownerOf } from '../../../src/runtime/shard-ring';
import { applyFile, applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { apps, deployment, envKey, replicaSets } from '../rollout/helpers';
import { join } from 'node:path';

const NAMESPACES = Number(process.env.SHARD_TEST_NAMESPACES ?? 9);
const ES_PER_NS = Number(process.env.SHARD_TEST_ES_PER_NAMESPACE ?? 4);
const LEASE_MS = 6000;
const RETRY_MS = 500;
const DEBOUNCE_MS = 1000;
const FLAGS = {
  sharding: true,
  shardRing: `t-${randomBytes(3).toString('hex')}`,
  leaseDuration: `${LEASE_MS}ms`,
  renewDeadline: '4s',
  retryPeriod: `${RETRY_MS}ms`,
  rolloutDebounce: `${DEBOUNCE_MS}ms`,
  concurrency: '4',
};
/** A view settles in a few rounds (list, acknowledge, see every acknowledgement). */
const SETTLE_MS = 8 * RETRY_MS;
/** Syncing every object of the test after a view settled, with apiserver slack on a loaded machine. */
const SYNC_MS = 30_000 + NAMESPACES * ES_PER_NS * 50;
const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;

let namespaces: string[] = [];
const ours = new Set<string>();
const esNames = Array.from({ length: ES_PER_NS }, (_, i) => `es-${i}`);

/** Per replica: when it acted on each namespace (intervals of ≥ 1 reconcile in flight). */
interface Acting {
  open: Map<string, { count: number; since: number }>;
  intervals: { ns: string; from: number; to: number }[];
}
const replicas: { ctl: TestController; acting: Acting; crashedAt?: number }[] = [];

/** Sampled every 50 ms: namespaces two replicas were allowed to act on at the same moment. */
const gates: ShardGate[] = [];
const doublyAllowed = new Set<string>();
let sampler: NodeJS.Timeout | undefined;
function sample(): void {
  for (const ns of namespaces) if (gates.filter((g) => g.mayAct(ns)).length > 1) doublyAllowed.add(ns);
}

function recording(acting: Acting): (g: ShardGate) => ShardGate {
  return (g) => ({
    mayAct: (ns) => ours.has(ns) && g.mayAct(ns),
    tryEnter: (ns) => {
      if (!ours.has(ns) || !g.tryEnter(ns)) return false;
      const o = acting.open.get(ns) ?? { count: 0, since: performance.now() };
      o.count++;
      acting.open.set(ns, o);
      return true;
    },
    leave: (ns) => {
      g.leave(ns);
      const o = acting.open.get(ns)!;
      if (--o.count === 0) {
        acting.open.delete(ns);
        acting.intervals.push({ ns, from: o.since, to: performance.now() });
      }
    },
  });
}

async function addReplica(): Promise<(typeof replicas)[number]> {
  const acting: Acting = { open: new Map(), intervals: [] };
  const ctl = await startController('shard-ring', FLAGS, {
    embed: {
      shardGate: (g) => {
        gates.push(g);
        return recording(acting)(g);
      },
      clusterWide: false,
    },
  });
  const r = { ctl, acting };
  replicas.push(r);
  return r;
}

const live = () => replicas.filter((r) => r.crashedAt === undefined);
const ring = () => buildRing(live().map((r) => r.ctl.identity));
/** Namespaces a replica acted on since `t`. */
const actedSince = (r: (typeof replicas)[number], t: number) =>
  new Set(r.acting.intervals.filter((i) => i.to >= t).map((i) => i.ns));

async function storeYaml(ns: string, value: string): Promise<void> {
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec: {provider: {fake: {data: [{key: k, value: ${value}}]}}}
`);
}

async function allSecretsAre(value: string): Promise<void> {
  await eventually(
    async () => {
      for (const ns of namespaces)
        for (const n of esNames) expect(decoded(await readSecret(ns, n)).v).toBe(value);
    },
    { timeoutMs: SYNC_MS, what: `every Secret at ${value}` },
  );
}

async function rolledOnceSince(base: Map<string, number>): Promise<void> {
  await eventually(
    async () => {
      for (const ns of namespaces) expect(await replicaSets(ns, 'app')).toBe(base.get(ns)! + 1);
    },
    { timeoutMs: SYNC_MS, what: 'one new ReplicaSet per Deployment' },
  );
  // And no second one: quiet for longer than the debounce window.
  await new Promise((r) => setTimeout(r, 3 * DEBOUNCE_MS + 1000));
  for (const ns of namespaces) expect(await replicaSets(ns, 'app')).toBe(base.get(ns)! + 1);
}

async function replicaSetCounts(): Promise<Map<string, number>> {
  return new Map(
    await Promise.all(namespaces.map(async (ns) => [ns, await replicaSets(ns, 'app')] as const)),
  );
}

/** Never two replicas acting (or allowed to act) on one namespace at once. */
function expectNoOverlap(): void {
  expect([...doublyAllowed]).toEqual([]);
  const now = performance.now();
  for (const ns of namespaces) {
    const spans = replicas.flatMap((r, i) => [
      ...r.acting.intervals.filter((x) => x.ns === ns).map((x) => ({ i, from: x.from, to: x.to })),
      ...(r.acting.open.has(ns) ? [{ i, from: r.acting.open.get(ns)!.since, to: now }] : []),
    ]);
    spans.sort((a, b) => a.from - b.from);
    for (let a = 0; a < spans.length; a++)
      for (let b = a + 1; b < spans.length && spans[b]!.from <= spans[a]!.to; b++)
        if (spans[b]!.i !== spans[a]!.i)
          throw new Error(`replicas ${spans[a]!.i} and ${spans[b]!.i} acted on ${ns} at once`);
  }
}

beforeAll(async () => {
  await installDeploy();
  await applyFile(join(__dirname, '..', '..', '..', 'overlays', 'components', 'sharding', 'rbac.yaml'));
  namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => createNamespace('shard')));
  for (const ns of namespaces) ours.add(ns);
  for (const ns of namespaces) {
    await storeYaml(ns, `${CANARY}-1`);
    await applyYaml(
      esNames
        .map(
          (n) => `---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${n}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
  data: [{secretKey: v, remoteRef: {key: k}}]
`,
        )
        .join(''),
    );
  }
  sampler = setInterval(sample, 50);
  for (let i = 0; i < 3; i++) await addReplica();
}, 120_000);

afterAll(async () => {
  clearInterval(sampler);
  for (const r of replicas) await r.ctl.stop();
  await Promise.all(namespaces.map(deleteNamespace));
  await clients()
    .kc.makeApiClient(CoordinationV1Api)
    .deleteCollectionNamespacedLease({
      namespace: 'secretsync-system',
      labelSelector: `secretsync.io/shard-ring=${FLAGS.shardRing}`,
    })
    .catch(() => undefined);
  for (const r of replicas) expect(r.ctl.logs.join('')).not.toContain(CANARY);
});

test('three replicas share the namespaces, one replica per namespace', async () => {
  const t0 = performance.now();
  await allSecretsAre(`${CANARY}-1`);
  for (const ns of namespaces)
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('app', {
        annotations: { 'reloader.stakater.com/auto': 'true' },
        pod: { env: [envKey('es-0', 'v')] },
      }),
    });
  await eventually(
    async () => {
      for (const ns of namespaces) {
        const d = await apps.readNamespacedDeployment({ name: 'app', namespace: ns });
        expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeDefined();
        // Its first ReplicaSet (the baseline the rollouts below count from) exists.
        expect(await replicaSets(ns, 'app')).toBe(1);
      }
    },
    { timeoutMs: SYNC_MS, what: 'every Deployment recorded, with its first ReplicaSet' },
  );
  const r = ring();
  const shares = replicas.map((x) => [...actedSince(x, t0)].sort());
  // Each replica acted exactly on the namespaces the ring gives it.
  replicas.forEach((x, i) =>
    expect(shares[i]).toEqual(namespaces.filter((ns) => ownerOf(r, ns) === x.ctl.identity).sort()),
  );
  console.log(`shares of ${NAMESPACES} namespaces: ${shares.map((s) => s.length).join(' / ')}`);
  expectNoOverlap();
});

test('a crashed replica’s namespaces are taken over within the lease duration; nothing lost, one rollout', async () => {
  const base = await replicaSetCounts();
  const before = ring();
  // The replica with the largest share crashes (its Lease stays until it expires).
  const victim = [...replicas].sort(
    (a, b) =>
      namespaces.filter((ns) => ownerOf(before, ns) === b.ctl.identity).length -
      namespaces.filter((ns) => ownerOf(before, ns) === a.ctl.identity).length,
  )[0]!;
  const moved = namespaces.filter((ns) => ownerOf(before, ns) === victim.ctl.identity);
  await victim.ctl.crash();
  victim.crashedAt = performance.now();
  for (const ns of namespaces) await storeYaml(ns, `${CANARY}-2`);
  await allSecretsAre(`${CANARY}-2`);
  await rolledOnceSince(base);
  // Taken over by the ring's new owners, the first of them within the lease duration + a settle.
  const after = ring();
  const takeovers: number[] = [];
  for (const ns of moved) {
    const owner = replicas.find((x) => x.ctl.identity === ownerOf(after, ns))!;
    const first = Math.min(
      ...owner.acting.intervals.filter((x) => x.ns === ns && x.from >= victim.crashedAt!).map((x) => x.from),
    );
    expect(first - victim.crashedAt).toBeLessThanOrEqual(LEASE_MS + SETTLE_MS + 2000);
    takeovers.push(Math.round(first - victim.crashedAt));
  }
  console.log(`takeover after the crash (lease ${LEASE_MS} ms): ${takeovers.join(', ')} ms`);
  expect(victim.acting.intervals.every((x) => x.to <= victim.crashedAt!)).toBe(true);
  expectNoOverlap();
}, 120_000);

test('a replica joining takes its share over while values change; nothing lost, one rollout', async () => {
  // Values keep changing during the join, so reconciles are in flight when the ring moves.
  const last = new Map<string, string>();
  let churn = true;
  const churning = (async () => {
    for (let i = 0; churn; i++) {
      const ns = namespaces[i % NAMESPACES]!;
      last.set(ns, `${CANARY}-j${i}`);
      await storeYaml(ns, last.get(ns)!);
    }
  })();
  const joined = await addReplica();
  const r = ring();
  const share = namespaces.filter((ns) => ownerOf(r, ns) === joined.ctl.identity);
  console.log(`the joining replica's share: ${share.length} of ${NAMESPACES}`);
  // Its share is reconciled by it once the view settles (every object re-enqueued on a gain).
  await eventually(() => expect([...actedSince(joined, 0)].sort()).toEqual(share.sort()), {
    timeoutMs: SETTLE_MS + SYNC_MS,
    what: 'the joining replica acts on its share',
  });
  churn = false;
  await churning;
  await eventually(
    async () => {
      for (const [ns, v] of last) for (const n of esNames) expect(decoded(await readSecret(ns, n)).v).toBe(v);
    },
    { timeoutMs: SYNC_MS, what: 'every Secret at its last value' },
  );
  // The last rollouts of the churn land within a debounce window.
  await new Promise((r) => setTimeout(r, 3 * DEBOUNCE_MS + 1000));
  const base = await replicaSetCounts();
  const t = performance.now();
  for (const ns of namespaces) await storeYaml(ns, `${CANARY}-3`);
  await allSecretsAre(`${CANARY}-3`);
  await rolledOnceSince(base);
  for (const x of live())
    expect([...actedSince(x, t)].sort()).toEqual(
      namespaces.filter((ns) => ownerOf(r, ns) === x.ctl.identity).sort(),
    );
  expectNoOverlap();
}, 120_000);
