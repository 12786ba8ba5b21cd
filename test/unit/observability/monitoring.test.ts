// deploy/monitoring's alerts and dashboard read only metrics the controller exports (those its
// Metrics registry declares, prom-client's process metrics included); each alert has a severity,
// a summary and a runbook that exists in docs/troubleshooting.md. The same check against a running
// controller's /metrics, and Prometheus evaluating each expression, are in
// test/integration/ship/monitoring.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '../../../src/observability/metrics';
import {
  alertExpressions,
  asGrafanaSends,
  dashboardExpressions,
  exportedNames,
  metricNames,
  ruleGroups,
  unexported,
} from '../../support/monitoring';

const repo = join(__dirname, '..', '..', '..');

describe('metricNames', () => {
  test.each([
    ['secretsync_leader', ['secretsync_leader']],
    ['max by (job, namespace) (secretsync_leader) == 0', ['secretsync_leader']],
    [
      'sum by (job) (increase(secretsync_externalsecret_syncs_total{result="error", job=~"a|b"}[6m])) > 0',
      ['secretsync_externalsecret_syncs_total'],
    ],
    [
      'histogram_quantile(0.95, sum by (le, controller) (rate(secretsync_reconcile_duration_seconds_bucket[5m])))',
      ['secretsync_reconcile_duration_seconds_bucket'],
    ],
    ['a / on (job) group_left (pod) b > 1e3', ['a', 'b']],
    ['sum(x) unless ignoring (pod) y offset 5m', ['x', 'y']],
    ['vector(1) and absent(z{a="sum(w)"})', ['z']],
  ])('%s', (expr, names) => expect(metricNames(expr)).toEqual(names));
});

test('a metric the controller does not export is reported, naming the expression', () => {
  const exported = exportedNames('# TYPE secretsync_leader gauge\nsecretsync_leader 1\n');
  expect(
    unexported(
      [
        { where: 'alert Ok', expr: 'max(secretsync_leader) == 0' },
        { where: 'alert Typo', expr: 'rate(secretsync_leaders_total[5m]) > 0' },
      ],
      exported,
    ),
  ).toEqual(['alert Typo: secretsync_leaders_total']);
});

test('every metric the alerts and the dashboard read is declared by the controller', async () => {
  const exposition = await new Metrics().registry.metrics();
  const exprs = [...alertExpressions(), ...dashboardExpressions()];
  expect(exprs.length).toBeGreaterThan(20);
  expect(unexported(exprs, exportedNames(exposition))).toEqual([]);
  // Grafana's variables do not change which metrics a query reads.
  for (const e of exprs) expect(metricNames(asGrafanaSends(e.expr))).toEqual(metricNames(e.expr));
});

test('every alert has a severity, a summary, a duration and a runbook in docs/troubleshooting.md', () => {
  const doc = readFileSync(join(repo, 'docs', 'troubleshooting.md'), 'utf8');
  // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
  const anchors = new Set(
    [...doc.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  const alerts = ruleGroups().flatMap((g) => g.rules);
  expect(alerts.length).toBeGreaterThanOrEqual(8);
  for (const r of alerts as {
    alert: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }[]) {
    expect({ alert: r.alert, severity: r.labels?.severity }).toEqual({
      alert: r.alert,
      severity: expect.stringMatching(/^(critical|warning|info)$/),
    });
    expect(r.annotations?.summary).toBeTruthy();
    expect(r.for).toMatch(/^\d+[smh]$/);
    const runbook = r.annotations?.runbook ?? '';
    expect(runbook).toBe(`docs/troubleshooting.md#${r.alert.toLowerCase()}`);
    expect({ alert: r.alert, documented: anchors.has(r.alert.toLowerCase()) }).toEqual({
      alert: r.alert,
      documented: true,
    });
  }
});
