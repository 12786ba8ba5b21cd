// The expressions of deploy/monitoring (alerts and the Grafana dashboard) and the metric names they
// read, so that tests can check each against what the controller exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const repo = join(__dirname, '..', '..');
export const monitoringDir = join(repo, 'deploy', 'monitoring');

export interface Expression {
  /** Where it comes from, e.g. `alert SecretSyncNoLeader` or `panel "CPU" A`. */
  where: string;
  expr: string;
}

export interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> }[];
}

/** spec.groups of deploy/monitoring/prometheusrule.yaml: a Prometheus rules file's `groups`. */
export function ruleGroups(): RuleGroup[] {
  const doc = parseYaml(readFileSync(join(monitoringDir, 'prometheusrule.yaml'), 'utf8')) as {
    spec: { groups: RuleGroup[] };
  };
  return doc.spec.groups;
}

export function alertExpressions(): Expression[] {
  return ruleGroups().flatMap((g) =>
    g.rules.map((r) => ({ where: `alert ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

type Panel = { title?: string; panels?: Panel[]; targets?: { refId: string; expr?: string }[] };

export function dashboard(): {
  panels: Panel[];
  templating: { list: { name: string; definition?: string }[] };
} {
  return JSON.parse(readFileSync(join(monitoringDir, 'grafana-dashboard.json'), 'utf8')) as ReturnType<
    typeof dashboard
  >;
}

export function dashboardExpressions(): Expression[] {
  const d = dashboard();
  const out: Expression[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? [])
        if (t.expr) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const v of d.templating.list) {
    // label_values(<selector>, <label>): the selector is an expression too.
    const m = v.definition?.match(/^label_values\((.*),\s*\w+\)$/);
    if (m) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

/**
 * Grafana's variables replaced by what Grafana sends when "All" is selected, so that Prometheus
 * can evaluate a panel's query as Grafana would.
 */
export function asGrafanaSends(expr: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$job', '.+')
    .replaceAll('$namespace', '.+');
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects. A small lexer rather than a parser: strings, label
 * matchers `{…}`, ranges `[…]` and the label lists of by/without/on/ignoring/group_* are removed;
 * what remains is function names (followed by `(`), keywords, numbers and metric names.
 */
export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice(m.index + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function
    if (FUNCTIONS_AND_KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\d/.test(word)) continue;
    // A number's exponent or unit (1e3, 5m) is preceded by a digit.
    const before = s[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(word);
  }
  return [...names].sort();
}

/**
 * Sample names a Prometheus text exposition offers: every `# TYPE` family (with _bucket, _sum and
 * _count for histograms and _sum/_count for summaries, even before their first sample) and every
 * sample line.
 */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\S+)/);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** `where: name` for each metric an expression reads that the exposition does not offer. */
export function unexported(exprs: Expression[], exported: Set<string>): string[] {
  return exprs.flatMap((e) =>
    metricNames(e.expr)
      .filter((n) => !exported.has(n))
      .map((n) => `${e.where}: ${n}`),
  );
}
