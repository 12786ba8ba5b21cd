// `npm start` with no cluster configured: a local control plane and Secret Manager emulator, the
// example application from examples/gcp/base, the controller running under its least-privilege
// ServiceAccount — and the story told on the terminal: synced, rotated, updated, rolled.
import * as k8s from '@kubernetes/client-node';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { startTestbed, type Testbed } from '../testbed';
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
    await store.put('shop-db-password', `demo-${Math.random().toString(36).slice(2, 10)}`);
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
      await serverSideApply(admin, obj);
    }
    say(
      'applied examples/gcp/base: ClusterSecretStore, ExternalSecret (v1beta1, refreshInterval 5s for the demo), Deployment with reloader.stakater.com/auto',
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

    const rotatedAt = Date.now();
    const version = await store.put('shop-db-password', `demo-${Math.random().toString(36).slice(2, 10)}`);
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
    say('running; Ctrl-C stops the controller and every process the demo started');
    await ctl.done;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
