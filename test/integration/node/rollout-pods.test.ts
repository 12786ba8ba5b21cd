// Application pods on the testbed's node read what the controller writes. The controller runs in
// the test process (as the other integration tests run it); the pods run the secrethash image,
// which reports the SHA-256 of its env var and of its mounted file (never the value). The seed
// case end to end: a ClusterSecretStore on Secret Manager (accessor-only grant), a v1beta1
// ExternalSecret and a Deployment annotated reloader.stakater.com/auto — a rotation in the store
// replaces every pod by one that sees the new value; an unconsumed key replaces none; a workload
// that opted out sees its mounted file change in place; a controller restart replaces none.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { NODE_START_TIMEOUT_MS, useNode } from '../../support/node';
import { ACT_MS, FLAGS, QUIET_MS, decided, recorded, replicaSets } from '../rollout/helpers';
import type { TestbedNode } from '../../../dev/testbed/node';
import {
  POD_READY_MS,
  allPodsSee,
  appDeployment,
  deploymentStatus,
  isReady,
  pods,
  seen,
  sha256,
  uids,
  volumeUpdateDeadlineMs,
} from './apps';

const run = randomBytes(3).toString('hex');
const project = `pods-${run}`;
const store = `gcp-pods-${run}`;
const sm = gcpSecretManager();
const { core, apps, objects } = clients();
const AUTO = { 'reloader.stakater.com/auto': 'true' };
// Values are random and never printed: the test and the pods compare their SHA-256 only.
const value = () => randomBytes(16).toString('hex');
const values: string[] = [];
const fresh = () => {
  const v = value();
  values.push(v);
  return v;
};

let node: TestbedNode;
let ns: string;
let ctl: TestController | undefined;

// The ExternalSecrets refresh every 2 s; a sync is that plus Secret Manager and apiserver round trips.
const SYNC_MS = 30_000;
// A rollout of 2 replicas (maxSurge 1, maxUnavailable 0): the controller acts (ACT_MS), then the
// deployment controller starts the new pods one after the other, each Ready within POD_READY_MS.
const ROLLOUT_MS = ACT_MS + 2 * POD_READY_MS;
const wk = (name: string) => `Deployment/${ns}/${name}`;

/** Waits until `secret`'s `key` holds `v` (compared by hash). */
const synced = (secret: string, key: string, v: string) =>
  eventually(
    async () => {
      const data = (await readSecret(ns, secret))?.data?.[key];
      if (!data || sha256(Buffer.from(data, 'base64').toString()) !== sha256(v))
        throw new Error(`${secret}.${key} does not hold the expected value yet`);
    },
    { timeoutMs: SYNC_MS, what: `${secret}.${key} synced` },
  );

/** For QUIET_MS after a positive marker: the same pods, and no new ReplicaSet. */
async function unchanged(app: string, before: string[], rs: number): Promise<void> {
  const until = Date.now() + QUIET_MS;
  do {
    expect(uids(await pods(ns, app))).toEqual(before);
    expect(await replicaSets(ns, app)).toBe(rs);
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < until);
}

beforeAll(async () => {
  node = await useNode();
  ns = await createNamespace('rollout-pods');
  await installDeploy();
  // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount
  // exists (the serviceaccount controller makes it).
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
  for (const id of ['db-password', 'unused-key', 'file-value']) {
    await putGcpVersion(sm, project, id, fresh());
    // The least-privilege grant users are told to give: accessor on each secret read, nothing more.
    await grantGcp(`projects/${project}/secrets/${id}`, 'roles/secretmanager.secretAccessor');
  }
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: ${store}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: app, namespace: ${ns}}
spec:
  refreshInterval: 2s
  secretStoreRef: {name: ${store}, kind: ClusterSecretStore}
  target: {name: app}
  data:
    - {secretKey: password, remoteRef: {key: db-password}}
    - {secretKey: unused, remoteRef: {key: unused-key}}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: files, namespace: ${ns}}
spec:
  refreshInterval: 2s
  secretStoreRef: {name: ${store}, kind: ClusterSecretStore}
  target: {name: files}
  data:
    - {secretKey: value, remoteRef: {key: file-value}}
`);
  ctl = await startController(ns, FLAGS);
  await synced('app', 'password', values[0]!);
  await synced('files', 'value', values[2]!);
}, NODE_START_TIMEOUT_MS);

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  await objects
    .delete({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: store } })
    .catch(() => undefined);
  await deleteNamespace(ns);
  await sm.close();
  for (const v of values) expect(logs.includes(v)).toBe(false);
});

test(
  'seed case: a rotation in Secret Manager replaces every running pod by one that sees the new value',
  async () => {
    const v1 = values[0]!;
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: appDeployment(node, 'seed', { secret: 'app', key: 'password', replicas: 2, annotations: AUTO }),
    });
    const first = await eventually(() => allPodsSee(ns, 'seed', 2, sha256(v1)), {
      timeoutMs: 2 * POD_READY_MS,
      what: `2 seed pods Ready seeing the first value (kubelet log: ${node.logs}/kubelet.log)`,
    });
    await recorded(ns, 'Deployment', 'seed');
    expect(await replicaSets(ns, 'seed')).toBe(1);

    const v2 = fresh();
    await putGcpVersion(sm, project, 'db-password', v2);
    await synced('app', 'password', v2);
    const next = await eventually(() => allPodsSee(ns, 'seed', 2, sha256(v2), uids(first)), {
      timeoutMs: ROLLOUT_MS,
      what: 'every seed pod replaced by one seeing the new value',
    });
    expect(next.every((p) => p.status?.containerStatuses?.[0]?.restartCount === 0)).toBe(true);
    expect(await replicaSets(ns, 'seed')).toBe(2);
    // The deployment controller records the finished rollout on its next sync.
    await eventually(
      async () =>
        expect(await deploymentStatus(ns, 'seed')).toMatchObject({
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
        }),
      { timeoutMs: 30_000, what: 'Deployment status after the rollout' },
    );
  },
  2 * POD_READY_MS + SYNC_MS + ROLLOUT_MS + 60_000,
);

test(
  'a rotation of a key no pod consumes replaces no pod',
  async () => {
    const before = uids(await pods(ns, 'seed'));
    const rs = await replicaSets(ns, 'seed');
    const from = ctl!.logs.length;
    const v = fresh();
    await putGcpVersion(sm, project, 'unused-key', v);
    await synced('app', 'unused', v);
    // The positive marker: the controller saw the Secret change and decided not to roll.
    expect(await decided(ctl!, from, wk('seed'), 'Secret/app')).toMatchObject({ action: 'none' });
    await unchanged('seed', before, rs);
  },
  SYNC_MS + ACT_MS + QUIET_MS + 30_000,
);

test(
  'a workload that opted out of restarts sees its mounted Secret change in place, without a restart',
  async () => {
    const f1 = values[2]!;
    // Two ways to opt out: no reload annotation at all, and reloader's per-Secret exclusion on an
    // auto workload (docs/reference.md).
    const optedOut = {
      plain: undefined,
      excluded: { ...AUTO, 'secrets.exclude.reloader.stakater.com/reload': 'files' },
    };
    for (const [name, annotations] of Object.entries(optedOut))
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: appDeployment(node, name, { secret: 'files', key: 'value', replicas: 1, annotations }),
      });
    const before = Object.fromEntries(
      await Promise.all(
        Object.keys(optedOut).map(async (name) => {
          const ps = await eventually(() => allPodsSee(ns, name, 1, sha256(f1)), {
            timeoutMs: 2 * POD_READY_MS,
            what: `${name} pod Ready seeing the first value`,
          });
          return [name, uids(ps)] as const;
        }),
      ),
    );
    await recorded(ns, 'Deployment', 'excluded');

    const f2 = fresh();
    await putGcpVersion(sm, project, 'file-value', f2);
    await synced('files', 'value', f2);
    const deadline = volumeUpdateDeadlineMs(process.env.SECRETSYNC_TESTBED_ROOT!);
    for (const name of Object.keys(optedOut)) {
      await eventually(
        async () => {
          const ps = await pods(ns, name);
          expect(uids(ps)).toEqual(before[name]);
          const p = ps[0]!;
          expect(isReady(p)).toBe(true);
          expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
          // The same process: its environment still holds the first value, its file the new one.
          expect(await seen(p)).toEqual({ env: sha256(f1), file: sha256(f2) });
        },
        { timeoutMs: deadline, intervalMs: 1000, what: `${name}'s file updated in place` },
      );
      expect(await replicaSets(ns, name)).toBe(1);
    }
  },
  // Only a cap on the whole test: each wait inside has its own deadline, the volume update's
  // derived from the kubelet's configuration (known once the node runs, not when tests are defined).
  10 * 60_000,
);

test(
  'a controller restart replaces no pod',
  async () => {
    const names = ['seed', 'plain', 'excluded'];
    const before = Object.fromEntries(
      await Promise.all(names.map(async (a) => [a, uids(await pods(ns, a))] as const)),
    );
    const rs = Object.fromEntries(
      await Promise.all(names.map(async (a) => [a, await replicaSets(ns, a)] as const)),
    );
    await ctl!.stop();
    ctl = await startController(ns, FLAGS);
    // The positive marker: the new controller has looked at each workload again (first sight).
    for (const a of ['seed', 'excluded'])
      expect(await decided(ctl, 0, wk(a))).toMatchObject({ action: expect.not.stringMatching(/restart/) });
    for (const a of names) await unchanged(a, before[a]!, rs[a]!);
  },
  3 * ACT_MS + 3 * QUIET_MS + 30_000,
);
