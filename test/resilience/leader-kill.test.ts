// Two controller replicas as real processes (`node dist/src/main.js controller`, lease 3 s / renew
// 2 s / retry 500 ms). Every value of a fake SecretStore rotates at once — the leader starts
// writing K Secrets and, a debounce later, rolling the K Deployments that consume them — and the
// leader is SIGKILLed while that is under way. Twice (the killed replica comes back as a follower
// and the other one is killed in round 2).
//
// Checked: the follower leads within the lease duration (+ one retry period); every Secret ends
// with the new value (no lost sync); every Deployment gets exactly one new ReplicaSet per rotation
// (no duplicate and no missed rollout: kube-controller-manager makes a ReplicaSet for every new
// pod template); each Secret is written once per rotation (MODIFIED events of a watch on them).
import * as k8s from '@kubernetes/client-node';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { installDeploy, controllerKubeConfig } from '../support/controller';
import { createObject } from '../support/es';
import { eventually } from '../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../support/kube';
import { findCanaries, newCanary, sweepCluster } from './support/canary';
import { managedSecrets, replicaSetsOf, writeKubeConfigFile } from './support/cluster';
import { knobs, recordFigures } from './support/knobs';
import { logDir, startControllerProcess, type ControllerProcess } from './support/process-controller';

const K = knobs.leaderKillWorkloads;
const LEASE_MS = 3000;
const RETRY_MS = 500;
jest.setTimeout(360_000);

let ns: string;
let kubeconfig: string;
const procs: ControllerProcess[] = [];
let values: string[] = [];
const writes = new Map<string, number>();
let watchAbort: AbortController | undefined;

function storeSpec(vals: string[]) {
  return { provider: { fake: { data: vals.map((value, i) => ({ key: `k${i}`, value })) } } };
}

async function start(name: string): Promise<ControllerProcess> {
  const p = await startControllerProcess({ name, kubeconfig, namespace: ns, leaseId: `rs-leader-${ns}` });
  procs.push(p);
  return p;
}

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-leader');
  kubeconfig = writeKubeConfigFile(await controllerKubeConfig(), join(logDir, `${ns}.kubeconfig`));
  values = Array.from({ length: K }, () => newCanary());
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: storeSpec(values),
  });
  for (let i = 0; i < K; i++) {
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: `app-${i}`, namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'value', remoteRef: { key: `k${i}` } }],
      },
    });
  }
});

afterAll(async () => {
  watchAbort?.abort();
  await Promise.all(procs.map((p) => p.stop()));
  if (kubeconfig) rmSync(kubeconfig, { force: true });
  if (ns) await deleteNamespace(ns);
});

async function leaderOf(ps: ControllerProcess[]): Promise<ControllerProcess> {
  return eventually(
    async () => {
      const flags = await Promise.all(ps.map((p) => p.leader()));
      expect(flags.filter(Boolean)).toHaveLength(1);
      return ps[flags.indexOf(true)]!;
    },
    { timeoutMs: 30_000, what: 'exactly one leader' },
  );
}

const allCurrent = async () => {
  const now = await managedSecrets(ns);
  for (let i = 0; i < K; i++) expect(now.get(`app-${i}`)?.value).toBe(values[i]);
};

test('leader SIGKILLed mid-sync: takeover within the lease, no lost sync, no duplicate rollout', async () => {
  const a = await start('replica-a');
  const b = await start('replica-b');
  await leaderOf([a, b]);
  await eventually(allCurrent, { timeoutMs: 60_000, what: 'first sync' });

  // Deployments created after their Secrets: first sight records the hash and restarts nothing.
  for (let i = 0; i < K; i++) {
    await clients().apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: `app-${i}`, annotations: { 'reloader.stakater.com/auto': 'true' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: `app-${i}` } },
          template: {
            metadata: { labels: { app: `app-${i}` } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.invalid/app:1',
                  envFrom: [{ secretRef: { name: `app-${i}` } }],
                },
              ],
            },
          },
        },
      },
    });
  }
  await eventually(
    async () => {
      const list = await clients().apps.listNamespacedDeployment({ namespace: ns });
      expect(
        list.items.filter((d) => d.metadata?.annotations?.['secretsync.io/last-reload-hash']),
      ).toHaveLength(K);
      for (let i = 0; i < K; i++) expect(await replicaSetsOf(ns, `app-${i}`)).toBe(1);
    },
    { timeoutMs: 60_000, what: 'Deployments seen (hash recorded) with one ReplicaSet each' },
  );

  // Count every write to the managed Secrets from here on.
  watchAbort = new AbortController();
  const watch = new k8s.Watch(clients().kc);
  const req = await watch.watch(
    `/api/v1/namespaces/${ns}/secrets`,
    { labelSelector: 'reconcile.external-secrets.io/managed=true', resourceVersion: '0' },
    (type, obj: k8s.V1Secret) => {
      if (type === 'MODIFIED') writes.set(obj.metadata!.name!, (writes.get(obj.metadata!.name!) ?? 0) + 1);
    },
    () => undefined,
  );
  watchAbort.signal.addEventListener('abort', () => req.abort());

  const rounds: Record<string, unknown>[] = [];
  let replicas = [a, b];
  for (let round = 1; round <= 2; round++) {
    const leader = await leaderOf(replicas);
    const follower = replicas.find((p) => p !== leader)!;
    writes.clear();
    values = values.map(() => newCanary());
    const live = await clients().objects.read({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: ns },
    });
    await clients().objects.replace({ ...live, spec: storeSpec(values) } as k8s.KubernetesObject);

    // Kill as soon as the leader has written some, but not all, of the Secrets.
    let updatedAtKill = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const now = await managedSecrets(ns);
      updatedAtKill = values.filter((v, i) => now.get(`app-${i}`)?.value === v).length;
      if (updatedAtKill > 0) break;
      await sleep(20);
    }
    leader.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.exited;
    await eventually(async () => expect(await follower.leader()).toBe(true), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'takeover',
    });
    const takeoverMs = Date.now() - killedAt;
    await eventually(allCurrent, { timeoutMs: 60_000, what: 'every Secret synced after takeover' });
    const syncedMs = Date.now() - killedAt;
    await eventually(
      async () => {
        for (let i = 0; i < K; i++) expect(await replicaSetsOf(ns, `app-${i}`)).toBe(round + 1);
      },
      { timeoutMs: 60_000, what: 'one rollout per Deployment' },
    );
    // Quiet period: a duplicate rollout would show up as one more ReplicaSet.
    await sleep(5000);
    const rs = await Promise.all(Array.from({ length: K }, (_, i) => replicaSetsOf(ns, `app-${i}`)));
    const maxWrites = Math.max(0, ...writes.values());
    rounds.push({
      round,
      killed: leader.name,
      secretsUpdatedAtKill: updatedAtKill,
      takeoverMs,
      allSyncedAfterKillMs: syncedMs,
      duplicateRollouts: rs.reduce((s, n) => s + Math.max(0, n - (round + 1)), 0),
      missedRollouts: rs.reduce((s, n) => s + Math.max(0, round + 1 - n), 0),
      secretWritesMax: maxWrites,
    });
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 1500);
    expect(rs).toEqual(Array(K).fill(round + 1));
    expect(maxWrites).toBeLessThanOrEqual(1);
    // The killed replica comes back as a follower for the next round.
    const again = await start(`${leader.name}-r${round}`);
    replicas = [follower, again];
    await again.waitForLog(/informers synced/);
  }
  const sweep = await sweepCluster();
  const leaks = [...sweep.leaks, ...procs.flatMap((p) => findCanaries(`process ${p.name}`, p.text()))];
  recordFigures('leader-kill', {
    workloads: K,
    leaseDurationMs: LEASE_MS,
    retryPeriodMs: RETRY_MS,
    rounds,
    secretsLost: 0,
    canaryLeaks: leaks.length,
  });
  expect(leaks).toEqual([]);
});
