// deploy/ installed as users install it — `kubectl apply -k` — on the testbed's node: the controller
// runs as 2 pods from the image built from the Dockerfile, reaches the apiserver through the
// `kubernetes` Service (kube-proxy), elects one leader, serves metrics behind its Service, hands over
// when the leader's pod is deleted without rolling anything twice, and converges 1,000
// ExternalSecrets (fake provider) within its memory limit. The only change to deploy/ is in
// ./install/kustomization.yaml (the controller watches one namespace: the apiserver is shared).
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyYaml, kubectl } from '../../support/apply';
import { createObject, decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients } from '../../support/kube';
import {
  CONTROLLER_IMAGE_TIMEOUT_MS,
  NODE_START_TIMEOUT_MS,
  useControllerImage,
  useNode,
} from '../../support/node';
import { ACT_MS, envKey, reaches, recorded, replicaSets, staysAt } from '../rollout/helpers';
import { repoRoot } from '../../../dev/testbed/paths';
import { NODE_TOLERATION, tagImage, type TestbedNode } from '../../../dev/testbed/node';

const { kc, core, apps, objects } = clients();
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const SYSTEM = 'secretsync-system';
/** The namespace ./install/kustomization.yaml makes the controller watch. */
const NS = 'secretsync-install';
const LEASE = 'secretsync-leader';
const OVERLAY = join(repoRoot, 'test', 'integration', 'node', 'install');
const STORE = 'install-fake';
/** ExternalSecrets of the memory run (the benchmark's converge size). */
const MANY = 1000;

let node: TestbedNode;
let imageRef: string;

/** deploy/'s Deployment as rendered by the overlay (what runs). */
function rendered(): Promise<string> {
  return kubectl(['kustomize', OVERLAY]);
}

// A pod of deploy/ is Ready once the image (present) has started, Node has loaded the bundle, the
// controller has listed its informers through the Service network, and a readiness probe
// (periodSeconds 5) has passed: seconds on an idle machine; the bound leaves room for 2 busy CPUs.
const POD_READY_MS = 120_000;
// Deleting the leader's pod: it gets SIGTERM (grace 30 s) and gives the Lease up as it stops; if it
// did not, the Lease would expire after its 15 s duration. The other replica retries every 2 s.
const HANDOVER_MS = 30_000 + 15_000 + 15_000;

beforeAll(async () => {
  node = await useNode();
  if (node.noServices) throw new Error(`these tests need the node's Service network: ${node.noServices}`);
  const image = await useControllerImage();
  imageRef = image.ref;
  // deploy/ names the image `secretsync:0.1.0`, which containerd's CRI resolves in docker.io/library.
  const deployed = /image: (\S+)/.exec(await rendered())![1]!;
  await tagImage(process.env.SECRETSYNC_TESTBED_ROOT!, image.ref, `docker.io/library/${deployed}`);
  // A namespace left by an interrupted run first (its name is fixed by the overlay).
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await eventually(
    async () => {
      await core.createNamespace({ body: { metadata: { name: NS } } });
    },
    { timeoutMs: 60_000, what: `namespace ${NS} (re)created` },
  );
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: NS }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
}, NODE_START_TIMEOUT_MS + CONTROLLER_IMAGE_TIMEOUT_MS);

afterAll(async () => {
  // What deploy/ adds to what the other test files share (CRDs, namespace, ServiceAccount, RBAC).
  await kubectl(
    [
      'delete',
      '-n',
      SYSTEM,
      '--ignore-not-found',
      '--wait=false',
      'deployment/secretsync',
      'service/secretsync-metrics',
      'poddisruptionbudget/secretsync',
      'networkpolicy/secretsync',
      `lease/${LEASE}`,
    ],
    undefined,
  ).catch(() => undefined);
  await kubectl(['delete', 'clustersecretstore', STORE, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
});

/** A GET on a connection of its own (kube-proxy balances connections, fetch would reuse one). */
function getOnNewConnection(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const isReady = (p: k8s.V1Pod) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function controllerPods(): Promise<k8s.V1Pod[]> {
  return (
    await core.listNamespacedPod({ namespace: SYSTEM, labelSelector: 'app.kubernetes.io/name=secretsync' })
  ).items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The pod whose controller holds the Lease (its identity is `<pod name>_<random>`). */
async function leaderPod(): Promise<string> {
  const lease = await coordination.readNamespacedLease({ name: LEASE, namespace: SYSTEM });
  const holder = lease.spec?.holderIdentity;
  if (!holder) throw new Error('the Lease has no holder');
  return holder.slice(0, holder.lastIndexOf('_'));
}

function clusterStore(data: { key: string; value: string }[]) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: STORE },
    spec: { provider: { fake: { data } } },
  };
}

test('kubectl apply -k: 2 Ready controller pods from the image, one Lease holder', async () => {
  await kubectl(['apply', '-k', OVERLAY]);
  const pods = await eventually(
    async () => {
      const ps = await controllerPods();
      expect(ps.map((p) => [p.status?.phase, isReady(p)])).toEqual([
        ['Running', true],
        ['Running', true],
      ]);
      return ps;
    },
    { timeoutMs: POD_READY_MS, what: `2 Ready controller pods (kubelet log: ${node.logs}/kubelet.log)` },
  );
  for (const p of pods) {
    expect(p.spec?.nodeName).toBe(node.name);
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }
  // The pods reached the apiserver through the Service network: the `kubernetes` Service's endpoint
  // is the node's bridge address.
  const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace: 'default',
    labelSelector: 'kubernetes.io/service-name=kubernetes',
  });
  expect(slices.items[0]?.endpoints?.[0]?.addresses).toEqual([pods[0]!.status?.hostIP]);

  const leader = await eventually(leaderPod, { timeoutMs: ACT_MS, what: 'a Lease holder' });
  expect(pods.map((p) => p.metadata?.name)).toContain(leader);
});

test("metrics are scraped from the Service's ClusterIP (through kube-proxy)", async () => {
  const svc = await core.readNamespacedService({ name: 'secretsync-metrics', namespace: SYSTEM });
  const ip = svc.spec?.clusterIP;
  expect(ip).toMatch(/^10\.0\.0\./);
  // Both replicas serve /metrics; exactly one reports itself leader. Each new connection lands on
  // one of them (kube-proxy's random choice), so scrape until both have answered.
  const seen = new Set<number>();
  await eventually(
    async () => {
      const text = await getOnNewConnection(`http://${ip}:8080/metrics`);
      const leader = /^secretsync_leader (\d+)$/m.exec(text);
      expect(leader).not.toBeNull();
      seen.add(Number(leader![1]));
      expect(seen.size).toBe(2);
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'metrics from both replicas via the Service' },
  );
  expect([...seen].sort()).toEqual([0, 1]);
});

test("a pod scrapes the Service's ClusterIP (pod → Service → pod on the same bridge)", async () => {
  const svc = await core.readNamespacedService({ name: 'secretsync-metrics', namespace: SYSTEM });
  // The image has Node: its fetch is the scraper. The reply comes back through the host because
  // kube-proxy masquerades Service traffic (pods share one bridge).
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'scraper' },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'scraper',
            image: imageRef,
            imagePullPolicy: 'Never',
            command: [
              'node',
              '-e',
              `fetch('http://${svc.spec!.clusterIP}:8080/metrics', {signal: AbortSignal.timeout(10000)})` +
                `.then((r) => r.text()).then((t) => console.log(/^secretsync_leader \\d$/m.exec(t)[0]))`,
            ],
            securityContext: { runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false },
          },
        ],
        tolerations: [NODE_TOLERATION],
      },
    },
  });
  // Node starts and the fetch answers in about a second; the bound covers the sandbox's start.
  const pod = await eventually(
    async () => {
      const p = await core.readNamespacedPod({ name: 'scraper', namespace: NS });
      if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
        throw new Error(`pod is ${p.status?.phase}`);
      return p;
    },
    { timeoutMs: 60_000, what: 'scraper pod finished' },
  );
  const log = await core.readNamespacedPodLog({ name: 'scraper', namespace: NS });
  expect({ phase: pod.status?.phase, log }).toEqual({
    phase: 'Succeeded',
    log: expect.stringMatching(/^secretsync_leader [01]\n$/),
  });
});

test('the PDB and NetworkPolicy are accepted by the apiserver; the overlays render to valid objects', async () => {
  const pdb = await kc
    .makeApiClient(k8s.PolicyV1Api)
    .readNamespacedPodDisruptionBudget({ name: 'secretsync', namespace: SYSTEM });
  expect(pdb.spec?.minAvailable).toBe(1);
  const np = await kc
    .makeApiClient(k8s.NetworkingV1Api)
    .readNamespacedNetworkPolicy({ name: 'secretsync', namespace: SYSTEM });
  expect(np.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
  // Each overlay's rendered output, validated by the apiserver (schemas, defaults, admission)
  // without changing what runs.
  for (const overlay of ['dev', 'staging', 'prod']) {
    const yaml = await kubectl(['kustomize', join(repoRoot, 'overlays', overlay)]);
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], yaml);
    const kinds = parseAllDocuments(yaml).map((d) => (d.toJS() as { kind: string }).kind);
    expect(out.trim().split('\n')).toHaveLength(kinds.length);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'PodDisruptionBudget', 'NetworkPolicy']));
  }
});

test('deleting the leader pod hands over; the new leader rolls a Secret change exactly once', async () => {
  await createObject(clusterStore([{ key: 'db-pass', value: randomBytes(16).toString('hex') }]));
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: NS },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
      data: [{ secretKey: 'password', remoteRef: { key: 'db-pass' } }],
    },
  });
  const labels = { app: 'app' };
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'app', annotations: { 'reloader.stakater.com/auto': 'true' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'app',
                image: node.images.secrethash,
                imagePullPolicy: 'Never',
                args: ['-env', 'DB_PASSWORD', '-listen', ':8080'],
                env: [envKey('db', 'password')],
              },
            ],
            terminationGracePeriodSeconds: 1,
            tolerations: [NODE_TOLERATION],
          },
        },
      },
    },
  });
  await eventually(async () => expect(decoded(await readSecret(NS, 'db')).password).toBeDefined(), {
    timeoutMs: ACT_MS,
    what: 'Secret db written',
  });
  await recorded(NS, 'Deployment', 'app');
  await reaches(() => replicaSets(NS, 'app'), 1, 'first ReplicaSet');

  const before = await leaderPod();
  await core.deleteNamespacedPod({ name: before, namespace: SYSTEM });
  const after = await eventually(
    async () => {
      const l = await leaderPod();
      expect(l).not.toBe(before);
      return l;
    },
    { timeoutMs: HANDOVER_MS, what: 'a new Lease holder' },
  );
  const survivor = (await controllerPods()).some((p) => p.metadata?.name === after);
  console.log(
    `leader ${before} deleted → ${after} leads (${survivor ? 'a running pod' : 'its replacement'})`,
  );
  // A new leader re-reads every workload: nothing changed, so nothing is rolled.
  await staysAt(() => replicaSets(NS, 'app'), 1);

  const rotated = randomBytes(16).toString('hex');
  const store = await objects.read(clusterStore([]));
  await objects.replace({
    ...store,
    spec: clusterStore([{ key: 'db-pass', value: rotated }]).spec,
  } as typeof store);
  await eventually(async () => expect(decoded(await readSecret(NS, 'db')).password).toBe(rotated), {
    timeoutMs: ACT_MS,
    what: 'Secret rewritten after the rotation',
  });
  await reaches(() => replicaSets(NS, 'app'), 2, 'rollout after the rotation');
  await staysAt(() => replicaSets(NS, 'app'), 2);
});

/**
 * The cgroup v1 memory directory of a pod's container: <node cgroup>/kubepods/<qos>/pod<uid>/<id>
 * (the kubelet's cgroupfs layout; Guaranteed pods sit directly under kubepods).
 */
function memoryCgroup(pod: k8s.V1Pod): string {
  const base = '/sys/fs/cgroup/memory';
  const qos = pod.status?.qosClass?.toLowerCase();
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
  const rel = join('kubepods', qos === 'guaranteed' ? '' : qos!, `pod${pod.metadata!.uid!}`, id!);
  const found = readdirSync(base)
    .filter((d) => d.startsWith('secretsync-'))
    .map((d) => join(base, d, rel))
    .find((d) => existsSync(d));
  if (!found) throw new Error(`no memory cgroup ${rel} under ${base}/secretsync-*`);
  return found;
}

test('the leader converges 1,000 ExternalSecrets within the memory limit (no OOMKill)', async () => {
  const limit = /limits: \{memory: (\d+)Mi\}/.exec(
    readFileSync(join(repoRoot, 'deploy', 'deployment.yaml'), 'utf8'),
  );
  expect(limit).not.toBeNull();
  const limitBytes = Number(limit![1]) * 1024 * 1024;
  const leader = await leaderPod();
  const pod = await core.readNamespacedPod({ name: leader, namespace: SYSTEM });
  const cg = memoryCgroup(pod);
  const read = (f: string) => Number(readFileSync(join(cg, f), 'utf8').trim());
  // The cgroup enforces deploy/'s limit.
  expect(read('memory.limit_in_bytes')).toBe(limitBytes);
  const peakBefore = read('memory.max_usage_in_bytes');
  writeFileSync(join(cg, 'memory.max_usage_in_bytes'), '0'); // the peak of the converge alone

  const keys = Array.from({ length: MANY }, (_, i) => ({
    key: `k${i}`,
    value: randomBytes(16).toString('hex'),
  }));
  const store = await objects.read(clusterStore([]));
  await objects.replace({ ...store, spec: clusterStore(keys).spec } as typeof store);
  const started = Date.now();
  await applyYaml(
    keys
      .map(
        (k, i) => `---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: many-${i}, namespace: ${NS}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: ${STORE}, kind: ClusterSecretStore}
  data: [{secretKey: v, remoteRef: {key: ${k.key}}}]
`,
      )
      .join(''),
  );
  // Every ExternalSecret is one Secret write (plus a status write): the controller's client-side
  // rate limits and 2 shared CPUs bound it; minutes at worst.
  await eventually(
    async () => {
      const list = (await core.listNamespacedSecret({ namespace: NS })).items.filter((s) =>
        s.metadata?.name?.startsWith('many-'),
      );
      expect(list.length).toBe(MANY);
    },
    { timeoutMs: 10 * 60_000, intervalMs: 1000, what: `${MANY} Secrets written` },
  );
  const convergeMs = Date.now() - started;
  const peak = read('memory.max_usage_in_bytes');
  const stat = Object.fromEntries(
    readFileSync(join(cg, 'memory.stat'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  console.log(
    `leader ${leader}: ${MANY} ExternalSecrets converged in ${(convergeMs / 1000).toFixed(0)} s; ` +
      `cgroup peak ${mib(peak)} during the converge (${mib(peakBefore)} before it), ` +
      `rss now ${mib(Number(stat.total_rss ?? stat.rss))}, limit ${mib(limitBytes)}, ` +
      `limit hits (failcnt) ${read('memory.failcnt')}`,
  );
  expect(peak).toBeLessThan(limitBytes);
  const now = await core.readNamespacedPod({ name: leader, namespace: SYSTEM });
  const cs = now.status!.containerStatuses![0]!;
  expect({ restarts: cs.restartCount, lastTerminated: cs.lastState?.terminated?.reason }).toEqual({
    restarts: 0,
    lastTerminated: undefined,
  });
  expect(await leaderPod()).toBe(leader);
});
