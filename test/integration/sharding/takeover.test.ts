// Active-active sharding, the testbed test: three replicas (--sharding), each its own OS
// process and its own ServiceAccount (so that the apiserver's audit log tells them apart), share
// NAMESPACES × (ES_PER_NS ExternalSecrets + 1 Deployment). One is SIGKILLed while values rotate:
// its namespaces are taken over once its Lease expires, with every Secret at the new value, one
// new ReplicaSet per Deployment, and no object (nor namespace) written by two replicas at once.
// A replica joining takes its share over by the same rules.
// Size: SHARD_TEST_NAMESPACES × SHARD_TEST_ES_PER_NAMESPACE, default 60 × 5 (300 ExternalSecrets +
// 60 Deployments) in `npm test` (45–125 s); the 3,000 + 300 is 300 × 10: 211 s on a quiet
// 2-CPU machine, 530–590 s (and failing on replica stalls) beside other load, too slow for CI.
// Shares are checked exactly against the ring (each replica acts on, and writes, precisely the
// namespaces the ring gives it) and printed; ±20 % of a third is not asserted: with namespaces as
// the unit and random replica identities, a 300-namespace sample falls outside it in ~13 % of
// identity draws (128 virtual nodes; simulated), so asserting it would make this test flaky.
import { CoordinationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { shardLeaseName } from '../../../src/runtime/shard-member';
import {
  buildRing,
  ownerOf,
  SHARD_ACK_ANNOTATION,
  SHARD_RING_LABEL,
  viewId,
} from '../../../src/runtime/shard-ring';
import { auditedAccount, auditLog, type AuditedAccount } from '../../support/audited';
import { SHARDER_FIELD_MANAGER } from '../../../src/runtime/sharder';
import { eventually } from '../../support/eventually';
import { clients } from '../../support/kube';
import { removeReplicaBundle, startReplica, type ReplicaProcess } from '../../support/replica-process';
import { deployment, envKey } from '../rollout/helpers';
import type { AuditEntry } from '../../../dev/bench/audit';

const NAMESPACES = Number(process.env.SHARD_TEST_NAMESPACES ?? 60);
const ES_PER_NS = Number(process.env.SHARD_TEST_ES_PER_NAMESPACE ?? 5);
const OBJECTS = NAMESPACES * (ES_PER_NS + 1);
const LEASE_MS = 6000;
const RETRY_MS = 500;
const DEBOUNCE_MS = 1000;
const CONCURRENCY = 8;
const RUN = randomBytes(3).toString('hex');
const PREFIX = `shard-${RUN}-`;
const FLAGS = {
  sharding: true,
  shardRing: `t-${RUN}`,
  leaderElectionNamespace: 'secretsync-system',
  leaderElectionId: `secretsync-shard-${RUN}`,
  leaseDuration: `${LEASE_MS}ms`,
  renewDeadline: '4s',
  retryPeriod: `${RETRY_MS}ms`,
  rolloutDebounce: `${DEBOUNCE_MS}ms`,
  concurrency: String(CONCURRENCY),
  metricsPort: '0',
  bindAddress: '127.0.0.1',
  logLevel: 'info',
};
/** A view settles in a few rounds (list, acknowledge, see every acknowledgement). */
const SETTLE_MS = 8 * RETRY_MS;
/** Per object synced or rolled, with apiserver slack on a loaded 2-CPU machine. */
const PER_OBJECT_MS = 40;
/** Syncing every object of the test (a rotation, or the first sync). */
const SYNC_MS = 30_000 + OBJECTS * PER_OBJECT_MS;
/** After the last rollout, how long "no second rollout" is watched for. */
const QUIET_MS = 3 * DEBOUNCE_MS + 1000;
const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `${PREFIX}${i}`);
const esNames = Array.from({ length: ES_PER_NS }, (_, i) => `es-${i}`);
const { core, apps, objects, kc } = clients();
const accounts: AuditedAccount[] = [];
const replicas: ReplicaProcess[] = [];
const audit = auditLog();

async function pool<T>(items: readonly T[], f: (x: T) => Promise<unknown>, width = 16): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < items.length) await f(items[i++]!);
    }),
  );
}

const store = (ns: string, value: string) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name: 'fake', namespace: ns },
  spec: { provider: { fake: { data: [{ key: 'k', value }] } } },
});

/** Every store's value to `value` (a rotation: every ExternalSecret's Secret must follow). */
async function rotate(value: string): Promise<void> {
  await pool(namespaces, (ns) =>
    objects.patch(
      store(ns, value) as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json' as never,
    ),
  );
}

async function addReplica(k: number): Promise<ReplicaProcess> {
  const r = await startReplica({ name: `replica-${k}`, account: accounts[k]!, prefix: PREFIX, flags: FLAGS });
  replicas.push(r);
  return r;
}

const live = () => replicas.filter((r) => r.killedAt === undefined);
const ring = () => buildRing(live().map((r) => r.identity));
const shareOf = (r: ReplicaProcess, ring_ = ring()) =>
  namespaces.filter((ns) => ownerOf(ring_, ns) === r.identity);
/** Namespaces a replica acted on since `t`. */
const actedSince = (r: ReplicaProcess, t: number) =>
  new Set(r.intervals.filter((i) => i.to >= t).map((i) => i.ns));

async function allSecretsAre(value: string | ((ns: string) => string)): Promise<void> {
  const want = typeof value === 'string' ? () => value : value;
  await eventually(
    async () => {
      const got = new Map<string, string>();
      for (const s of (await core.listSecretForAllNamespaces()).items)
        if (s.metadata!.namespace!.startsWith(PREFIX))
          got.set(
            `${s.metadata!.namespace}/${s.metadata!.name}`,
            Buffer.from(s.data?.v ?? '', 'base64').toString(),
          );
      const wrong = namespaces.flatMap((ns) =>
        esNames.filter((n) => got.get(`${ns}/${n}`) !== want(ns)).map((n) => `${ns}/${n}`),
      );
      if (wrong.length) throw new Error(`${wrong.length} Secrets not at their value, e.g. ${wrong[0]}`);
    },
    { timeoutMs: SYNC_MS, intervalMs: 1000, what: 'every Secret at its value' },
  );
}

async function replicaSetCounts(): Promise<Map<string, number>> {
  const counts = new Map(namespaces.map((ns) => [ns, 0]));
  for (const rs of (await apps.listReplicaSetForAllNamespaces()).items)
    if (counts.has(rs.metadata!.namespace!) && rs.metadata!.ownerReferences?.some((o) => o.name === 'app'))
      counts.set(rs.metadata!.namespace!, counts.get(rs.metadata!.namespace!)! + 1);
  return counts;
}

/** Exactly one new ReplicaSet per Deployment since `base`, and no second one within QUIET_MS. */
async function rolledOnceSince(base: Map<string, number>): Promise<void> {
  const offBy = async () => {
    const now = await replicaSetCounts();
    return namespaces.filter((ns) => now.get(ns) !== base.get(ns)! + 1).map((ns) => `${ns}: ${now.get(ns)}`);
  };
  await eventually(
    async () => {
      const off = await offBy();
      if (off.length) throw new Error(`${off.length} Deployments not at one more ReplicaSet, e.g. ${off[0]}`);
    },
    { timeoutMs: SYNC_MS, intervalMs: 1000, what: 'one new ReplicaSet per Deployment' },
  );
  await new Promise((r) => setTimeout(r, QUIET_MS));
  expect(await offBy()).toEqual([]);
}

/** The audit log's writes by our replicas in our namespaces, so far. */
function writes(): AuditEntry[] {
  audit.poll();
  const users = new Set(accounts.map((a) => a.user));
  // The leader's sharder labels every replica's objects (a cache filter, not a sync): not counted.
  return audit.entries.filter(
    (e) =>
      users.has(e.user) &&
      e.namespace.startsWith(PREFIX) &&
      e.code < 400 &&
      e.fieldManager !== SHARDER_FIELD_MANAGER,
  );
}

/**
 * Never two replicas on one namespace at once: their shard-gate intervals (a killed replica's open
 * ones end at its kill) never overlap, and the audit log shows every write of theirs (other than
 * Events, which are sent asynchronously) inside one of the writer's gate intervals of that
 * namespace. So no object is written by two replicas during one ownership.
 */
function expectExclusive(): void {
  const now = Date.now();
  const spansOf = (r: ReplicaProcess, ns: string) => [
    ...r.intervals.filter((x) => x.ns === ns),
    ...(r.open.has(ns) ? [{ ns, from: r.open.get(ns)!.since, to: r.killedAt ?? now }] : []),
  ];
  for (const ns of namespaces) {
    const spans = replicas.flatMap((r, i) => spansOf(r, ns).map((x) => ({ i, ...x })));
    spans.sort((a, b) => a.from - b.from);
    for (let a = 0; a < spans.length; a++)
      for (let b = a + 1; b < spans.length && spans[b]!.from <= spans[a]!.to; b++)
        if (spans[b]!.i !== spans[a]!.i)
          throw new Error(`replicas ${spans[a]!.i} and ${spans[b]!.i} acted on ${ns} at once`);
  }
  const byUser = new Map(replicas.map((r) => [r.account.user, r]));
  const outside = writes().filter((e) => {
    if (e.resource === 'events') return false;
    // Audit times are truncated to the millisecond, gate times floored: 1 ms either side.
    return !spansOf(byUser.get(e.user)!, e.namespace).some((x) => e.t >= x.from - 1 && e.t <= x.to + 1);
  });
  expect(outside.map((e) => `${e.user} ${e.verb} ${e.resource} ${e.namespace}/${e.name} at ${e.t}`)).toEqual(
    [],
  );
}

/** Objects (Secrets, ExternalSecret statuses, Deployments) each replica wrote since `t`. */
function writtenSince(t: number): Map<string, Set<string>> {
  const m = new Map(accounts.map((a) => [a.user, new Set<string>()]));
  for (const e of writes())
    if (e.t >= t && e.resource !== 'events') m.get(e.user)!.add(`${e.resource} ${e.namespace}/${e.name}`);
  return m;
}

const namespacesOf = (objs: Set<string>) => new Set([...objs].map((o) => o.split(' ')[1]!.split('/')[0]!));

function shareLine(label: string): string {
  const r = ring();
  const parts = live().map((x) => {
    const n = shareOf(x, r).length;
    return `${x.identity}: ${n} namespaces (${((n / (NAMESPACES / live().length) - 1) * 100).toFixed(1)} %)`;
  });
  return `${label}: ${parts.join(', ')}`;
}

beforeAll(async () => {
  for (let k = 0; k < 4; k++) accounts.push(await auditedAccount(`replica-${RUN}-${k}`));
  await pool(namespaces, (name) => core.createNamespace({ body: { metadata: { name } } }));
  await pool(namespaces, (ns) => objects.create(store(ns, `${CANARY}-1`) as KubernetesObject));
  await Promise.all([0, 1, 2].map(addReplica));
  await ringSettled();
}, 180_000);

/** Every live replica's Lease acknowledges the view of the live replicas. */
async function ringSettled(): Promise<void> {
  const ids = live().map((r) => r.identity);
  await eventually(
    async () => {
      const leases = await kc.makeApiClient(CoordinationV1Api).listNamespacedLease({
        namespace: 'secretsync-system',
        labelSelector: `${SHARD_RING_LABEL}=${FLAGS.shardRing}`,
      });
      const acks = new Map(
        leases.items.map((l) => [l.spec?.holderIdentity, l.metadata?.annotations?.[SHARD_ACK_ANNOTATION]]),
      );
      expect(ids.map((id) => acks.get(id))).toEqual(ids.map(() => viewId(ids)));
    },
    { timeoutMs: LEASE_MS + SETTLE_MS, intervalMs: RETRY_MS, what: 'the ring settled' },
  );
}

async function createExternalSecrets(): Promise<void> {
  await pool(
    namespaces.flatMap((ns) => esNames.map((n) => [ns, n] as const)),
    ([ns, n]) =>
      objects.create({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: n, namespace: ns },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { name: 'fake' },
          data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
        },
      } as KubernetesObject),
  );
}

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  removeReplicaBundle();
  await pool(namespaces, (name) => core.deleteNamespace({ name }).catch(() => undefined));
  await Promise.all(accounts.map((a) => a.delete()));
  await kc
    .makeApiClient(CoordinationV1Api)
    .deleteCollectionNamespacedLease({
      namespace: 'secretsync-system',
      labelSelector: `secretsync.io/shard-ring=${FLAGS.shardRing}`,
    })
    .catch(() => undefined);
  for (const r of replicas) expect(r.text()).not.toContain(CANARY);
}, 120_000);

test(
  'three replicas share the namespaces, each acting on and writing exactly its share',
  async () => {
    const t0 = Date.now();
    await createExternalSecrets();
    await allSecretsAre(`${CANARY}-1`);
    const synced = Date.now();
    await pool(namespaces, (ns) =>
      apps.createNamespacedDeployment({
        namespace: ns,
        body: deployment('app', {
          annotations: { 'reloader.stakater.com/auto': 'true' },
          pod: { env: [envKey('es-0', 'v')] },
        }),
      }),
    );
    await eventually(
      async () => {
        const recorded = new Set(
          (await apps.listDeploymentForAllNamespaces()).items
            .filter((d) => d.metadata?.annotations?.['secretsync.io/last-reload-hash'])
            .map((d) => d.metadata!.namespace!),
        );
        const rs = await replicaSetCounts();
        // Recorded, with its first ReplicaSet (the baseline the rollouts below count from).
        const off = namespaces.filter((ns) => !recorded.has(ns) || rs.get(ns) !== 1);
        if (off.length) throw new Error(`${off.length} Deployments not recorded yet, e.g. ${off[0]}`);
      },
      { timeoutMs: SYNC_MS, intervalMs: 1000, what: 'every Deployment recorded, with its first ReplicaSet' },
    );
    console.log(
      `${OBJECTS} objects: first sync of ${NAMESPACES * ES_PER_NS} ExternalSecrets ${synced - t0} ms, ` +
        `${NAMESPACES} Deployments recorded ${Date.now() - synced} ms later\n${shareLine('ring shares')}`,
    );
    const r = ring();
    const written = writtenSince(t0);
    for (const x of replicas) {
      const share = shareOf(x, r).sort();
      // Acted on exactly the ring's namespaces.
      expect([...actedSince(x, t0)].sort()).toEqual(share);
      // Wrote in exactly its share's namespaces (the audit log).
      const mine = written.get(x.account.user)!;
      expect([...namespacesOf(mine)].sort()).toEqual(share);
      console.log(`${x.identity} wrote ${mine.size} objects in ${share.length} namespaces`);
    }
    expectExclusive();
  },
  2 * SYNC_MS + 60_000,
);

test(
  'a SIGKILLed replica’s namespaces are taken over once its Lease expires; nothing lost, one rollout',
  async () => {
    const base = await replicaSetCounts();
    const before = ring();
    // The replica with the largest share is killed; its Lease stays until it expires.
    const victim = [...replicas].sort((a, b) => shareOf(b, before).length - shareOf(a, before).length)[0]!;
    const moved = shareOf(victim, before);
    // Its Lease's last renewal before the kill: nobody may act on its namespaces before it expires.
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({
      namespace: 'secretsync-system',
      name: shardLeaseName(FLAGS.shardRing, victim.identity),
    });
    const renewedAt = new Date(lease.spec!.renewTime as unknown as string).getTime();
    await victim.kill();
    // Values change while its namespaces have no owner.
    await rotate(`${CANARY}-2`);
    const rotated = Date.now();
    const after = ring();
    const newOwner = (ns: string) => replicas.find((x) => x.identity === ownerOf(after, ns))!;
    const firstActs = () =>
      moved.map(
        (ns) =>
          Math.min(
            ...newOwner(ns)
              .intervals.filter((x) => x.ns === ns && x.from >= victim.killedAt!)
              .map((x) => x.from),
          ) - victim.killedAt!,
      );
    // Taken over: each of its namespaces acted on by its new owner within the lease, a settle and
    // the time to work through what it gained.
    await eventually(
      () => {
        const waiting = moved.filter((_, i) => !Number.isFinite(firstActs()[i]));
        if (waiting.length)
          throw new Error(`${waiting.length} namespaces not taken over, e.g. ${waiting[0]}`);
      },
      {
        timeoutMs: LEASE_MS + SETTLE_MS + 30_000 + moved.length * (ES_PER_NS + 1) * PER_OBJECT_MS,
        intervalMs: 100,
        what: 'the killed replica’s namespaces taken over',
      },
    );
    const takeovers = firstActs().sort((a, b) => a - b);
    const pct = (p: number) => takeovers[Math.min(takeovers.length - 1, Math.floor(p * takeovers.length))]!;
    console.log(
      `SIGKILL → first act by the new owner on each of ${moved.length} namespaces (lease ${LEASE_MS} ms, ` +
        `rotation issued ${rotated - victim.killedAt!} ms after the kill): ` +
        `min ${pct(0)} / p50 ${pct(0.5)} / max ${pct(1)} ms\n${shareLine('ring shares after the kill')}`,
    );
    // None before its Lease expired.
    expect(pct(0) + victim.killedAt!).toBeGreaterThanOrEqual(renewedAt + LEASE_MS);
    await allSecretsAre(`${CANARY}-2`);
    await rolledOnceSince(base);
    // Nothing by the killed replica after its kill.
    expect(writes().filter((e) => e.user === victim.account.user && e.t > victim.killedAt!)).toEqual([]);
    expectExclusive();
  },
  3 * SYNC_MS + 60_000,
);

test(
  'a replica joining takes its share over while values change; nothing lost, one rollout',
  async () => {
    const base = await replicaSetCounts();
    const t = Date.now();
    const joined = await addReplica(3);
    // Values change while the ring moves (the new view settles over a few retry periods).
    await rotate(`${CANARY}-3`);
    const share = shareOf(joined).sort();
    console.log(`${shareLine('ring shares after the join')}; the joining replica's share: ${share.length}`);
    await allSecretsAre(`${CANARY}-3`);
    await rolledOnceSince(base);
    // It reconciled all of its share (everything gained is enqueued again) and nothing else.
    expect([...actedSince(joined, t)].sort()).toEqual(share);
    const first = share.map(
      (ns) => Math.min(...joined.intervals.filter((x) => x.ns === ns).map((x) => x.from)) - t,
    );
    console.log(
      `join → its first act per namespace: min ${Math.min(...first)} / max ${Math.max(...first)} ms`,
    );
    // It wrote only in its share (its old owners may have synced some of it before the view settled).
    expect(share).toEqual(
      expect.arrayContaining([...namespacesOf(writtenSince(t).get(joined.account.user)!)]),
    );
    expectExclusive();
  },
  3 * SYNC_MS + 60_000,
);
