// Runs the secretsync controller in-process against the testbed, authenticated as the
// `secretsync` ServiceAccount bound by deploy/'s RBAC (never as admin), with its JSON logs
// captured so that tests can grep them for canary values.
import * as k8s from '@kubernetes/client-node';
import { join } from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { buildConfig, type RawFlags } from '../../src/config';
import { type EmbedOptions, runController, type RunningController } from '../../src/controllers/run';
import { applyFile } from './apply';
import { adminConfig, clients } from './kube';
import { newKubeConfig } from '../../src/kube/kubeconfig';

const repo = join(__dirname, '..', '..');
let installed: Promise<void> | undefined;

/** CRDs and deploy/'s namespace, ServiceAccount and RBAC, once per test worker. */
export function installDeploy(): Promise<void> {
  installed ??= (async () => {
    for (const f of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'])
      await applyFile(join(repo, 'crds', `${f}.yaml`));
    for (const f of ['namespace', 'serviceaccount', 'rbac'])
      await applyFile(join(repo, 'deploy', `${f}.yaml`));
    const ext = adminConfig().makeApiClient(k8s.ApiextensionsV1Api);
    for (const name of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets']) {
      for (let i = 0; i < 100; i++) {
        const crd = await ext.readCustomResourceDefinition({ name: `${name}.external-secrets.io` });
        if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  return installed;
}

/** A kubeconfig that authenticates as system:serviceaccount:secretsync-system:secretsync. */
export async function controllerKubeConfig(): Promise<k8s.KubeConfig> {
  const admin = adminConfig();
  const tr = await clients(admin).core.createNamespacedServiceAccountToken({
    name: 'secretsync',
    namespace: 'secretsync-system',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = newKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testbed', server: cluster.server, skipTLSVerify: true }],
    users: [{ name: 'secretsync', token: tr.status!.token }],
    contexts: [{ name: 'secretsync', cluster: 'testbed', user: 'secretsync' }],
    currentContext: 'secretsync',
  });
  return kc;
}

export interface TestController extends RunningController {
  logs: string[];
}

/**
 * Starts a controller scoped to `namespace` with its own lease; stop it in afterAll/afterEach.
 * `kubeConfig` replaces the `secretsync` ServiceAccount's (e.g. one with reduced RBAC).
 * `embed` (sharding tests): the controller watches every namespace and `namespace` only names
 * its leases; `embed.shardGate` must keep it to the test's own namespaces.
 */
export async function startController(
  namespace: string,
  flags: RawFlags = {},
  opts: { kubeConfig?: k8s.KubeConfig; embed?: EmbedOptions } = {},
): Promise<TestController> {
  await installDeploy();
  const kc = opts.kubeConfig ?? (await controllerKubeConfig());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const cfg = buildConfig({
    namespace: opts.embed ? undefined : namespace,
    metricsPort: '0',
    bindAddress: '127.0.0.1',
    leaderElectionNamespace: 'secretsync-system',
    leaderElectionId: `secretsync-${namespace}`,
    // Takeover after a graceful stop takes one retry period; a long lease keeps a loaded machine
    // from losing leadership mid-test.
    leaseDuration: '15s',
    renewDeadline: '10s',
    retryPeriod: '500ms',
    ...flags,
  });
  // Losing the lease must not end the jest worker: the controller stops and the test sees it.
  const running = await runController(
    kc,
    cfg,
    logger,
    () => logs.push('{"msg":"stopped after losing the lease"}\n'),
    undefined,
    opts.embed,
  );
  return { ...running, logs };
}
