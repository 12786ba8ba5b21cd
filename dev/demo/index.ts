// `npm start` with no cluster configured: a local control plane and Secret Manager emulator, the
// example application from examples/gcp/base, the controller running under its least-privilege
// ServiceAccount — and the story told on the terminal: synced, rotated, updated, rolled. Where a
// node can start (root, writable cgroups) the example's pods run on it, as the testbed's secrethash
// app, and the story shows what they see (the SHA-256 of DB_PASSWORD, never the value); elsewhere
// one line says why and the rollout is shown as ReplicaSets.
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { startTestbed, type Testbed } from '../testbed';
import { NODE_TOLERATION, startNode, type TestbedNode } from '../testbed/node';
import { CONTROLLER_GSA } from '../testbed/fakes/gcp-identity';
import { repoRoot } from '../testbed/paths';
import { buildConfig } from '../../src/config';
import { runController, type RunningController } from '../../src/controllers/run';
import { serverSideApply } from '../../src/kube/apply';
import { kubeRequest } from '../../src/kube/request';
import { DemoStore } from './store';
import { newKubeConfig } from '../../src/kube/kubeconfig';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[${elapsed().padStart(6)}] ${line}`);

const FIRST = ['Namespace', 'CustomResourceDefinition', 'ServiceAccount'];
const rank = (o: k8s.KubernetesObject) =>
  FIRST.includes(o.kind ?? '') ? FIRST.indexOf(o.kind ?? '') : FIRST.length;

/** The YAML documents of a directory, namespaces and CRDs first (the order kubectl apply needs). */
function loadManifests(dir: string): k8s.KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as k8s.KubernetesObject),
    )
    .sort((a, b) => rank(a) - rank(b));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo: ${what} did not happen within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function controllerKubeConfig(admin: k8s.KubeConfig): Promise<k8s.KubeConfig> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'secretsync',
    namespace: 'secretsync-system',
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const kc = newKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: admin.getCurrentCluster()!.server, skipTLSVerify: true }],
    users: [{ name: 'secretsync', token: tr.status!.token }],
    contexts: [{ name: 'secretsync', cluster: 'local', user: 'secretsync' }],
    currentContext: 'secretsync',
  });
  return kc;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The example's pod template run as the testbed's secrethash app (its image is in the node's
 * containerd; the example's image is not, and nothing can be pulled): it reports the SHA-256 of
 * DB_PASSWORD at :8080/hashes.
 */
function onTheNode(obj: k8s.KubernetesObject, node: TestbedNode): void {
  const spec = (obj as k8s.V1Deployment).spec!.template.spec!;
  Object.assign(spec.containers[0]!, {
    image: node.images.secrethash,
    imagePullPolicy: 'Never',
    args: ['-env', 'DB_PASSWORD', '-listen', ':8080'],
    readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
    securityContext: { runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false },
  });
  spec.terminationGracePeriodSeconds = 1;
  spec.tolerations = [{ ...NODE_TOLERATION }];
}

interface PodView {
  name: string;
  uid: string;
  hash: string;
}

/** The example's Ready pods and the hash each reports (fetched over the node's bridge). */
async function podViews(core: k8s.CoreV1Api): Promise<PodView[]> {
  const pods = (await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=web' })).items;
  const ready = pods.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  return Promise.all(
    ready.map(async (p) => {
      const res = await fetch(`http://${p.status!.podIP}:8080/hashes`, { signal: AbortSignal.timeout(3000) });
      const hashes = (await res.json()) as Record<string, string>;
      return { name: p.metadata!.name!, uid: p.metadata!.uid!, hash: hashes['env:DB_PASSWORD'] ?? '?' };
    }),
  );
}

export async function runDemo(): Promise<void> {
  say('no kubeconfig found: starting a local control plane and a Secret Manager emulator');
  say('(the first run builds Kubernetes from its Go modules: several minutes; later runs take seconds)');
  let tb: Testbed | undefined;
  let ctl: RunningController | undefined;
  const stopAll = async () => {
    await ctl?.stop().catch(() => undefined);
    await tb?.stop().catch(() => undefined);
  };
  const onSignal = () => {
    stopAll().then(
      () => process.exit(0),
      () => process.exit(1), // stopAll() catches each stop's failure: only a bug lands here
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    tb = await startTestbed({
      name: 'demo',
      withPubSub: false,
      withMoto: false,
      progress: (l) => say(l.replace(/^testbed: /, '')),
    });
    Object.assign(process.env, tb.env);
    say(`control plane ready at ${tb.apiserverUrl}; logs in ${tb.root}/logs/`);
    // The node is optional: without it (no root, no cgroups, a build that failed) the demo goes on.
    const node = await startNode(
      { root: tb.root, apiserverUrl: tb.apiserverUrl, adminToken: tb.adminToken },
      (l) => say(l.replace(/^testbed: /, '')),
    ).catch((err: Error) => {
      say(
        `no node (${err.message.split('\n')[0]!.replace(/^testbed: /, '')}): the rollout is shown as ReplicaSets, without pods`,
      );
      return undefined;
    });

    const admin = newKubeConfig();
    admin.loadFromFile(tb.kubeconfig);
    for (const obj of [
      ...loadManifests(join(repoRoot, 'crds')),
      ...loadManifests(join(repoRoot, 'deploy')).filter((o) => o.kind !== 'Deployment'),
    ]) {
      if (['Service', 'PodDisruptionBudget', 'NetworkPolicy'].includes(obj.kind ?? '')) continue;
      await serverSideApply(admin, obj);
    }
    await until(
      'CRDs established',
      async () => {
        const crd = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(
          admin,
          {
            path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/externalsecrets.external-secrets.io',
          },
        );
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      },
      30000,
    );
    say("installed the CRDs and the controller's ServiceAccount and RBAC (deploy/)");

    const store = new DemoStore('secretsync-demo', tb.secretManager.adminToken);
    await store.put('shop-db-username', 'shop');
    const firstPassword = `demo-${Math.random().toString(36).slice(2, 10)}`;
    await store.put('shop-db-password', firstPassword);
    // Least privilege, as users are told: the controller may read these two secrets, nothing more.
    for (const id of ['shop-db-username', 'shop-db-password']) {
      tb.secretManager.iam.grant(
        `projects/secretsync-demo/secrets/${id}`,
        `serviceAccount:${CONTROLLER_GSA}`,
        'roles/secretmanager.secretAccessor',
      );
    }
    say(
      'created shop-db-username and shop-db-password in Secret Manager (project secretsync-demo) and ' +
        "granted the controller's Google service account roles/secretmanager.secretAccessor on them",
    );

    const app = loadManifests(join(repoRoot, 'examples', 'gcp', 'base'));
    for (const obj of app) {
      if (obj.kind === 'ExternalSecret')
        (obj as unknown as { spec: { refreshInterval: string } }).spec.refreshInterval = '5s';
      if (obj.kind === 'Deployment' && node) onTheNode(obj, node);
      await serverSideApply(admin, obj);
    }
    say(
      'applied examples/gcp/base: ClusterSecretStore, ExternalSecret (v1beta1, refreshInterval 5s for the demo), Deployment with reloader.stakater.com/auto' +
        (node
          ? ` (its container runs ${node.images.secrethash}, which reports the SHA-256 of DB_PASSWORD)`
          : ''),
    );

    const logDir = join(tb.root, 'logs');
    mkdirSync(logDir, { recursive: true });
    const logger = pino(
      { level: 'info' },
      pino.destination({ dest: join(logDir, 'secretsync.log'), sync: false }),
    );
    const cfg = buildConfig({
      metricsPort: '0',
      bindAddress: '127.0.0.1',
      leaderElectionNamespace: 'secretsync-system',
    });
    ctl = await runController(await controllerKubeConfig(admin), cfg, logger);
    say(
      `controller running as system:serviceaccount:secretsync-system:secretsync (metrics on :${ctl.metricsPort}, log ${logDir}/secretsync.log)`,
    );

    const core = admin.makeApiClient(k8s.CoreV1Api);
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const hashOf = async () => {
      const s = await core.readNamespacedSecret({ name: 'db-credentials', namespace: 'shop' });
      return s.metadata?.annotations?.['reconcile.external-secrets.io/data-hash'];
    };
    const replicaSets = async () =>
      (await apps.listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=web' })).items;
    const first = await until('first sync', hashOf, 60000);
    say(`✓ Secret shop/db-credentials synced from Secret Manager (data-hash ${first.slice(0, 12)}…)`);
    const before = (
      await until(
        'first ReplicaSet',
        async () => ((await replicaSets()).length > 0 ? replicaSets() : undefined),
        60000,
      )
    ).length;

    // Pods start once the Secret exists (their env reads it): Ready within a minute on a busy machine.
    const firstPods = node
      ? await until(
          'first pod Ready',
          async () => {
            const v = await podViews(core);
            return v.length && v.every((p) => p.hash === sha256(firstPassword)) ? v : undefined;
          },
          60000,
        )
      : [];
    for (const p of firstPods)
      say(
        `✓ pod ${p.name} Ready on ${node!.name}: it sees DB_PASSWORD with sha256 ${p.hash.slice(0, 12)}… (version 1's)`,
      );

    const rotatedAt = Date.now();
    const password = `demo-${Math.random().toString(36).slice(2, 10)}`;
    const version = await store.put('shop-db-password', password);
    say(`↻ rotated shop-db-password in Secret Manager (now version ${version})`);
    const next = await until(
      'Secret update',
      async () => {
        const h = await hashOf();
        return h && h !== first ? h : undefined;
      },
      60000,
    );
    say(
      `✓ Secret shop/db-credentials updated ${((Date.now() - rotatedAt) / 1000).toFixed(1)}s after the rotation (data-hash ${next.slice(0, 12)}…)`,
    );
    const rolled = await until(
      'Deployment rollout',
      async () => {
        const rs = await replicaSets();
        return rs.length > before ? rs : undefined;
      },
      30000,
    ).catch(() => undefined);
    if (rolled) {
      const newest = rolled.sort((a, b) =>
        String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)),
      )[0];
      say(
        `✓ Deployment shop/web rolled: new ReplicaSet ${newest?.metadata?.name} (${((Date.now() - rotatedAt) / 1000).toFixed(1)}s after the rotation)`,
      );
    } else {
      say('✗ Deployment shop/web did not roll within 30s (see the controller log)');
    }
    if (node && rolled) {
      const old = firstPods.map((p) => p.uid);
      const replaced = await until(
        'new pod Ready',
        async () => {
          const v = await podViews(core);
          return v.length && v.every((p) => !old.includes(p.uid) && p.hash === sha256(password))
            ? v
            : undefined;
        },
        60000,
      ).catch(() => undefined);
      if (replaced)
        for (const p of replaced)
          say(
            `✓ pod ${p.name} replaced ${firstPods.map((f) => f.name).join(', ')} and is Ready ${((Date.now() - rotatedAt) / 1000).toFixed(1)}s after the rotation: it sees DB_PASSWORD with sha256 ${p.hash.slice(0, 12)}… (version ${version}'s)`,
          );
      else say(`✗ no Ready pod sees the new version within 60s (kubelet log: ${node.logs}/kubelet.log)`);
    }
    say('running; Ctrl-C stops the controller and every process the demo started');
    await ctl.done;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
