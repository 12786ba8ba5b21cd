// Workload identity through the kubelet: deploy/ with each identity component (overlays/components/
// eks-irsa, eks-pod-identity, gke-workload-identity), rendered by kustomize and applied as users
// apply it, runs the controller as a pod from the image on the testbed's node, and the pod syncs an
// ExternalSecret with the identity the component gives it — no keys anywhere. The identity fakes
// verify the service-account token against the apiserver's JWKS and record its audience, the pod it
// is bound to and its lifetime: for IRSA and Pod Identity that is the token the kubelet projected
// into the pod (the volume EKS's webhook would add, ./identity/*/kustomization.yaml); on GKE the
// pod reads no token, the node's metadata server requests one bound to the pod
// (dev/testbed/fakes/gke-metadata.ts). Pods reach the fakes on the host through the node's bridge
// (dev/testbed/expose.ts); what the test adds to the rendered output is those endpoints and the
// NetworkPolicy egress to exactly them.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as k8s from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { applyYaml, kubectl } from '../../support/apply';
import { fakeAdmin, fakeRequests, gcpSecretManager, grantGcp, type FakeRequest } from '../../support/cloud';
import { decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients } from '../../support/kube';
import {
  CONTROLLER_IMAGE_TIMEOUT_MS,
  NODE_START_TIMEOUT_MS,
  useControllerImage,
  useNode,
} from '../../support/node';
import { addBridgeAddress, exposeToPods, type Exposed } from '../../../dev/testbed/expose';
import { gkeMetadataServer } from '../../../dev/testbed/fakes/gke-metadata';
import { TESTBED_PROJECT } from '../../../dev/testbed/fakes/gcp-identity';
import type { FakeServer } from '../../../dev/testbed/fakes/http';
import { nodeAddress, nodeBridge, tagImage, type TestbedNode } from '../../../dev/testbed/node';
import { repoRoot } from '../../../dev/testbed/paths';
import { freePort } from '../../../dev/testbed/ports';

const { core } = clients();
const SYSTEM = 'secretsync-system';
/** The namespace the overlays make the controller watch. */
const NS = 'secretsync-identity';
const SUBJECT = `system:serviceaccount:${SYSTEM}:secretsync`;
/** The EKS Pod Identity agent's address, which the AWS SDK insists on for plain HTTP. */
const POD_IDENTITY_AGENT = '169.254.170.23';
const overlay = (component: string) => join(repoRoot, 'test', 'integration', 'node', 'identity', component);
const run = randomBytes(3).toString('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// As in install.test.ts: the image is present, the pod is Ready once the controller has listed its
// informers through the Service network and a readiness probe (periodSeconds 5) passed.
const POD_READY_MS = 120_000;
// A first sync: the ExternalSecret's watch event, then the identity chain (a token exchange or two,
// each a local round trip) and one read. Seconds; the bound leaves room for 2 busy CPUs.
const SYNC_MS = 60_000;
// deploy/'s grace period (30 s) for the pod of the previous case to go.
const POD_GONE_MS = 60_000;

let node: TestbedNode;
let address: string;
let exposed: Exposed;
let gkeMetadata: FakeServer;
let removeAgentAddress: (() => Promise<void>) | undefined;

const loopbackPort = (envVar: string) => {
  const v = process.env[envVar] ?? '';
  return Number(new URL(v.includes('://') ? v : `http://${v}`).port);
};
/** A testbed endpoint (a loopback URL in the environment) as pods reach it. */
const forPods = (envVar: string) => {
  const u = new URL(process.env[envVar]!);
  u.hostname = address;
  return u.origin;
};

beforeAll(async () => {
  node = await useNode();
  if (node.noServices) throw new Error(`these tests need the node's Service network: ${node.noServices}`);
  const root = process.env.SECRETSYNC_TESTBED_ROOT!;
  address = nodeAddress(root);
  const image = await useControllerImage();
  const deployed = /image: (\S+)/.exec(await kubectl(['kustomize', overlay('eks-irsa')]))![1]!;
  await tagImage(root, image.ref, `docker.io/library/${deployed}`);

  removeAgentAddress = await addBridgeAddress(nodeBridge(root), POD_IDENTITY_AGENT);
  exposed = await exposeToPods([
    ...['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_STS', 'SECRETSYNC_GCP_ENDPOINT'].map((v) => ({
      host: address,
      port: loopbackPort(v),
      to: loopbackPort(v),
    })),
    { host: POD_IDENTITY_AGENT, port: 80, to: loopbackPort('SECRETSYNC_EKS_POD_IDENTITY_URL') },
  ]);
  gkeMetadata = gkeMetadataServer({
    async podByIp(ip) {
      const pods = await core.listPodForAllNamespaces({ fieldSelector: `status.podIP=${ip}` });
      const p = pods.items.find((x) => x.status?.phase === 'Running');
      if (!p?.metadata?.uid) return undefined;
      return {
        namespace: p.metadata.namespace!,
        name: p.metadata.name!,
        uid: p.metadata.uid,
        serviceAccount: p.spec?.serviceAccountName ?? 'default',
      };
    },
    async annotations(namespace, name) {
      return (await core.readNamespacedServiceAccount({ name, namespace })).metadata?.annotations ?? {};
    },
    async podToken(pod, audience) {
      const tr = await core.createNamespacedServiceAccountToken({
        name: pod.serviceAccount,
        namespace: pod.namespace,
        body: {
          spec: {
            audiences: [audience],
            expirationSeconds: 3600,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid },
          },
        },
      });
      const token = tr.status?.token;
      if (!token) throw new Error('TokenRequest returned no token');
      return token;
    },
    stsUrl: process.env.SECRETSYNC_GCP_STS_ENDPOINT!,
    iamCredentialsUrl: process.env.SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT!,
  });
  await gkeMetadata.listen(await freePort(), address);

  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await eventually(() => core.createNamespace({ body: { metadata: { name: NS } } }), {
    timeoutMs: 60_000,
    what: `namespace ${NS} (re)created`,
  });
}, NODE_START_TIMEOUT_MS + CONTROLLER_IMAGE_TIMEOUT_MS);

async function removeController(): Promise<void> {
  await kubectl([
    'delete',
    '-n',
    SYSTEM,
    '--ignore-not-found',
    'deployment/secretsync',
    'service/secretsync-metrics',
    'poddisruptionbudget/secretsync',
    'networkpolicy/secretsync',
    'lease/secretsync-leader',
  ]);
  await eventually(async () => expect(await controllerPods(true)).toEqual([]), {
    timeoutMs: POD_GONE_MS,
    what: 'the previous case’s controller pod gone',
  });
}

afterEach(removeController, POD_GONE_MS + 30_000);

afterAll(async () => {
  await gkeMetadata?.close();
  await exposed?.close();
  await removeAgentAddress?.();
  // The shared ServiceAccount as deploy/ has it (apply drops the annotations the overlays added).
  await kubectl(['apply', '-f', join(repoRoot, 'deploy', 'serviceaccount.yaml')]).catch(() => undefined);
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
});

async function controllerPods(includeTerminating = false): Promise<k8s.V1Pod[]> {
  return (
    await core.listNamespacedPod({ namespace: SYSTEM, labelSelector: 'app.kubernetes.io/name=secretsync' })
  ).items.filter((p) => includeTerminating || !p.metadata?.deletionTimestamp);
}

const isReady = (p: k8s.V1Pod) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Renders the overlay, points the controller at the testbed's endpoints as pods reach them, allows
 * exactly that egress in the NetworkPolicy, applies it, and returns the Ready controller pod.
 */
async function install(
  component: string,
  env: Record<string, string>,
  egressPorts: number[],
): Promise<k8s.V1Pod> {
  const docs = parseAllDocuments(await kubectl(['kustomize', overlay(component)])).map(
    (d) => d.toJS() as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  );
  for (const d of docs) {
    if (d.kind === 'Deployment') {
      d.spec.template.spec.containers[0].env.push(
        ...Object.entries(env).map(([name, value]) => ({ name, value })),
      );
    }
    if (d.kind === 'NetworkPolicy') {
      d.spec.egress.push({
        to: [{ ipBlock: { cidr: `${address}/32` } }],
        ports: egressPorts.map((port) => ({ protocol: 'TCP', port })),
      });
    }
  }
  await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
  return eventually(
    async () => {
      const pods = await controllerPods();
      expect(pods.map(isReady)).toEqual([true]);
      return pods[0]!;
    },
    {
      timeoutMs: POD_READY_MS,
      what: `a Ready controller pod with ${component} (kubelet log: ${node.logs}/kubelet.log)`,
    },
  );
}

/** Applies a SecretStore and an ExternalSecret reading `remoteKey`, and waits until it is synced. */
async function syncs(provider: Record<string, unknown>, remoteKey: string, value: string): Promise<void> {
  const name = `es-${Object.keys(provider)[0]}-${run}`;
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${NS}}
spec:
  provider: ${JSON.stringify(provider)}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${NS}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: ${name}, kind: SecretStore}
  target: {name: ${name}}
  data:
    - secretKey: value
      remoteRef: {key: ${remoteKey}}
`);
  await eventually(
    async () => {
      const es = await readEs(NS, name);
      expect(ready(es)).toMatchObject({ status: 'True' });
      expect(sha256(decoded(await readSecret(NS, name)).value ?? '')).toBe(sha256(value));
    },
    { timeoutMs: SYNC_MS, what: `ExternalSecret ${NS}/${name} synced by the controller pod` },
  );
}

/** The requests a fake accepted with a token bound to this pod. */
const fromPod = (requests: FakeRequest[], pod: k8s.V1Pod) =>
  requests.filter((r) => r.outcome === 200 && r.token?.pod === pod.metadata?.name);

test('eks-irsa: the kubelet-projected token (audience sts.amazonaws.com) is exchanged at STS; the pod syncs from Secrets Manager', async () => {
  const roleArn = 'arn:aws:iam::123456789012:role/secretsync-node';
  await fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', {
    roleArn,
    subjects: [SUBJECT],
    audience: 'sts.amazonaws.com',
  });
  const key = `node-irsa-${run}`;
  const value = `irsa-${randomBytes(8).toString('hex')}`;
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: key, SecretString: value }));

  const pod = await install(
    'eks-irsa',
    { AWS_ENDPOINT_URL: forPods('AWS_ENDPOINT_URL'), AWS_ENDPOINT_URL_STS: forPods('AWS_ENDPOINT_URL_STS') },
    [loopbackPort('AWS_ENDPOINT_URL'), loopbackPort('AWS_ENDPOINT_URL_STS')],
  );
  await syncs({ aws: { service: 'SecretsManager', region: 'us-east-1' } }, key, value);

  const seen = fromPod(await fakeRequests('AWS_ENDPOINT_URL_STS'), pod);
  expect(seen.length).toBeGreaterThan(0);
  for (const r of seen) {
    expect(r.detail).toEqual({ roleArn, subject: SUBJECT });
    // The projected volume's audience and expirationSeconds, bound to the pod on this node.
    expect(r.token).toEqual({
      aud: ['sts.amazonaws.com'],
      pod: pod.metadata!.name,
      node: node.name,
      lifetimeSec: 86400,
    });
  }
});

test('eks-pod-identity: the agent at 169.254.170.23 gets the kubelet-projected token (audience pods.eks.amazonaws.com); the pod syncs', async () => {
  const roleArn = 'arn:aws:iam::123456789012:role/secretsync-node-pod-identity';
  await fakeAdmin('SECRETSYNC_EKS_POD_IDENTITY_URL', '/_testbed/associations', { subject: SUBJECT, roleArn });
  const key = `node-pod-identity-${run}`;
  const value = `pod-identity-${randomBytes(8).toString('hex')}`;
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: key, SecretString: value }));

  // The agent's egress is the component's own NetworkPolicy rule (169.254.170.23/32, TCP 80).
  const pod = await install('eks-pod-identity', { AWS_ENDPOINT_URL: forPods('AWS_ENDPOINT_URL') }, [
    loopbackPort('AWS_ENDPOINT_URL'),
  ]);
  await syncs({ aws: { service: 'SecretsManager', region: 'us-east-1' } }, key, value);

  const seen = fromPod(await fakeRequests('SECRETSYNC_EKS_POD_IDENTITY_URL'), pod);
  expect(seen.length).toBeGreaterThan(0);
  for (const r of seen) {
    expect(r.detail).toEqual({ subject: SUBJECT, roleArn });
    expect(r.token).toEqual({
      aud: ['pods.eks.amazonaws.com'],
      pod: pod.metadata!.name,
      node: node.name,
      lifetimeSec: 86400,
    });
  }
});

test("gke-workload-identity: the node's metadata server exchanges a pod-bound token for the pool; the pod syncs from Secret Manager", async () => {
  const gsa = `secretsync-node@${TESTBED_PROJECT}.iam.gserviceaccount.com`;
  const pool = `${TESTBED_PROJECT}.svc.id.goog`;
  await fakeAdmin('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT', '/_testbed/bindings', {
    gsa,
    member: `serviceAccount:${pool}[${SYSTEM}/secretsync]`,
  });
  const id = `node-wi-${run}`;
  const value = `wi-${randomBytes(8).toString('hex')}`;
  const sm = gcpSecretManager();
  await sm.createSecret({
    parent: `projects/${TESTBED_PROJECT}`,
    secretId: id,
    secret: { replication: { automatic: {} } },
  });
  await sm.addSecretVersion({
    parent: `projects/${TESTBED_PROJECT}/secrets/${id}`,
    payload: { data: Buffer.from(value) },
  });
  await grantGcp(
    `projects/${TESTBED_PROJECT}/secrets/${id}`,
    'roles/secretmanager.secretAccessor',
    `serviceAccount:${gsa}`,
  );

  const pod = await install(
    'gke-workload-identity',
    {
      GCE_METADATA_HOST: `${address}:${gkeMetadata.port}`,
      SECRETSYNC_GCP_ENDPOINT: forPods('SECRETSYNC_GCP_ENDPOINT'),
    },
    [gkeMetadata.port, loopbackPort('SECRETSYNC_GCP_ENDPOINT')],
  );
  await syncs({ gcpsm: { projectID: TESTBED_PROJECT } }, id, value);

  // The metadata server answered the pod as itself…
  const answered = gkeMetadata.requests.filter((r) => r.path.endsWith('/default/token') && r.outcome === 200);
  expect(answered.length).toBeGreaterThan(0);
  for (const r of answered)
    expect(r.detail).toEqual({ pod: `${SYSTEM}/${pod.metadata!.name}`, ksa: `${SYSTEM}/secretsync`, gsa });
  // …with a token bound to that pod for the pool, which STS verified.
  const seen = fromPod(await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT'), pod);
  expect(seen.length).toBe(answered.length);
  for (const r of seen) {
    expect(r.detail).toMatchObject({
      subject: SUBJECT,
      member: `serviceAccount:${pool}[${SYSTEM}/secretsync]`,
    });
    expect(r.token).toEqual({ aud: [pool], pod: pod.metadata!.name, node: node.name, lifetimeSec: 3600 });
  }
});
