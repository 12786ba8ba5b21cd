// The Helm chart installed on the testbed's node: `helm install` runs the controller as 2 pods from
// the image built from the Dockerfile, admitted under Pod Security restricted; their probes pass,
// one holds the Lease, and the release syncs an ExternalSecret (fake provider) into a Secret;
// `helm uninstall` takes the pods away and keeps the CRDs. The same for deploy/ (kubectl apply -k)
// is install.test.ts; the chart's rendering, values and upgrades are ship/helm.test.ts.
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '../../../dev/testbed/paths';
import { tagImage, type TestbedNode } from '../../../dev/testbed/node';
import { applyYaml } from '../../support/apply';
import { installDeploy } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { helm as makeHelm, HELM_BUILD_TIMEOUT_MS, ok, type Helm } from '../../support/helm';
import { clients, deleteNamespace } from '../../support/kube';
import { NODE_TOLERATION } from '../../../dev/testbed/node';
import {
  CONTROLLER_IMAGE_TIMEOUT_MS,
  NODE_START_TIMEOUT_MS,
  useControllerImage,
  useNode,
} from '../../support/node';

const { kc, core, apps } = clients();
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const chart = join(repoRoot, 'charts', 'secretsync');
const release = `helmnode-${randomBytes(3).toString('hex')}`;
const ns = release;
const LEASE = 'secretsync-leader';
/** The chart's default image (image.repository + Chart appVersion), as containerd's CRI resolves it. */
const CHART_IMAGE = 'docker.io/library/secretsync:0.1.0';

let node: TestbedNode;
let helm: Helm;

// Pods Ready: the image is present (imported), Node loads the bundle, the informers list through
// the Service network, and the readiness probe (period 5 s) passes — as install.test.ts allows.
const POD_READY_MS = 120_000;
// A sync: the leader is elected (retry period 2 s), validates the store and reconciles.
const SYNC_MS = 60_000;

beforeAll(
  async () => {
    node = await useNode();
    if (node.noServices) throw new Error(`these tests need the node's Service network: ${node.noServices}`);
    const image = await useControllerImage();
    await tagImage(process.env.SECRETSYNC_TESTBED_ROOT!, image.ref, CHART_IMAGE);
    helm = await makeHelm();
    // The CRDs exist on the shared testbed (other files apply crds/): the release takes them over.
    await installDeploy();
    await core.createNamespace({
      body: {
        metadata: {
          name: ns,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    });
  },
  NODE_START_TIMEOUT_MS + CONTROLLER_IMAGE_TIMEOUT_MS + HELM_BUILD_TIMEOUT_MS,
);

afterAll(async () => {
  await helm?.('uninstall', release, '-n', ns, '--wait');
  await deleteNamespace(ns);
  helm?.dispose();
});

async function controllerPods(): Promise<k8s.V1Pod[]> {
  const pods = await core.listNamespacedPod({
    namespace: ns,
    labelSelector: 'app.kubernetes.io/name=secretsync',
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const ready = (p: k8s.V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

test(
  'helm install runs 2 Ready controller pods from the image; one of them holds the Lease',
  async () => {
    // Scoped to its namespace: other test files run their own controllers on this apiserver.
    ok(
      await helm(
        'install',
        release,
        chart,
        '-n',
        ns,
        '--take-ownership',
        '--set',
        `controller.namespace=${ns}`,
        '--set-json',
        `tolerations=${JSON.stringify([NODE_TOLERATION])}`,
      ),
      'helm install',
    );
    await eventually(
      async () => {
        const pods = await controllerPods();
        expect(pods.filter(ready).map((p) => p.spec?.containers[0]?.image)).toEqual([
          'secretsync:0.1.0',
          'secretsync:0.1.0',
        ]);
        for (const p of pods) expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      },
      { timeoutMs: POD_READY_MS, what: '2 Ready controller pods' },
    );
    const names = (await controllerPods()).map((p) => p.metadata!.name!);
    await eventually(
      async () => {
        // The holder identity is `<pod name>_<random suffix>` (one per process).
        const lease = await coordination.readNamespacedLease({ name: LEASE, namespace: ns });
        expect(names).toContain(lease.spec?.holderIdentity?.split('_')[0]);
      },
      { timeoutMs: SYNC_MS, what: 'a controller pod holds the Lease' },
    );
    const deployment = (await apps.listNamespacedDeployment({ namespace: ns })).items[0]!;
    expect(deployment.metadata?.annotations?.['meta.helm.sh/release-name']).toBe(release);
  },
  POD_READY_MS + SYNC_MS + 60_000,
);

test(
  'the release syncs an ExternalSecret of its namespace',
  async () => {
    await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  provider:
    fake:
      data: [{key: greeting, value: hello-from-the-chart}]
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: greeting, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake, kind: SecretStore}
  data: [{secretKey: value, remoteRef: {key: greeting}}]
`);
    await eventually(
      async () => expect(decoded(await readSecret(ns, 'greeting')).value).toBe('hello-from-the-chart'),
      {
        timeoutMs: SYNC_MS,
        what: 'the Secret synced by the chart-installed controller',
      },
    );
  },
  SYNC_MS + 30_000,
);

test('helm uninstall takes the pods away and keeps the CRDs', async () => {
  ok(await helm('uninstall', release, '-n', ns, '--wait'), 'helm uninstall');
  await eventually(async () => expect(await controllerPods()).toEqual([]), {
    timeoutMs: 60_000,
    what: 'controller pods gone',
  });
  const crd = await kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .readCustomResourceDefinition({ name: 'externalsecrets.external-secrets.io' });
  expect(crd.metadata?.name).toBe('externalsecrets.external-secrets.io');
}, 120_000);
