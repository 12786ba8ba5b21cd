// Pods that cannot start, on the testbed's node, beside the controller (in the test process):
// - a pod whose Secret is not synced yet, or lacks the key it reads, shows the kubelet's reason
//   (CreateContainerConfigError, with the Secret or key named) and starts by itself once it
//   exists; secretsync replaces no pod meanwhile (a missing Secret: the rollout waits, reason
//   missing-object; a missing key: the workload's hash is recorded, nothing restarts);
// - a rotation does not restart a workload whose pods cannot pull their image (a restart would
//   make pods from the same image): a RolloutHeld Warning Event and secretsync_rollout_waiting
//   {reason="image-pull"} say why; once the image is fixed, the restart happens.
import type * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { startController, type TestController } from '../../support/controller';
import { readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { NODE_START_TIMEOUT_MS, useNode } from '../../support/node';
import { ACT_MS, FLAGS, QUIET_MS, decided, events, metric, recorded, replicaSets } from '../rollout/helpers';
import { NODE_TOLERATION, type TestbedNode } from '../../../dev/testbed/node';
import { HOLD_RECHECK_MS } from '../../../src/controllers/rollout/controller';
import { ENV, POD_READY_MS, isReady, pods, seen, sha256, uids } from './apps';

const { core, apps } = clients();
const AUTO = { 'reloader.stakater.com/auto': 'true' };
const values: string[] = [];
const fresh = () => {
  const v = randomBytes(16).toString('hex');
  values.push(v);
  return v;
};

let node: TestbedNode;
let ns: string;
let ctl: TestController | undefined;

// The ExternalSecrets refresh every 2 s; a sync is that plus apiserver round trips.
const SYNC_MS = 30_000;
// The kubelet retries a container it could not configure with a backoff (10 s doubling, up to
// 5 min): after the first failures, the next try comes within 40 s; then the pod is Ready.
const CONFIG_RETRY_MS = 40_000 + POD_READY_MS;
// A held restart is decided again every HOLD_RECHECK_MS; then a rollout of one pod.
const HELD_THEN_ROLLED_MS = HOLD_RECHECK_MS + ACT_MS + 2 * POD_READY_MS;
const wk = (name: string) => `Deployment/${ns}/${name}`;

/** A Deployment whose one pod reads `secret`'s `key` as $SECRET_VALUE (no volume). */
function envApp(name: string, secret: string, key: string, image = node.images.secrethash): k8s.V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, annotations: AUTO },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image,
              imagePullPolicy: image === node.images.secrethash ? 'Never' : 'IfNotPresent',
              args: ['-env', ENV, '-listen', ':8080'],
              env: [{ name: ENV, valueFrom: { secretKeyRef: { name: secret, key } } }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
              securityContext: { runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false },
            },
          ],
          terminationGracePeriodSeconds: 1,
          tolerations: [NODE_TOLERATION],
        },
      },
    },
  };
}

/** An ExternalSecret `name` (fake provider, refresh 2 s) writing `data` into Secret `name`. */
async function externalSecret(name: string, data: Record<string, string>): Promise<void> {
  const entries = Object.entries(data);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${ns}}
spec:
  provider:
    fake:
      data: ${JSON.stringify(entries.map(([k, v]) => ({ key: `${name}-${k}`, value: v })))}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 2s
  secretStoreRef: {name: ${name}, kind: SecretStore}
  target: {name: ${name}}
  data: ${JSON.stringify(entries.map(([k]) => ({ secretKey: k, remoteRef: { key: `${name}-${k}` } })))}
`);
  await eventually(
    async () => {
      const s = await readSecret(ns, name);
      for (const [k, v] of entries) {
        const got = s?.data?.[k];
        if (!got || sha256(Buffer.from(got, 'base64').toString()) !== sha256(v))
          throw new Error(`${name}.${k} does not hold the expected value yet`);
      }
    },
    { timeoutMs: SYNC_MS, what: `Secret ${name} synced` },
  );
}

/** The waiting reason and message of the app's one pod's container, once it has one. */
async function waitingOf(app: string): Promise<{ uid: string; reason?: string; message?: string }> {
  const ps = await pods(ns, app);
  if (ps.length !== 1) throw new Error(`${ps.length} pods`);
  const w = ps[0]!.status?.containerStatuses?.[0]?.state?.waiting;
  return { uid: ps[0]!.metadata!.uid!, reason: w?.reason, message: w?.message };
}

/** For QUIET_MS: the same pods, and no new ReplicaSet. */
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
  ns = await createNamespace('bad-input');
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
  ctl = await startController(ns, FLAGS);
}, NODE_START_TIMEOUT_MS);

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  await deleteNamespace(ns);
  for (const v of values) expect(logs.includes(v)).toBe(false);
});

test('a Secret not synced yet: CreateContainerConfigError naming it; the rollout waits; the pod starts by itself, not replaced', async () => {
  await apps.createNamespacedDeployment({ namespace: ns, body: envApp('early', 'early', 'value') });
  const before = await eventually(
    async () => {
      const w = await waitingOf('early');
      expect(w.reason).toBe('CreateContainerConfigError');
      expect(w.message).toBe('secret "early" not found');
      return w;
    },
    { timeoutMs: POD_READY_MS, what: 'the pod reports CreateContainerConfigError' },
  );
  await eventually(
    async () =>
      expect(
        await metric(ctl!, 'secretsync_rollout_waiting', { workload: 'early', reason: 'missing-object' }),
      ).toBe(1),
    { timeoutMs: ACT_MS, what: 'the rollout waits for the missing Secret' },
  );

  const v = fresh();
  await externalSecret('early', { value: v });
  // The kubelet starts the same pod with the value; secretsync records its hash and restarts nothing.
  await eventually(
    async () => {
      const ps = await pods(ns, 'early');
      expect(uids(ps)).toEqual([before.uid]);
      expect(isReady(ps[0]!)).toBe(true);
      expect((await seen(ps[0]!)).env).toBe(sha256(v));
    },
    { timeoutMs: CONFIG_RETRY_MS, what: 'the pod started by itself with the synced value' },
  );
  await recorded(ns, 'Deployment', 'early');
  await unchanged('early', [before.uid], 1);
  expect(await metric(ctl!, 'secretsync_rollout_waiting', { workload: 'early' })).toBe(0);
});

test('a key the Secret lacks: CreateContainerConfigError naming the key; secretsync records, replaces nothing', async () => {
  await externalSecret('nokey', { present: fresh() });
  await apps.createNamespacedDeployment({ namespace: ns, body: envApp('nokey', 'nokey', 'absent') });
  const before = await eventually(
    async () => {
      const w = await waitingOf('nokey');
      expect(w.reason).toBe('CreateContainerConfigError');
      expect(w.message).toBe(`couldn't find key absent in Secret ${ns}/nokey`);
      return w;
    },
    { timeoutMs: POD_READY_MS, what: 'the pod reports CreateContainerConfigError' },
  );
  await recorded(ns, 'Deployment', 'nokey');
  await unchanged('nokey', [before.uid], 1);
  expect((await waitingOf('nokey')).reason).toBe('CreateContainerConfigError');
});

test('pods that cannot pull their image: a rotation is held (Event, metric), and rolled once the image is fixed', async () => {
  const v1 = fresh();
  await externalSecret('pull', { value: v1 });
  // Nothing serves localhost:443, so the pull fails at once (no registry is reachable anyway).
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: envApp('pull', 'pull', 'value', 'localhost/secretsync-testbed/absent:1'),
  });
  await eventually(
    async () => expect(['ErrImagePull', 'ImagePullBackOff']).toContain((await waitingOf('pull')).reason),
    { timeoutMs: POD_READY_MS, what: 'the pod cannot pull its image' },
  );
  await recorded(ns, 'Deployment', 'pull');
  const pod = (await waitingOf('pull')).uid;

  const from = ctl!.logs.length;
  const v2 = fresh();
  await externalSecret('pull', { value: v2 });
  await decided(ctl!, from, wk('pull'), 'Secret/pull');
  await eventually(
    async () => {
      const held = (await events(ns, 'pull')).filter((e) => e.reason === 'RolloutHeld');
      expect(held).toEqual([
        {
          type: 'Warning',
          reason: 'RolloutHeld',
          message: expect.stringMatching(
            /^rollout held: pod pull-\S+ cannot pull its image \((ErrImagePull|ImagePullBackOff)\)/,
          ),
        },
      ]);
      expect(
        await metric(ctl!, 'secretsync_rollout_waiting', { workload: 'pull', reason: 'image-pull' }),
      ).toBe(1);
    },
    { timeoutMs: ACT_MS, what: 'the rollout held, with an Event and the metric' },
  );
  await unchanged('pull', [pod], 1);
  expect((await events(ns, 'pull')).some((e) => e.reason === 'RolloutTriggered')).toBe(false);

  // The image is fixed: the Deployment rolls by itself (ReplicaSet 2); once no pod waits on its
  // image, the held restart happens (ReplicaSet 3) and the pod reads the rotated value.
  await apps.patchNamespacedDeployment({
    name: 'pull',
    namespace: ns,
    body: [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: node.images.secrethash },
      { op: 'replace', path: '/spec/template/spec/containers/0/imagePullPolicy', value: 'Never' },
    ],
  });
  await eventually(
    async () => {
      expect(await replicaSets(ns, 'pull')).toBe(3);
      const ps = await pods(ns, 'pull');
      expect(ps.map(isReady)).toEqual([true]);
      expect((await seen(ps[0]!)).env).toBe(sha256(v2));
      expect((await events(ns, 'pull')).some((e) => e.reason === 'RolloutTriggered')).toBe(true);
      expect(await metric(ctl!, 'secretsync_rollout_waiting', { workload: 'pull' })).toBe(0);
    },
    { timeoutMs: HELD_THEN_ROLLED_MS, what: 'the held restart done after the image was fixed' },
  );
});
