// deploy/monitoring against the real thing, with Prometheus and promtool built from their Go module:
// - `promtool check rules` and `promtool test rules` (deploy/monitoring/rules.test.yaml: each alert
//   fires once on synthetic series, and a near miss does not);
// - a running controller's /metrics offers every metric an alert or dashboard expression reads;
// - Prometheus scrapes that controller while it syncs one ExternalSecret, fails another (a key the
//   store does not have) and rolls a Deployment, loads the alerts and evaluates them without error
//   (the failing ExternalSecret puts SecretSyncExternalSecretSyncFailing into pending), and every
//   dashboard query evaluates; those whose metrics this scenario produces return data.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePrometheus } from '../../../dev/testbed/install';
import { startPrometheus, type Prometheus } from '../../../dev/testbed/prometheus';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { startController, type TestController } from '../../support/controller';
import { createObject, decoded, patchMerge, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { run } from '../../support/helm';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
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
  secretsync_rotation_events_total: 'no rotation-event source here (test/integration/events)',
  secretsync_background_failures_total: 'nothing fails in the background (test/unit/observability)',
  secretsync_provider_reads_shared_total:
    'no two reads of one key overlap here (test/integration/externalsecret)',
};

const scratch = mkdtempSync(join(tmpdir(), 'ship-monitoring-'));
const project = `monitoring-${randomBytes(3).toString('hex')}`;
const sm = gcpSecretManager();
let tools: { prometheus: string; promtool: string };
let ns: string;
let ctl: TestController | undefined;
let prom: Prometheus | undefined;
let brokenCreatedAt = 0;
const rulesFile = join(scratch, 'rules.yaml');

const metricsText = async () => (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text();

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
    ctl = await startController(ns);
    // A Secret Manager store (the emulator): its validation and reads are provider calls.
    await grantGcp(project, 'roles/secretmanager.secretAccessor');
    await putGcpVersion(sm, project, 'api-token', 'v1');
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'gcp', namespace: ns },
      spec: { provider: { gcpsm: { projectID: project } } },
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'api', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp', kind: 'SecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'api-token' } }],
      },
    });
    // A fake store: its data is the store spec, so a new value is one patch (for the rollout).
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: ns },
      spec: { provider: { fake: { data: [{ key: 'db', value: 'v1' }] } } },
    });
    brokenCreatedAt = Date.now();
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
    await eventually(
      async () => {
        const d = await clients().apps.readNamespacedDeployment({ name: 'app', namespace: ns });
        expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeTruthy();
      },
      { timeoutMs: 30_000, what: 'the Deployment recorded' },
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
    expect(ready(await readEs(ns, 'broken')).reason).toBe('RemoteKeyNotFound');
    await eventually(async () => expect(ready(await readEs(ns, 'api')).status).toBe('True'), {
      timeoutMs: 30_000,
      what: 'the Secret Manager ExternalSecret synced',
    });
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

  test(
    'Prometheus evaluates every alert without error; the failing ExternalSecret makes one pending',
    async () => {
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
      // RemoteKeyNotFound is retried with backoff from about 1 s, doubling (up to 5 min): the next
      // retry, which Prometheus sees as an increase, comes at most as long after the last one as the
      // time since the first failure, plus a scrape and an evaluation (1 s each).
      await eventually(
        async () => {
          const data = await prom!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
            'alerts',
          );
          expect(
            data.alerts.filter((a) => a.labels.job === JOB).map((a) => `${a.labels.alertname} ${a.state}`),
          ).toContain('SecretSyncExternalSecretSyncFailing pending');
        },
        {
          timeoutMs: 2 * (Date.now() - brokenCreatedAt) + 10_000,
          what: 'SecretSyncExternalSecretSyncFailing pending',
        },
      );
      // The backoff caps at 5 minutes, so the wait above is bounded by about 10 minutes.
    },
    11 * 60_000,
  );
});

// The alerts' `for` durations (5 to 15 minutes) are set to 0 here, so that what the controller
// exports makes them fire within the test; promtool test rules covers the durations. The
// controller and Prometheus above keep running; this adds what makes three alerts fire: an
// ExternalSecret reading through a store on a project that granted nothing (its reads are refused:
// provider errors, sync errors), and a second replica that does not lead, scraped as its own job
// (no leader in that job). The other alerts need hours of data (rotation events stopped), a crash
// loop (leader flapping), or failures this scenario cannot cause on demand: a store failing
// validation (Secret Manager's PERMISSION_DENIED on the list call is a note, not a failure; an
// unreachable endpoint or refused credentials would be), background failures, unhandled
// rejections, a queue that does not drain.
describe('alerts fire on the running controller (for: 0s)', () => {
  let now: Prometheus | undefined;
  let standby: TestController | undefined;
  const denied = `denied-${randomBytes(3).toString('hex')}`;

  afterAll(async () => {
    await now?.stop();
    await standby?.stop();
  });

  test('SyncFailing, ProviderErrorRate and NoLeader fire', async () => {
    const rules = join(scratch, 'rules-for-0s.yaml');
    writeFileSync(
      rules,
      stringify({
        groups: ruleGroups().map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: '0s' })) })),
      }),
    );
    standby = await startController(ns); // the same Lease as ctl: a follower
    now = await startPrometheus({
      dir: join(scratch, 'prometheus-for-0s'),
      targets: [
        { address: `127.0.0.1:${ctl!.metricsPort}`, labels: { job: JOB, namespace: 'secretsync-system' } },
        {
          address: `127.0.0.1:${standby.metricsPort}`,
          labels: { job: 'standby', namespace: 'secretsync-system' },
        },
      ],
      ruleFiles: [rules],
    });
    const store = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'denied', namespace: ns },
      spec: { provider: { gcpsm: { projectID: denied } } },
    };
    await createObject(store);
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
    // Each needs two scrapes apart of a growing counter (the new ExternalSecret retries after
    // about 1 s, 2 s, 4 s …) and one evaluation: seconds; 60 s leaves room for a loaded machine.
    const want = [
      `SecretSyncExternalSecretSyncFailing ${JOB}`,
      `SecretSyncProviderErrorRate ${JOB} gcpsm`,
      'SecretSyncNoLeader standby',
    ];
    await eventually(
      async () => {
        const data = await now!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          'alerts',
        );
        const firing = data.alerts
          .filter((a) => a.state === 'firing')
          .map((a) => [a.labels.alertname, a.labels.job, a.labels.provider].filter(Boolean).join(' '));
        expect(firing).toEqual(expect.arrayContaining(want));
      },
      { timeoutMs: 60_000, what: want.join(', ') },
    );
  });
});
