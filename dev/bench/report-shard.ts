// Renders the shard scenario: one column per run (1 replica without --sharding, R replicas with
// it), then one row per replica with its share, memory, CPU and writes.
import type { WriteCounts } from './audit';
import type { ShardResult, ShardRunResult } from './shard';
import { fmt, MB } from './util';

const all = (w: WriteCounts) => w.secrets + w.status + w.events + w.deployments;

function cpuOf(r: ShardRunResult, prefix: string): number | undefined {
  if (!r.machine) return undefined;
  return r.machine.byComponent.filter(([name]) => name.startsWith(prefix)).reduce((a, [, s]) => a + s, 0);
}

export function shardTables(s: ShardResult): string {
  const rows: [string, (r: ShardRunResult) => string][] = [
    ['all Ready after (s, from the first replica spawned)', (r) => fmt(r.convergeS)],
    ['… ExternalSecrets Ready per second', (r) => fmt(r.convergeS ? s.n / r.convergeS : undefined, 0)],
    ['Ready at the end', (r) => fmt(r.ready)],
    ['Secrets present after the run', (r) => fmt(r.secrets)],
    [
      'replica processes that exited on their own (restarted after 10 s, as a pod)',
      (r) => fmt(r.replicaResults.reduce((a, x) => a + (x.restarts ?? 0), 0)),
    ],
    [
      'replica start → informers synced (s, slowest replica)',
      (r) => fmt(Math.max(...r.replicaResults.map((x) => x.syncedS ?? NaN))),
    ],
    [
      'peak RSS per replica, VmHWM (MB, largest)',
      (r) => fmt(Math.max(...r.replicaResults.map((x) => x.peakRss / MB)), 0),
    ],
    [
      'peak RSS, all replicas together (MB)',
      (r) =>
        fmt(
          r.replicaResults.reduce((a, x) => a + x.peakRss / MB, 0),
          0,
        ),
    ],
    [
      'controller CPU s to converge, all replicas',
      (r) => fmt(r.replicaResults.reduce((a, x) => a + x.cpuS, 0)),
    ],
    [
      'controller CPU s to converge, busiest replica',
      (r) => fmt(Math.max(...r.replicaResults.map((x) => x.cpuS))),
    ],
    ['apiserver writes (audit, all replicas)', (r) => fmt(all(r.writes))],
    ['… Secret writes', (r) => fmt(r.writes.secrets)],
    ['… ExternalSecret status writes', (r) => fmt(r.writes.status)],
    ['… Event writes', (r) => fmt(r.writes.events)],
    ['… refused (conflicts etc.)', (r) => fmt(r.writes.failed)],
    ['apiserver writes per ExternalSecret', (r) => fmt(all(r.writes) / s.n, 2)],
    ['shard label patches by the sharder (not in the writes above)', (r) => fmt(r.labelPatches)],
    [
      '… writes per ExternalSecret with them',
      (r) => fmt(r.labelPatches === undefined ? undefined : (all(r.writes) + r.labelPatches) / s.n, 2),
    ],
    ['objects written by two replicas', (r) => fmt(r.shared.length)],
    ['objects two replicas tried to write (refused included)', (r) => fmt(r.sharedAttempts.length)],
    ['machine CPU busy, start → all Ready (cores)', (r) => fmt(r.machine?.busyCores, 2)],
    ...[
      'kube-apiserver',
      'etcd',
      'controller',
      'benchmark',
      'kube-controller-manager',
      'other processes',
    ].map(
      (c) =>
        [`… CPU s of ${c}`, (r: ShardRunResult) => fmt(cpuOf(r, c))] as [
          string,
          (r: ShardRunResult) => string,
        ],
    ),
    ['ExternalSecrets created in (s; before any controller starts, not counted)', (r) => fmt(r.createdS)],
  ];
  const head = ['figure', ...s.runs.map((r) => r.label)];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`,
    ...rows.map(([label, get]) => `| ${label} | ${s.runs.map(get).join(' | ')} |`),
  ];
  const per = [
    '| run | replica | leader | restarts | ExternalSecrets synced (Secrets it wrote) | share of N | namespaces written in | informers synced (s) | peak RSS (MB) | CPU s to converge | CPU s to the end | Secret / status / Event writes | refused | writes elsewhere |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of s.runs)
    for (const x of r.replicaResults)
      per.push(
        `| ${r.label} | ${x.identity} | ${x.leader ? 'yes' : 'no'} | ${x.restarts ?? 0} | ${x.secretObjects} | ${fmt((100 * x.secretObjects) / s.n, 1)} % | ${x.namespaces} | ${fmt(x.syncedS)} | ${fmt(x.peakRss / MB, 0)} | ${fmt(x.cpuS)} | ${fmt(x.cpuEndS)} | ${x.writes.secrets} / ${x.writes.status} / ${x.writes.events} | ${x.writes.failed} | ${x.outside} |`,
      );
  const notReady = s.runs.flatMap((r) =>
    Object.entries(r.notReady).map(([reason, c]) => `- ${r.label}: ${c} not Ready at the end (${reason})`),
  );
  return [
    `### Sharding: N=${s.n} ExternalSecrets over ${s.namespaces} namespaces (fake provider, no workloads)\n`,
    lines.join('\n') + '\n',
    'Per replica:\n',
    per.join('\n') + '\n',
    ...(notReady.length ? [notReady.join('\n') + '\n'] : []),
  ].join('\n');
}

export function shardMethod(s: ShardResult): string[] {
  return [
    `- Sharding (\`--scenarios shard\`): N=${s.n} ExternalSecrets, ExternalSecret i in namespace i mod ${s.namespaces},`,
    `  each namespace with a SecretStore of the \`fake\` provider holding ${s.keys} keys (ExternalSecret i reads key i mod ${s.keys});`,
    '  no workloads, so the rollout side has nothing to do. Each run starts from the same state: the previous run’s',
    '  ExternalSecrets and Secrets are deleted, the N ExternalSecrets are created with no controller running (not',
    '  counted), then the replicas are spawned at once and timed until all N are Ready (watched by the benchmark); the',
    '  Secrets are listed after the run. Replicas run what ships (leader election on, default lease timing: 15 s lease,',
    `  2 s retry period), ${s.concurrency} workers each, watching every namespace; "1 replica, no --sharding" is the default`,
    '  deployment, "R replicas, --sharding" adds `--sharding` (a ring of R Leases, keyed by namespace). Each replica',
    '  runs as its own ServiceAccount bound to the same roles as `secretsync` (deploy/ plus the sharding component), so',
    '  that the audit log names the replica behind each write; writes are counted in the run’s namespaces from the',
    `  first spawn until ${s.quietS} s after all are Ready (late or duplicate writes included). Peak RSS is VmHWM at the`,
    '  end; CPU seconds are the process’s user + system time from /proc.',
  ];
}
