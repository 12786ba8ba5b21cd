// Pods on the testbed's node: a locally built app image reads a Secret as an environment variable
// and as a mounted file and logs the SHA-256 of each (never the value); a Deployment's replicas
// all run and become Ready.
import type * as k8s from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { NODE_START_TIMEOUT_MS, useNode } from '../../support/node';
import { NODE_TOLERATION, type TestbedNode } from '../../../dev/testbed/node';

const { core, apps } = clients();
let node: TestbedNode;
let ns: string;

// The images are already in the node's containerd (nothing is pulled), so a pod is Ready once the
// kubelet has seen it (it watches pods), started the sandbox and the container, and probed once
// (periodSeconds 1). Seconds on an idle machine; the bound leaves room for a busy 2-CPU one.
const POD_READY_MS = 60_000;

beforeAll(async () => {
  node = await useNode();
  ns = await createNamespace('pod');
  // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount
  // exists (the serviceaccount controller makes it).
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
}, NODE_START_TIMEOUT_MS);
afterAll(() => deleteNamespace(ns));

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function appSpec(): k8s.V1PodSpec {
  return {
    containers: [
      {
        name: 'app',
        image: node.images.secrethash,
        imagePullPolicy: 'Never',
        args: ['-env', 'SECRET_VALUE', '-file', '/etc/app-secret/value', '-listen', ':8080'],
        env: [{ name: 'SECRET_VALUE', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'value' } } }],
        volumeMounts: [{ name: 'secret', mountPath: '/etc/app-secret', readOnly: true }],
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
        securityContext: { runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false },
      },
    ],
    volumes: [{ name: 'secret', secret: { secretName: 'app-secret' } }],
    terminationGracePeriodSeconds: 1,
    tolerations: [NODE_TOLERATION],
  };
}

const isReady = (p: k8s.V1Pod) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

test('a pod reads a Secret as an env var and as a file; its log shows their hashes', async () => {
  const value = randomBytes(24).toString('hex');
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'app-secret' }, stringData: { value } },
  });
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'app' }, spec: appSpec() } });

  const pod = await eventually(
    async () => {
      const p = await core.readNamespacedPod({ name: 'app', namespace: ns });
      if (!isReady(p))
        throw new Error(`pod is ${p.status?.phase}: ${JSON.stringify(p.status?.conditions ?? [])}`);
      return p;
    },
    { timeoutMs: POD_READY_MS, what: `pod Ready (kubelet log: ${node.logs}/kubelet.log)` },
  );
  expect(pod.spec?.nodeName).toBe(node.name);
  expect(pod.status?.podIP).toMatch(/^10\.244\./);

  // The app logs its hashes before it listens, so the log holds them once the pod is Ready.
  const log = await core.readNamespacedPodLog({ name: 'app', namespace: ns, container: 'app' });
  expect(log).toContain(`env:SECRET_VALUE sha256=${sha256(value)}\n`);
  expect(log).toContain(`file:/etc/app-secret/value sha256=${sha256(value)}\n`);
});

test('a Deployment with 2 replicas gets 2 Running and Ready pods', async () => {
  const labels = { app: 'replicated' };
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'replicated' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: appSpec() },
      },
    },
  });
  await eventually(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=replicated' })).items;
      expect(pods.map((p) => [p.metadata?.name, isReady(p)])).toEqual([
        [expect.any(String), true],
        [expect.any(String), true],
      ]);
      expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(2);
    },
    // Two pods start in parallel on the node, after the ReplicaSet is created.
    { timeoutMs: POD_READY_MS, what: '2 Ready replicas' },
  );
  // The deployment controller records the pods' readiness in the Deployment's status on its next sync.
  await eventually(
    async () =>
      expect(
        (await apps.readNamespacedDeployment({ name: 'replicated', namespace: ns })).status?.readyReplicas,
      ).toBe(2),
    { timeoutMs: 30_000, what: 'Deployment status.readyReplicas' },
  );
});
