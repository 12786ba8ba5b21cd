// deploy/monitoring against the real thing, with Prometheus and promtool built from their Go module:
// - `promtool check rules` and `promtool test rules` (deploy/monitoring/rules.test.yaml: each alert
//   fires once on synthetic series, and a near miss does not);
// - a running controller's /metrics offers every metric an alert or dashboard expression reads;
// - Prometheus scrapes that controller while it syncs ExternalSecrets (four readers of one secret
//   sharing its reads), fails one (a key the store does not have), refreshes on a Pub/Sub rotation
//   event (the emulator), rolls a Deployment and holds back the rollout of a paused one, loads the
//   alerts and evaluates them without error (the failing ExternalSecret puts
//   SecretSyncExternalSecretNotReady into pending), and every dashboard query evaluates; those whose
//   metrics this scenario produces return data;
// - with the alerts' `for` set to 0, nine of the eleven alerts fire on live controllers (the last
//   describe block says how, and which two cannot be caused on demand), and there every dashboard
//   query returns data.
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { KubeConfig, V1PolicyRule } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePrometheus } from '../../../dev/testbed/install';
import { startPrometheus, type Prometheus } from '../../../dev/testbed/prometheus';
import { startToxiproxy, type Toxiproxy } from '../../../dev/testbed/toxiproxy';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import {
  controllerKubeConfig,
  installDeploy,
  startController,
  type TestController,
} from '../../support/controller';
import {
  createObject,
  decoded,
  patchMerge,
  readEs,
  readSecret,
  ready,
  storeCondition,
} from '../../support/es';
import { eventually } from '../../support/eventually';
import { run } from '../../support/helm';
import { adminConfig, clients, createNamespace, deleteNamespace } from '../../support/kube';
import { newKubeConfig } from '../../../src/kube/kubeconfig';
import {
  alertExpressions,
  asGrafanaSends,
  dashboardExpressions,
  exportedNames,
  metricNames,
  monitoringDir,
  ruleGroups,
  unexported,
} from '../../support/monitoring';

/** A cold build of Prometheus and promtool takes minutes on a loaded 2-core machine. */
const BUILD_TIMEOUT_MS = 40 * 60_000;
const JOB = 'secretsync';

// Metrics this scenario does not make the controller emit (a labelled counter has no series until
// its first increment), each with the test that covers it.
const NOT_IN_SCENARIO: Record<string, string> = {
  secretsync_background_failures_total: 'nothing fails in the background here (the last part: job no-events)',
};

const scratch = mkdtempSync(join(tmpdir(), 'ship-monitoring-'));
const project = `monitoring-${randomBytes(3).toString('hex')}`;
const sm = gcpSecretManager();
const pubsub = new PubSub({ projectId: process.env.PUBSUB_PROJECT_ID });
let topic: Topic;
let tools: { prometheus: string; promtool: string };
let ns: string;
let ctl: TestController | undefined;
let prom: Prometheus | undefined;
const rulesFile = join(scratch, 'rules.yaml');

const metricsText = async () => (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text();

/** A Secret Manager notification for a secret of the project, or a message no parser accepts. */
const notifyVersionAdded = (secret: string) =>
  topic.publishMessage({
    data: Buffer.from(JSON.stringify({ name: `projects/${project}/secrets/${secret}` })),
    attributes: {
      eventType: 'SECRET_VERSION_ADD',
      secretId: `projects/${project}/secrets/${secret}`,
      dataFormat: 'JSON_API_V1',
    },
  });
const publishMalformed = () => topic.publishMessage({ data: Buffer.from('not json'), attributes: {} });

/** Waits until a Prometheus has a series of this query (so that a later increase shows as one). */
async function scraped(p: Prometheus, query: string, what: string): Promise<void> {
  // Scrapes are 1 s apart; 30 s leaves room for a loaded machine.
  await eventually(
    async () => expect((await p.api<{ result: unknown[] }>('query', { query })).result).not.toHaveLength(0),
    { timeoutMs: 30_000, what },
  );
}

beforeAll(async () => {
  tools = await ensurePrometheus((l) => process.stderr.write(`${l}\n`));
  // The PrometheusRule's spec is a Prometheus rules file.
  writeFileSync(rulesFile, stringify({ groups: ruleGroups() }));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await prom?.stop();
  await ctl?.stop();
  if (ns) await deleteNamespace(ns);
  await sm.close();
  await pubsub.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('promtool', () => {
  test('check rules', async () => {
    const r = await run(tools.promtool, ['check', 'rules', rulesFile]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringMatching(/SUCCESS/),
    });
  });

  test('test rules: each alert fires on its scenario and not on the near miss', async () => {
    copyFileSync(join(monitoringDir, 'rules.test.yaml'), join(scratch, 'rules.test.yaml'));
    const r = await run(tools.promtool, ['test', 'rules', join(scratch, 'rules.test.yaml')]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringMatching(/SUCCESS/),
    });
    // Not vacuous: every alert of the rules file has a firing case in the test file.
    const tests = readFileSync(join(monitoringDir, 'rules.test.yaml'), 'utf8');
    for (const rule of ruleGroups().flatMap((g) => g.rules))
      expect({
        alert: rule.alert,
        tested: new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`).test(tests),
      }).toEqual({
        alert: rule.alert,
        tested: true,
      });
  });
});

describe('against a running controller', () => {
  beforeAll(async () => {
    ns = await createNamespace('monitoring');
    await installDeploy(); // the CRDs, before the objects made ahead of the controller
    // A Secret Manager store (the emulator): its validation and reads are provider calls; its
    // rotation events come through a Pub/Sub subscription (the emulator).
    await grantGcp(project, 'roles/secretmanager.secretAccessor');
    await putGcpVersion(sm, project, 'api-token', 'v1');
    [topic] = await pubsub.createTopic(`sm-events-${project}`);
    await topic.createSubscription(`secretsync-${project}`);
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: {
        name: 'gcp',
        namespace: ns,
        annotations: {
          'secretsync.io/pubsub-subscription': `projects/${process.env.PUBSUB_PROJECT_ID}/subscriptions/secretsync-${project}`,
        },
      },
      spec: { provider: { gcpsm: { projectID: project } } },
    });
    // Four readers of one secret, there before the controller starts: its first list hands it all
    // of them at once, and their reads of the secret are shared (cold start; see
    // test/integration/externalsecret/cold-sharing.test.ts).
    for (const name of ['api', 'api-2', 'api-3', 'api-4'])
      await createObject({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name, namespace: ns },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { name: 'gcp', kind: 'SecretStore' },
          data: [{ secretKey: 'token', remoteRef: { key: 'api-token' } }],
        },
      });
    ctl = await startController(ns);
    // A fake store: its data is the store spec, so a new value is one patch (for the rollout).
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: ns },
      spec: { provider: { fake: { data: [{ key: 'db', value: 'v1' }] } } },
    });
    for (const [name, key] of [
      ['db', 'db'],
      ['broken', 'no-such-key'],
    ] as const)
      await createObject({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name, namespace: ns },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { name: 'fake', kind: 'SecretStore' },
          target: { name },
          data: [{ secretKey: 'password', remoteRef: { key } }],
        },
      });
    await clients().apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'app', annotations: { 'reloader.stakater.com/auto': 'true' } },
        spec: {
          selector: { matchLabels: { app: 'app' } },
          template: {
            metadata: { labels: { app: 'app' } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'app:1',
                  env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
                },
              ],
            },
          },
        },
      },
    });
    // The same, paused: its restart waits in the pod template (a rollout waiting).
    await clients().apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'paused', annotations: { 'reloader.stakater.com/auto': 'true' } },
        spec: {
          paused: true,
          selector: { matchLabels: { app: 'paused' } },
          template: {
            metadata: { labels: { app: 'paused' } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'app:1',
                  env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
                },
              ],
            },
          },
        },
      },
    });
    prom = await startPrometheus({
      dir: join(scratch, 'prometheus'),
      targets: [
        { address: `127.0.0.1:${ctl.metricsPort}`, labels: { job: JOB, namespace: 'secretsync-system' } },
      ],
      ruleFiles: [rulesFile],
    });
    // Leader election, then the first sync (which the Deployment's first sight records) ...
    await eventually(async () => expect(decoded(await readSecret(ns, 'db'))).toEqual({ password: 'v1' }), {
      timeoutMs: 60_000,
      what: 'Secret db synced',
    });
    for (const name of ['app', 'paused'])
      await eventually(
        async () => {
          const d = await clients().apps.readNamespacedDeployment({ name, namespace: ns });
          expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeTruthy();
        },
        { timeoutMs: 30_000, what: `the Deployment ${name} recorded` },
      );
    // ... then a new value in the store: the store's change re-enqueues its ExternalSecrets, the
    // Secret changes and the Deployment rolls.
    await patchMerge(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'fake', namespace: ns },
      },
      { spec: { provider: { fake: { data: [{ key: 'db', value: 'v2' }] } } } },
    );
    await eventually(
      async () => expect(await metricsText()).toMatch(/^secretsync_rollouts_total\{[^}]*\} [1-9]/m),
      {
        timeoutMs: 60_000,
        what: 'a rollout counted',
      },
    );
    await eventually(
      async () =>
        expect(await metricsText()).toMatch(
          /^secretsync_rollout_waiting\{[^}]*workload="paused",reason="paused"\} 1$/m,
        ),
      { timeoutMs: 30_000, what: 'the paused Deployment waiting' },
    );
    expect(ready(await readEs(ns, 'broken')).reason).toBe('RemoteKeyNotFound');
    for (const name of ['api', 'api-2', 'api-3', 'api-4'])
      await eventually(async () => expect(ready(await readEs(ns, name)).status).toBe('True'), {
        timeoutMs: 30_000,
        what: `the Secret Manager ExternalSecret ${name} synced`,
      });
    // A rotation: a new version and its notification; refreshInterval is 1h, so only the event
    // refreshes the Secret now (and the rotation latency is observed).
    await eventually(
      async () =>
        expect(await storeCondition(ns, 'gcp', 'RotationEvents')).toMatchObject({
          status: 'True',
          reason: 'Subscribed',
        }),
      { timeoutMs: 30_000, what: 'the gcp store subscribed' },
    );
    await putGcpVersion(sm, project, 'api-token', 'v2');
    await notifyVersionAdded('api-token');
    await eventually(async () => expect(decoded(await readSecret(ns, 'api'))).toEqual({ token: 'v2' }), {
      timeoutMs: 30_000,
      what: 'the rotation event refreshed the Secret',
    });
    await eventually(
      async () => expect(await metricsText()).toMatch(/^secretsync_rotation_latency_seconds_count [1-9]/m),
      { timeoutMs: 10_000, what: 'the rotation latency observed' },
    );
    // A malformed message, so that the rotation events have a series by result (the alert that
    // fires on them is in the last part).
    await publishMalformed();
    await eventually(
      async () =>
        expect(await metricsText()).toMatch(
          /^secretsync_rotation_events_total\{[^}]*result="malformed"\} 1$/m,
        ),
      { timeoutMs: 30_000, what: 'a malformed event counted' },
    );
  }, 180_000);

  test("the controller's /metrics offers every metric the alerts and the dashboard read", async () => {
    const exprs = [...alertExpressions(), ...dashboardExpressions()];
    expect(unexported(exprs, exportedNames(await metricsText()))).toEqual([]);
  });

  test('Prometheus scrapes the controller', async () => {
    // Two scrapes at 1 s make rate() answer; 30 s is generous for a loaded machine.
    await eventually(
      async () => {
        const r = await prom!.api<{ result: unknown[] }>('query', {
          query: `count_over_time(up{job="${JOB}"}[1m]) >= 3`,
        });
        expect(r.result).toHaveLength(1);
      },
      { timeoutMs: 30_000, what: 'three scrapes of the controller' },
    );
  });

  test('every metric the expressions read has data, but those this scenario does not produce', async () => {
    const names = new Set(
      [...alertExpressions(), ...dashboardExpressions()].flatMap((e) => metricNames(e.expr)),
    );
    const missing: string[] = [];
    for (const n of names) {
      if (n in NOT_IN_SCENARIO) continue;
      const r = await prom!.api<{ result: unknown[] }>('query', { query: `count(${n}{job="${JOB}"})` });
      if (r.result.length === 0) missing.push(n);
    }
    expect(missing).toEqual([]);
  });

  test('every dashboard query evaluates, and returns data when its metrics have data', async () => {
    const noData: string[] = [];
    for (const e of dashboardExpressions()) {
      // Throws on a query Prometheus rejects.
      const r = await prom!.api<{ result: unknown[] }>('query', { query: asGrafanaSends(e.expr) });
      const needs = metricNames(e.expr);
      // histogram_quantile over the reconcile histogram and ratios need their inputs' rates.
      if (needs.some((n) => n in NOT_IN_SCENARIO)) continue;
      if (r.result.length === 0) noData.push(`${e.where}: ${e.expr}`);
    }
    expect(noData).toEqual([]);
  });

  test('Prometheus evaluates every alert without error; the failing ExternalSecret makes one pending', async () => {
    type Rule = {
      name: string;
      health: string;
      lastError?: string;
      evaluationTime: number;
      lastEvaluation: string;
    };
    const alerts = ruleGroups().flatMap((g) => g.rules.map((r) => r.alert));
    await eventually(
      async () => {
        const data = await prom!.api<{ groups: { rules: Rule[] }[] }>('rules', { type: 'alert' });
        const rules = data.groups.flatMap((g) => g.rules);
        expect(rules.map((r) => r.name).sort()).toEqual([...alerts].sort());
        for (const r of rules)
          expect({ name: r.name, health: r.health, error: r.lastError ?? '' }).toEqual({
            name: r.name,
            health: 'ok',
            error: '',
          });
      },
      { timeoutMs: 30_000, what: 'every alert evaluated' },
    );
    // The failing ExternalSecret's readiness gauge is 0 since its first reconcile: pending at the
    // next evaluation after a scrape (1 s each); 30 s leaves room for a loaded machine.
    await eventually(
      async () => {
        const data = await prom!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          'alerts',
        );
        expect(
          data.alerts
            .filter((a) => a.labels.job === JOB)
            .map((a) => `${a.labels.alertname} ${a.labels.externalsecret ?? ''} ${a.state}`),
        ).toContain('SecretSyncExternalSecretNotReady broken pending');
      },
      { timeoutMs: 30_000, what: 'SecretSyncExternalSecretNotReady pending for broken' },
    );
  }, 60_000);
});

// The alerts' `for` durations (5 to 30 minutes) are set to 0 here, so that what the controller
// exports makes them fire within the test; promtool test rules covers the durations. The
// controller and Prometheus above keep running (with the failing ExternalSecret and the paused
// Deployment); this adds what makes the others fire: an ExternalSecret reading through a store on a
// project that granted nothing (its reads are refused: provider errors), one whose template does not
// parse (TemplateError, never retried), a store whose credentials Secret does not exist (Ready=False
// InvalidProviderConfig), malformed rotation events, and a second replica that does not lead,
// scraped as its own job (no leader in that job), and a third controller, on a namespace of its
// own, whose ServiceAccount has the controller's permissions but Events: its Warning Events fail
// in the background (job no-events), and six replicas sharing a Lease of their own (job flap), of
// which five in turn stop while leading: the next takes over each time. Last, a controller with one
// worker reaching the apiserver through a proxy that delays every answer by 2 s is given ten
// ExternalSecrets at once: its queue holds them for tens of seconds (job backlog). Not fired here:
// SecretSyncRotationEventsStopped (needs a day without events after a week with some) and
// SecretSyncUnexpectedRejections (a bug): this scenario cannot cause them on demand.
describe('alerts fire on the running controller (for: 0s)', () => {
  let now: Prometheus | undefined;
  let standby: TestController | undefined;
  let noEvents: TestController | undefined;
  let noEventsNs: string | undefined;
  let flapNs: string | undefined;
  let toxi: Toxiproxy | undefined;
  let backlog: TestController | undefined;
  let backlogNs: string | undefined;
  const flap: TestController[] = [];
  const suffix = randomBytes(3).toString('hex');
  const denied = `denied-${suffix}`;
  const rbacName = `secretsync-no-events-${suffix}`;

  afterAll(async () => {
    await now?.stop();
    await standby?.stop();
    await noEvents?.stop();
    for (const c of flap) await c.stop(); // a second stop of a stopped one is a no-op
    if (flapNs) await deleteNamespace(flapNs);
    await backlog?.stop();
    await toxi?.stop();
    if (backlogNs) await deleteNamespace(backlogNs);
    const { rbac } = clients();
    const gone = () => undefined; // not created if the test failed before
    await rbac.deleteClusterRoleBinding({ name: rbacName }).catch(gone);
    await rbac.deleteClusterRole({ name: rbacName }).catch(gone);
    for (const role of ['secretsync-leader-election', 'secretsync-digest-key'])
      await rbac
        .deleteNamespacedRoleBinding({ name: `${rbacName}-${role}`, namespace: 'secretsync-system' })
        .catch(gone);
    if (noEventsNs) await deleteNamespace(noEventsNs);
  });

  /** A ServiceAccount of `namespace` with deploy/'s permissions but those on Events; its kubeconfig. */
  async function withoutEvents(namespace: string): Promise<KubeConfig> {
    const { core, rbac } = clients();
    const controllerRole = await rbac.readClusterRole({ name: 'secretsync-controller' });
    const rules = (controllerRole.rules ?? []).filter(
      (r: V1PolicyRule) => !(r.resources ?? []).includes('events'),
    );
    expect(rules.length).toBe((controllerRole.rules ?? []).length - 1);
    const subjects = [{ kind: 'ServiceAccount', name: 'no-events', namespace }];
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'no-events' } } });
    await rbac.createClusterRole({ body: { metadata: { name: rbacName }, rules } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: rbacName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacName },
        subjects,
      },
    });
    for (const role of ['secretsync-leader-election', 'secretsync-digest-key'])
      await rbac.createNamespacedRoleBinding({
        namespace: 'secretsync-system',
        body: {
          metadata: { name: `${rbacName}-${role}` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
          subjects,
        },
      });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'no-events',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const kc = newKubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'testbed', server: adminConfig().getCurrentCluster()!.server, skipTLSVerify: true }],
      users: [{ name: 'no-events', token: tr.status!.token }],
      contexts: [{ name: 'no-events', cluster: 'testbed', user: 'no-events' }],
      currentContext: 'no-events',
    });
    return kc;
  }

  /** An ExternalSecret of the no-events namespace that fails (a Warning Event on its first failure). */
  const failingInNoEvents = (name: string) =>
    createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name, namespace: noEventsNs },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake', kind: 'SecretStore' },
        data: [{ secretKey: 'x', remoteRef: { key: 'no-such-key' } }],
      },
    });

  test('NotReady (a TemplateError too), StoreNotReady, ProviderErrorRate, RolloutWaiting, RotationEventsRejected, NoLeader, BackgroundFailures, LeaderFlapping and QueueBacklog fire', async () => {
    const rules = join(scratch, 'rules-for-0s.yaml');
    writeFileSync(
      rules,
      stringify({
        groups: ruleGroups().map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: '0s' })) })),
      }),
    );
    standby = await startController(ns); // the same Lease as ctl: a follower
    noEventsNs = await createNamespace('monitoring-no-events');
    noEvents = await startController(noEventsNs, {}, { kubeConfig: await withoutEvents(noEventsNs) });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: noEventsNs },
      spec: { provider: { fake: { data: [] } } },
    });
    await failingInNoEvents('first');
    flapNs = await createNamespace('monitoring-flap');
    for (let i = 0; i < 6; i++) flap.push(await startController(flapNs));
    // One worker, the apiserver through a proxy (answers delayed later, once it has started).
    backlogNs = await createNamespace('monitoring-backlog');
    toxi = await startToxiproxy({ logDir: join(scratch, 'toxiproxy') });
    const direct = await controllerKubeConfig();
    const apiserver = await toxi.proxy('apiserver', new URL(direct.getCurrentCluster()!.server).host);
    const viaProxy = newKubeConfig();
    viaProxy.loadFromString(direct.exportConfig());
    viaProxy.loadFromOptions({
      ...viaProxy,
      clusters: viaProxy.clusters.map((c) => ({ ...c, server: `https://${apiserver.listen}` })),
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: backlogNs },
      spec: { provider: { fake: { data: [{ key: 'k', value: 'v' }] } } },
    });
    backlog = await startController(backlogNs, { concurrency: '1' }, { kubeConfig: viaProxy });
    now = await startPrometheus({
      dir: join(scratch, 'prometheus-for-0s'),
      targets: [
        { address: `127.0.0.1:${ctl!.metricsPort}`, labels: { job: JOB, namespace: 'secretsync-system' } },
        {
          address: `127.0.0.1:${standby.metricsPort}`,
          labels: { job: 'standby', namespace: 'secretsync-system' },
        },
        {
          address: `127.0.0.1:${noEvents.metricsPort}`,
          labels: { job: 'no-events', namespace: 'secretsync-system' },
        },
        ...flap.map((c) => ({
          address: `127.0.0.1:${c.metricsPort}`,
          labels: { job: 'flap', namespace: 'secretsync-system' },
        })),
        {
          address: `127.0.0.1:${backlog.metricsPort}`,
          labels: { job: 'backlog', namespace: 'secretsync-system' },
        },
      ],
      ruleFiles: [rules],
    });
    // The first Event refused is this Prometheus's starting point; a second failing ExternalSecret
    // (its first failure: one Warning Event) makes the failures grow.
    await scraped(
      now,
      'secretsync_background_failures_total{job="no-events", task="event"}',
      'the refused Event counted and scraped',
    );
    await failingInNoEvents('second');
    // The lease changes hands five times: every replica is scraped (the followers at 0), then the
    // leader, once scraped leading, stops and a follower takes over (a change of its gauge).
    await scraped(now, 'count(up{job="flap"} == 1) == 6', 'the six flap replicas scraped');
    const live = new Set(flap);
    for (let round = 0; round < 5; round++) {
      const leader = await eventually(
        async () => {
          let found: TestController | undefined;
          for (const c of live) {
            // A replica that stopped on its own (a lease lost on a loaded machine) serves nothing.
            const text = await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`).then(
              (r) => r.text(),
              () => '',
            );
            if (/^secretsync_leader 1$/m.test(text)) found = c;
          }
          expect(found).toBeDefined();
          return found!;
        },
        // A follower takes over a released Lease within a retry period (500 ms); the first leader
        // was elected within its lease duration (15 s).
        { timeoutMs: 30_000, what: `a flap leader (round ${round})` },
      );
      await scraped(
        now,
        `secretsync_leader{job="flap", instance="127.0.0.1:${leader.metricsPort}"} == 1`,
        `the flap leader scraped leading (round ${round})`,
      );
      await leader.stop();
      live.delete(leader);
    }
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'denied', namespace: ns },
      spec: { provider: { gcpsm: { projectID: denied } } },
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'denied', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'denied', kind: 'SecretStore' },
        data: [{ secretKey: 'x', remoteRef: { key: 'anything' } }],
      },
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'template', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake', kind: 'SecretStore' },
        target: { name: 'template', template: { data: { x: '{{ .password | nosuchfunc }}' } } },
        data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
      },
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'no-key', namespace: ns },
      spec: {
        provider: {
          gcpsm: {
            projectID: project,
            auth: { secretRef: { secretAccessKeySecretRef: { name: 'no-such-secret', key: 'key.json' } } },
          },
        },
      },
    });
    // Rotation events: the malformed one counted above is this Prometheus's starting point; two
    // more make most of the window's events malformed.
    await scraped(
      now,
      `secretsync_rotation_events_total{job="${JOB}", result="malformed"}`,
      'the malformed events scraped',
    );
    await publishMalformed();
    await publishMalformed();
    await eventually(async () => expect(ready(await readEs(ns, 'template')).reason).toBe('TemplateError'), {
      timeoutMs: 30_000,
      what: 'the template ExternalSecret failed',
    });
    await eventually(
      async () =>
        expect(await storeCondition(ns, 'no-key')).toMatchObject({
          status: 'False',
          reason: 'InvalidProviderConfig',
        }),
      { timeoutMs: 30_000, what: 'the no-key store not Ready' },
    );
    // Each needs a scrape or two (growing counters: the denied ExternalSecret retries after about
    // 1 s, 2 s, 4 s …) and one evaluation: seconds; 60 s leaves room for a loaded machine.
    const want = [
      `SecretSyncExternalSecretNotReady ${JOB} broken`,
      `SecretSyncExternalSecretNotReady ${JOB} template`,
      `SecretSyncStoreNotReady ${JOB} no-key`,
      `SecretSyncProviderErrorRate ${JOB} gcpsm`,
      `SecretSyncRolloutWaiting ${JOB} paused`,
      `SecretSyncRotationEventsRejected ${JOB} pubsub`,
      'SecretSyncNoLeader standby',
      'SecretSyncBackgroundFailures no-events event',
      'SecretSyncLeaderFlapping flap',
    ];
    await eventually(
      async () => {
        const data = await now!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          'alerts',
        );
        const firing = data.alerts
          .filter((a) => a.state === 'firing')
          .map((a) => {
            const l = a.labels;
            const what = l.externalsecret ?? l.store ?? l.workload ?? l.source ?? l.provider ?? l.task;
            return [l.alertname, l.job, what].filter(Boolean).join(' ');
          });
        expect(firing).toEqual(expect.arrayContaining(want));
      },
      { timeoutMs: 60_000, what: want.join(', ') },
    );

    // The backlog: every answer of the apiserver 2 s late, then ten ExternalSecrets at once (made
    // directly). Each sync waits for at least two answers (the Secret, the status), so the one
    // worker holds the others in the queue for about 40 s; its depth is reported every 2 s, scraped
    // and evaluated every second.
    await apiserver.addToxic({ type: 'latency', attributes: { latency: 2000 } });
    for (let i = 0; i < 10; i++)
      await createObject({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: `es-${i}`, namespace: backlogNs },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { name: 'fake', kind: 'SecretStore' },
          data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
        },
      });
    await eventually(
      async () => {
        const data = await now!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          'alerts',
        );
        expect(
          data.alerts
            .filter((a) => a.state === 'firing' && a.labels.alertname === 'SecretSyncQueueBacklog')
            .map((a) => `${a.labels.job} ${a.labels.controller}`),
        ).toContain('backlog externalsecret');
      },
      // The watch events arrive 2 s late, then a depth report, a scrape and an evaluation (4 s).
      { timeoutMs: 30_000, what: 'SecretSyncQueueBacklog backlog externalsecret' },
    );
  }, 240_000);

  test('every dashboard query returns data against the controllers of both parts', async () => {
    // `now` scrapes the first part's controller and this part's: every metric has data here.
    const noData: string[] = [];
    for (const e of dashboardExpressions()) {
      const r = await now!.api<{ result: unknown[] }>('query', { query: asGrafanaSends(e.expr) });
      if (r.result.length === 0) noData.push(`${e.where}: ${e.expr}`);
    }
    expect(noData).toEqual([]);
  });
});
