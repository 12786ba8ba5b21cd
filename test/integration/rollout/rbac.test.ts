// An RBAC denial on the patch is reported (a warning Event, one error log line and a rollout
// waiting, reason forbidden) and not retried in a loop. The rollout controller runs here as a ServiceAccount that may watch but not patch.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { RolloutController } from '../../../src/controllers/rollout/controller';
import { Metrics } from '../../../src/observability/metrics';
import { eventually } from '../../support/eventually';
import { adminConfig, clients, createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, apps, core, deployment, envKey, events, putSecret, QUIET_MS } from './helpers';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

let ns: string;
let ctl: RolloutController | undefined;
/** The workers, awaited in afterAll: workers that fail fail the file. */
let running: Promise<void> | undefined;
const logs: string[] = [];
const metrics = new Metrics(false);

async function watchOnlyConfig(): Promise<k8s.KubeConfig> {
  const { rbac } = clients();
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'watcher' } } });
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'watcher' },
      rules: [
        { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['list', 'watch'] },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'statefulsets', 'daemonsets'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list', 'watch'] },
        { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'watcher' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'watcher' },
      subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: ns }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'watcher',
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = newKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testbed', server: adminConfig().getCurrentCluster()!.server, skipTLSVerify: true }],
    users: [{ name: 'watcher', token: tr.status!.token }],
    contexts: [{ name: 'watcher', cluster: 'testbed', user: 'watcher' }],
    currentContext: 'watcher',
  });
  return kc;
}

beforeAll(async () => {
  ns = await createNamespace('rollout-rbac');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  ctl = new RolloutController({
    kc: await watchOnlyConfig(),
    logger: pino({ level: 'debug' }, sink),
    metrics,
    namespace: ns,
    debounceMs: 1000,
    // This ServiceAccount may not read the key Secret in secretsync-system: the key is given.
    digestKey: { bytes: randomBytes(32) },
  });
  await ctl.start();
  running = ctl.run();
});

afterAll(async () => {
  await ctl?.stop();
  await running;
  await deleteNamespace(ns);
});

test('403 on patch: one warning Event, one error line, no retry loop, nothing recorded', async () => {
  await putSecret(ns, 'db', { k: '1' });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('app', {
      annotations: { 'reloader.stakater.com/auto': 'true' },
      pod: { env: [envKey('db', 'k')] },
    }),
  });
  await eventually(
    async () =>
      expect(await events(ns, 'app')).toContainEqual({
        type: 'Warning',
        reason: 'RolloutForbidden',
        message: expect.stringContaining('may not patch deployments'),
      }),
    { timeoutMs: ACT_MS, what: 'RolloutForbidden Event' },
  );
  await new Promise((r) => setTimeout(r, QUIET_MS)); // bounded: counting attempts over a window
  const lines = logs.join('').split('\n');
  expect(lines.filter((l) => l.includes('"rollout decision"') && l.includes('/app"'))).toHaveLength(1);
  expect(lines.filter((l) => l.includes('rollout forbidden'))).toHaveLength(1);
  expect((await events(ns, 'app')).filter((e) => e.reason === 'RolloutForbidden')).toHaveLength(1);
  const d = await apps.readNamespacedDeployment({ name: 'app', namespace: ns });
  expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeUndefined();
  expect((await metrics.registry.metrics()).split('\n')).toContain(
    `secretsync_rollout_waiting{kind="Deployment",workload_namespace="${ns}",workload="app",reason="forbidden"} 1`,
  );
});
