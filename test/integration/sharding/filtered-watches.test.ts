// --sharding with apiserver-filtered watches: the leader's sharder writes the shard label
// (shard.secretsync.io/<ring>) of the namespace's ring owner on every ExternalSecret and managed
// Secret, and each replica's sync-side watches select its own label. Three in-process replicas:
// each caches only its share (secretsync_informer_objects); a replica leaving and one joining move
// labels only — the others sync what they gain without writing any Secret again, what a replica
// loses is forgotten (not treated as deleted), and nothing is deleted.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../../../src/runtime/informer';
import type { ShardGate } from '../../../src/runtime/shard-member';
import { shardLabelKey, shardLabelValue } from '../../../src/runtime/shard-labels';
import { buildRing, ownerOf } from '../../../src/runtime/shard-ring';
import { applyFile, applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, patchMerge, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { metricSum, metricsText } from '../../support/events';
import { adminConfig, clients, createNamespace, deleteNamespace } from '../../support/kube';

const NAMESPACES = Number(process.env.SHARD_TEST_NAMESPACES ?? 9);
const ES_PER_NS = Number(process.env.SHARD_TEST_ES_PER_NAMESPACE ?? 3);
const LEASE_MS = 6000;
const RETRY_MS = 500;
const FLAGS = {
  sharding: true,
  shardRing: `l-${randomBytes(3).toString('hex')}`,
  leaseDuration: `${LEASE_MS}ms`,
  renewDeadline: '4s',
  retryPeriod: `${RETRY_MS}ms`,
  concurrency: '4',
};
const LABEL = shardLabelKey(FLAGS.shardRing);
/** A view settles in a few rounds (list, acknowledge, see every acknowledgement). */
const SETTLE_MS = 8 * RETRY_MS;
/** Syncing (or relabelling) every object of the test, with apiserver slack on a loaded machine. */
const SYNC_MS = 30_000 + NAMESPACES * ES_PER_NS * 50;
/** After a move has been seen complete: long enough for a late duplicate write to show. */
const QUIET_MS = 3000;
const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;

let namespaces: string[] = [];
const ours = new Set<string>();
const esNames = Array.from({ length: ES_PER_NS }, (_, i) => `es-${i}`);

interface Replica {
  ctl: TestController;
  /** Namespaces it entered a reconcile for, with when. */
  acted: { ns: string; at: number }[];
  /** Namespaces it started a reconcile for, allowed or not. */
  tried: { ns: string; at: number }[];
  stopped?: boolean;
}
const replicas: Replica[] = [];

async function addReplica(): Promise<Replica> {
  const acted: Replica['acted'] = [];
  const tried: Replica['tried'] = [];
  const ctl = await startController('shard-labels', FLAGS, {
    embed: {
      shardGate: (g): ShardGate => ({
        mayAct: (ns) => ours.has(ns) && g.mayAct(ns),
        tryEnter: (ns) => {
          tried.push({ ns, at: performance.now() });
          if (!ours.has(ns) || !g.tryEnter(ns)) return false;
          acted.push({ ns, at: performance.now() });
          return true;
        },
        leave: (ns) => g.leave(ns),
      }),
      clusterWide: false,
      shardScope: (ns) => ours.has(ns),
    },
  });
  const r = { ctl, acted, tried };
  replicas.push(r);
  return r;
}

const live = () => replicas.filter((r) => !r.stopped);
const ring = () => buildRing(live().map((r) => r.ctl.identity));
const shareOf = (r: Replica) => namespaces.filter((ns) => ownerOf(ring(), ns) === r.ctl.identity);

/** What the test sees of an object: its shard label, and a digest of everything else that matters. */
interface Seen {
  label?: string;
  rest: string;
}
function seen(o: KubernetesObject): Seen {
  const { labels, resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata ?? {};
  const { [LABEL]: label, ...otherLabels } = labels ?? {};
  const { metadata: _m, ...body } = o as KubernetesObject & Record<string, unknown>;
  return {
    label,
    rest: createHash('sha256')
      .update(JSON.stringify([meta, otherLabels, body]))
      .digest('hex'),
  };
}

/**
 * Every change the apiserver shows on the test's ExternalSecrets and managed Secrets (an admin
 * watch): writes (anything but the shard label changed), relabels (only it changed), deletions.
 */
class Changes {
  writes = new Map<string, number>();
  relabels = new Map<string, number>();
  deletes: string[] = [];
  private readonly informers: Informer<Seen>[];

  constructor() {
    const inform = (kind: string, path: string, labelSelector?: string) => {
      const inf = new Informer<Seen>(adminConfig(), { path, labelSelector, project: seen });
      const mine = (key: string) => ours.has(key.slice(0, key.indexOf('/')));
      const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
      inf.on('update', (key, now, old) => {
        if (!mine(key)) return;
        if (now.rest !== old?.rest) bump(this.writes, `${kind}/${key}`);
        else if (now.label !== old?.label) bump(this.relabels, `${kind}/${key}`);
      });
      inf.on('delete', (key) => {
        if (mine(key)) this.deletes.push(`${kind}/${key}`);
      });
      return inf;
    };
    this.informers = [
      inform('Secret', '/api/v1/secrets', 'reconcile.external-secrets.io/managed=true'),
      inform('ExternalSecret', '/apis/external-secrets.io/v1/externalsecrets'),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  reset(): void {
    this.writes.clear();
    this.relabels.clear();
    this.deletes = [];
  }

  /** The shard label each of the test's objects carries now, by `Kind/ns/name`. */
  labels(): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    this.informers.forEach((inf, i) => {
      for (const key of inf.keys())
        if (ours.has(key.slice(0, key.indexOf('/'))))
          out.set(`${i === 0 ? 'Secret' : 'ExternalSecret'}/${key}`, inf.get(key)!.label);
    });
    return out;
  }

  stop(): Promise<void[]> {
    return Promise.all(this.informers.map((i) => i.stop()));
  }
}
const changes = new Changes();

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

/** Per live replica: its cached ExternalSecrets and managed Secrets, and its readiness series of ours. */
async function caches(): Promise<{ es: number; secrets: number; ready: number }[]> {
  return Promise.all(
    live().map(async (r) => {
      const text = await metricsText(r.ctl.metricsPort);
      const ready = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('secretsync_externalsecret_ready{') &&
            [...ours].some((ns) => l.includes(`externalsecret_namespace="${ns}"`)),
        ).length;
      return {
        es: metricSum(text, 'secretsync_informer_objects', { informer: 'externalsecrets' }),
        secrets: metricSum(text, 'secretsync_informer_objects', { informer: 'managed-secrets' }),
        ready,
      };
    }),
  );
}

/** Every object labelled for its owner in the current ring, and every replica caching exactly its share. */
async function sharedByLabels(what: string): Promise<void> {
  const r = ring();
  await eventually(
    async () => {
      const labels = changes.labels();
      expect(labels.size).toBe(2 * NAMESPACES * ES_PER_NS);
      for (const [key, label] of labels)
        expect([key, label]).toEqual([key, shardLabelValue(ownerOf(r, key.split('/')[1]!)!)]);
      const want = live().map((x) => ({
        es: shareOf(x).length * ES_PER_NS,
        secrets: shareOf(x).length * ES_PER_NS,
        ready: shareOf(x).length * ES_PER_NS,
      }));
      expect(await caches()).toEqual(want);
    },
    { timeoutMs: SETTLE_MS + SYNC_MS, what },
  );
  const sizes = await caches();
  console.log(
    `${what}: ExternalSecrets / managed Secrets cached per replica (of ${NAMESPACES * ES_PER_NS}): ` +
      sizes.map((s) => `${s.es}/${s.secrets}`).join(', '),
  );
}

/** Moves are label changes only: no write, no deletion, one relabel per moved object and none elsewhere. */
function onlyMoved(moved: Set<string>): void {
  expect(Object.fromEntries(changes.writes)).toEqual({});
  expect(changes.deletes).toEqual([]);
  const want: Record<string, number> = {};
  for (const ns of moved)
    for (const n of esNames) {
      want[`Secret/${ns}/${n}`] = 1;
      want[`ExternalSecret/${ns}/${n}`] = 1;
    }
  expect(Object.fromEntries(changes.relabels)).toEqual(want);
}

async function noDeletionEvents(): Promise<void> {
  for (const ns of namespaces) {
    const events = await clients().core.listNamespacedEvent({ namespace: ns });
    expect(events.items.filter((e) => /delet/i.test(e.reason ?? '')).map((e) => e.reason)).toEqual([]);
  }
}

beforeAll(async () => {
  await installDeploy();
  await applyFile(join(__dirname, '..', '..', '..', 'overlays', 'components', 'sharding', 'rbac.yaml'));
  namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => createNamespace('shardl')));
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
  for (let i = 0; i < 3; i++) await addReplica();
  await changes.start();
}, 120_000);

afterAll(async () => {
  for (const r of live()) await r.ctl.stop();
  await changes.stop();
  await Promise.all(namespaces.map(deleteNamespace));
  for (const r of replicas) expect(r.ctl.logs.join('')).not.toContain(CANARY);
});

test('each replica watches and caches only its share', async () => {
  await allSecretsAre(`${CANARY}-1`);
  await sharedByLabels('three replicas');
});

test('a replica leaving: the others take its share over by label, no Secret written again, nothing deleted', async () => {
  await sharedByLabels('before the leave');
  changes.reset();
  const before = ring();
  const leaders = await Promise.all(
    live().map(async (r) => metricSum(await metricsText(r.ctl.metricsPort), 'secretsync_leader')),
  );
  // A follower (the leader's sharder keeps running), the one with the largest share.
  const victim = live()
    .filter((_, i) => leaders[i] === 0)
    .sort((a, b) => shareOf(b).length - shareOf(a).length)[0]!;
  const moved = new Set(namespaces.filter((ns) => ownerOf(before, ns) === victim.ctl.identity));
  const t = performance.now();
  await victim.ctl.stop();
  victim.stopped = true;
  await sharedByLabels('after one left');
  // Each gained namespace was reconciled by its new owner (its ExternalSecrets arrived by label).
  for (const ns of moved) {
    const owner = live().find((x) => x.ctl.identity === ownerOf(ring(), ns))!;
    await eventually(() => expect(owner.acted.some((a) => a.ns === ns && a.at >= t)).toBe(true), {
      timeoutMs: SYNC_MS,
      what: `${ns} reconciled by its new owner`,
    });
  }
  await new Promise((r) => setTimeout(r, QUIET_MS));
  onlyMoved(moved);
  await noDeletionEvents();

  // The new owners sync changes of what they gained: one write per Secret.
  changes.reset();
  for (const ns of namespaces) await storeYaml(ns, `${CANARY}-2`);
  await allSecretsAre(`${CANARY}-2`);
  await new Promise((r) => setTimeout(r, QUIET_MS));
  const secretWrites = [...changes.writes].filter(([k]) => k.startsWith('Secret/'));
  expect(secretWrites.length).toBe(NAMESPACES * ES_PER_NS);
  expect(secretWrites.filter(([, n]) => n !== 1)).toEqual([]);
  expect(changes.relabels.size).toBe(0);
  expect(changes.deletes).toEqual([]);
}, 180_000);

test('a replica joining: what the others lose leaves their watches and is forgotten, not deleted', async () => {
  await sharedByLabels('before the join');
  changes.reset();
  const before = ring();
  const t = performance.now();
  const joined = await addReplica();
  const moved = new Set(namespaces.filter((ns) => ownerOf(ring(), ns) !== ownerOf(before, ns)));
  expect([...moved].every((ns) => ownerOf(ring(), ns) === joined.ctl.identity)).toBe(true);
  console.log(`the joining replica's share: ${moved.size} of ${NAMESPACES} namespaces`);
  // The others' caches and readiness series shrink to their new shares (checked in sharedByLabels).
  await sharedByLabels('after one joined');
  await eventually(() => expect(new Set(joined.acted.map((a) => a.ns))).toEqual(moved), {
    timeoutMs: SYNC_MS,
    what: 'the joining replica reconciles its share',
  });
  await new Promise((r) => setTimeout(r, QUIET_MS));
  onlyMoved(moved);
  await noDeletionEvents();
  // The old owners did not take their Secrets leaving their watches for deletions to repair (the
  // apiserver reports both alike): they did not even try to reconcile anything of what moved.
  const byOld = live()
    .filter((x) => x !== joined)
    .flatMap((x) => x.tried.filter((a) => a.at >= t && moved.has(a.ns)).map((a) => a.ns));
  expect(byOld).toEqual([]);
  for (const ns of namespaces)
    for (const n of esNames) expect(decoded(await readSecret(ns, n)).v).toBe(`${CANARY}-2`);
}, 180_000);

test('the sharder’s watches carry metadata only', async () => {
  const ns = namespaces[0]!;
  const items: KubernetesObject[] = [];
  const inf = new Informer<KubernetesObject>(adminConfig(), {
    path: `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`,
    metadataOnly: true,
    project: (o) => o,
  });
  inf.on('add', (_k, o) => items.push(o));
  inf.on('update', (_k, o) => items.push(o));
  await inf.start();
  try {
    await patchMerge(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: esNames[0]!, namespace: ns },
      },
      { metadata: { name: esNames[0]!, namespace: ns, labels: { touched: 'yes' } } },
    );
    await eventually(() => expect(items.some((o) => o.metadata?.labels?.touched === 'yes')).toBe(true), {
      timeoutMs: 10_000,
      what: 'the watch event',
    });
  } finally {
    await inf.stop();
  }
  // The listed objects, then at least the update (their owners may write their status too).
  expect(items.length).toBeGreaterThan(ES_PER_NS);
  for (const o of items) {
    expect(o.kind).toBe('PartialObjectMetadata');
    expect(Object.keys(o).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
  }
});
