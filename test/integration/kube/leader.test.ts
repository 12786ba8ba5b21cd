// Lease leader election against the real apiserver, with short durations: one leader of two,
// hand-over on stop(), stepping down when the lease is taken, and when renewals cannot reach the API.
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LeaderDurations, LeaderElector } from '../../../src/runtime/leader';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

jest.setTimeout(60_000);

const { kc } = clients();
const leases = kc.makeApiClient(CoordinationV1Api);
const durations: LeaderDurations = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
/** A candidate's retry interval (retryPeriod + its 20 % jitter) plus room for a few requests. */
const takeoverMs = durations.retryPeriodMs * 1.2 + 1000;
let ns: string;
const electors: LeaderElector[] = [];
/** Each campaign's loop, awaited in afterAll: a loop that fails fails the file. */
const campaigns: Promise<void>[] = [];

beforeAll(async () => {
  ns = await createNamespace('leader');
});
afterAll(async () => {
  await Promise.all(electors.map((e) => e.stop()));
  await Promise.all(campaigns);
  await deleteNamespace(ns);
});

interface Candidate {
  e: LeaderElector;
  started: number[];
  stopped: number[];
}

function candidate(lease: string, identity: string, config: KubeConfig = kc): Candidate {
  const c: Candidate = { started: [], stopped: [], e: undefined as unknown as LeaderElector };
  c.e = new LeaderElector({
    kc: config,
    namespace: ns,
    name: lease,
    identity,
    durations,
    onStartedLeading: () => void c.started.push(Date.now()),
    onStoppedLeading: () => void c.stopped.push(Date.now()),
  });
  electors.push(c.e);
  return c;
}

const readLease = (name: string) => leases.readNamespacedLease({ name, namespace: ns });

test('of two candidates exactly one leads; stop() hands the lease to the other within a retry period', async () => {
  const a = candidate('pair', 'a');
  const b = candidate('pair', 'b');
  campaigns.push(a.e.run());
  campaigns.push(b.e.run());
  const leaders = () => [a, b].filter((c) => c.e.isLeader());
  await eventually(() => expect(leaders()).toHaveLength(1), { timeoutMs: takeoverMs, what: 'a leader' });

  // For two lease durations, never two leaders, never none, and no hand-over.
  const first = leaders()[0]!;
  const until = Date.now() + 2 * durations.leaseDurationMs;
  while (Date.now() < until) {
    expect(leaders()).toEqual([first]);
    await sleep(100);
  }
  const other = first === a ? b : a;
  expect(other.started).toEqual([]);
  const held = await readLease('pair');
  expect(held.spec?.holderIdentity).toBe(first.e.identity);
  expect(held.spec?.leaseDurationSeconds).toBe(3);
  const transitions = held.spec?.leaseTransitions ?? 0;

  await first.e.stop();
  const stoppedAt = Date.now();
  expect(first.e.isLeader()).toBe(false);
  expect(first.stopped).toHaveLength(1);
  await eventually(() => expect(other.e.isLeader()).toBe(true), { timeoutMs: takeoverMs, what: 'hand-over' });
  expect(other.started[0]! - stoppedAt).toBeLessThan(takeoverMs);
  const taken = await readLease('pair');
  expect(taken.spec?.holderIdentity).toBe(other.e.identity);
  expect(taken.spec?.leaseTransitions).toBe(transitions + 1);

  await other.e.stop();
  expect((await readLease('pair')).spec?.holderIdentity ?? '').toBe('');
});

test('a leader whose lease is taken over stops leading within the renew deadline', async () => {
  const a = candidate('stolen', 'a');
  campaigns.push(a.e.run());
  await eventually(() => expect(a.e.isLeader()).toBe(true), { timeoutMs: takeoverMs, what: 'a leads' });

  const lease = await readLease('stolen');
  await leases.replaceNamespacedLease({
    name: 'stolen',
    namespace: ns,
    body: {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: 'thief',
        renewTime: new V1MicroTime(),
        leaseDurationSeconds: 60,
      },
    },
  });
  const stolenAt = Date.now();
  await eventually(
    () => {
      expect(a.e.isLeader()).toBe(false);
      expect(a.stopped).toHaveLength(1);
    },
    { timeoutMs: durations.renewDeadlineMs, intervalMs: 50, what: 'a steps down' },
  );
  expect(a.stopped[0]! - stolenAt).toBeLessThan(durations.renewDeadlineMs);

  // It stays a candidate and does not take a lease that is validly held.
  await sleep(2 * durations.retryPeriodMs);
  expect(a.e.isLeader()).toBe(false);
  await a.e.stop();
  expect((await readLease('stolen')).spec?.holderIdentity).toBe('thief');
});

/** A TCP proxy to the apiserver that can be cut, to make one candidate lose the API. */
async function cuttableProxy(
  target: URL,
): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

test('a leader that cannot reach the API stops leading within the renew deadline, before another starts', async () => {
  const proxy = await cuttableProxy(new URL(kc.getCurrentCluster()!.server));
  const viaProxy = newKubeConfig();
  viaProxy.loadFromString(kc.exportConfig());
  viaProxy.loadFromOptions({
    ...viaProxy,
    clusters: viaProxy.clusters.map((c) => ({ ...c, server: proxy.url })),
  });

  const a = candidate('partition', 'a', viaProxy);
  campaigns.push(a.e.run());
  await eventually(() => expect(a.e.isLeader()).toBe(true), { timeoutMs: takeoverMs, what: 'a leads' });
  const b = candidate('partition', 'b');
  campaigns.push(b.e.run());
  await sleep(durations.retryPeriodMs * 2);
  expect(b.e.isLeader()).toBe(false);

  proxy.cut();
  const cutAt = Date.now();
  await eventually(() => expect(a.e.isLeader()).toBe(false), {
    timeoutMs: durations.renewDeadlineMs + 200,
    intervalMs: 50,
    what: 'a steps down',
  });
  expect(a.stopped[0]! - cutAt).toBeLessThanOrEqual(durations.renewDeadlineMs + 100);
  await eventually(() => expect(b.e.isLeader()).toBe(true), {
    timeoutMs: durations.leaseDurationMs + takeoverMs,
    what: 'b takes over after the lease expires',
  });
  // Never two leaders: a stopped before b started.
  expect(a.stopped[0]!).toBeLessThan(b.started[0]!);
  await Promise.all([a.e.stop(), b.e.stop()]);
  await proxy.close();
});
