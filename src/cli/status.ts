// `secretsync status [-n ns]`: a table of ExternalSecrets with the reason of their Ready condition,
// read straight from the API server — what `kubectl get es` shows, plus the message that says what
// to fix; cluster-wide, the ClusterExternalSecrets after it.
import { Command } from 'commander';
import type { ClusterExternalSecret, ExternalSecret } from '../api/generated';
import { ANNOTATION, DEFAULTS } from '../api/constants';
import { kubeRequest } from '../kube/request';
import { resourcePath } from '../kube/resources';
import { connect, esPath, explainApiError, type KubeFlags } from './kube';

export interface StatusRow {
  namespace: string;
  name: string;
  store: string;
  refresh: string;
  reason: string;
  ready: string;
  lastSync: string;
  message: string;
}

/** kubectl-style age: 45s, 5m12s, 42m, 5h12m, 30h, 3d4h, 20d. */
export function age(fromMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - fromMs) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  return `${d}d`;
}

const STORE_SHORT = { SecretStore: 'ss', ClusterSecretStore: 'css' } as const;

export function toRow(es: ExternalSecret, nowMs: number): StatusRow {
  const ready = es.status?.conditions?.find((c) => c.type === 'Ready');
  const ref = es.spec?.secretStoreRef;
  const kind = (ref?.kind ?? DEFAULTS.storeRefKind) as keyof typeof STORE_SHORT;
  const schedule = es.metadata?.annotations?.[ANNOTATION.refreshSchedule];
  const refreshTime = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : NaN;
  return {
    namespace: es.metadata?.namespace ?? '',
    name: es.metadata?.name ?? '',
    store: ref?.name ? `${STORE_SHORT[kind] ?? kind}/${ref.name}` : '<per entry>',
    refresh: schedule ? `cron ${schedule}` : (es.spec?.refreshInterval ?? DEFAULTS.refreshInterval),
    reason: ready?.reason ?? '<pending>',
    ready: ready?.status ?? 'Unknown',
    lastSync: Number.isFinite(refreshTime) ? `${age(refreshTime, nowMs)} ago` : '<never>',
    message: (ready?.message ?? '').replace(/\s*\n\s*/g, ' '),
  };
}

const HEADERS: Record<keyof StatusRow, string> = {
  namespace: 'NAMESPACE',
  name: 'NAME',
  store: 'STORE',
  refresh: 'REFRESH',
  reason: 'STATUS',
  ready: 'READY',
  lastSync: 'LAST SYNC',
  message: 'MESSAGE',
};

/** Aligned columns, kubectl style; the message (last column) is cut at `maxMessage` characters. */
export function formatTable(
  rows: StatusRow[],
  opts: { namespace?: boolean; maxMessage?: number } = {},
): string {
  const cols = (Object.keys(HEADERS) as (keyof StatusRow)[]).filter(
    (c) => c !== 'namespace' || opts.namespace !== false,
  );
  const cut = (s: string) =>
    opts.maxMessage !== undefined && s.length > opts.maxMessage ? `${s.slice(0, opts.maxMessage - 1)}…` : s;
  return align([
    cols.map((c) => HEADERS[c]),
    ...rows.map((r) => cols.map((c) => (c === 'message' ? cut(r[c]) : r[c]))),
  ]);
}

/** Rows of cells as aligned columns; the last column is not padded. */
function align(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** ClusterExternalSecrets: the ExternalSecret's name, how many namespaces hold it, which failed, Ready. */
export function formatClusterTable(items: ClusterExternalSecret[], maxMessage?: number): string {
  const cut = (s: string) =>
    maxMessage !== undefined && s.length > maxMessage ? `${s.slice(0, maxMessage - 1)}…` : s;
  return align([
    ['CLUSTEREXTERNALSECRET', 'EXTERNALSECRET', 'NAMESPACES', 'FAILED', 'READY', 'MESSAGE'],
    ...items.map((c) => {
      const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
      const failed = (c.status?.failedNamespaces ?? []).map((f) => f.namespace);
      return [
        c.metadata?.name ?? '',
        c.status?.externalSecretName ?? c.spec.externalSecretName ?? c.metadata?.name ?? '',
        String(c.status?.provisionedNamespaces?.length ?? 0),
        failed.length > 0 ? failed.join(',') : '-',
        ready?.status ?? 'Unknown',
        cut((ready?.message ?? '').replace(/\s*\n\s*/g, ' ')),
      ];
    }),
  ]);
}

/** The cluster's ClusterExternalSecrets by name; none when they cannot be listed (not installed, not allowed). */
async function listClusterExternalSecrets(
  kc: Awaited<ReturnType<typeof connect>>,
): Promise<ClusterExternalSecret[]> {
  try {
    const list = await kubeRequest<{ items?: ClusterExternalSecret[] }>(kc, {
      path: resourcePath('ClusterExternalSecret'),
      timeoutMs: 30_000,
    });
    return [...(list.items ?? [])].sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    );
  } catch {
    return [];
  }
}

export interface StatusFlags extends KubeFlags {
  namespace?: string;
  wide?: boolean;
}

export async function runStatus(flags: StatusFlags, out: (s: string) => void = console.log): Promise<number> {
  const kc = await connect(flags);
  let list: { items?: ExternalSecret[] };
  try {
    list = await kubeRequest<{ items?: ExternalSecret[] }>(kc, {
      path: esPath(flags.namespace),
      timeoutMs: 30_000,
    });
  } catch (err) {
    throw explainApiError(err, 'listing ExternalSecrets');
  }
  const items = [...(list.items ?? [])].sort((a, b) =>
    `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
      `${b.metadata?.namespace}/${b.metadata?.name}`,
    ),
  );
  // Cluster-wide, the ClusterExternalSecrets follow the table.
  const clusterWide = flags.namespace === undefined ? await listClusterExternalSecrets(kc) : [];
  const showClusterWide = () => {
    if (clusterWide.length > 0) out(`\n${formatClusterTable(clusterWide, flags.wide ? undefined : 80)}`);
  };
  if (items.length === 0) {
    out(
      flags.namespace
        ? `No ExternalSecrets in namespace ${flags.namespace}.`
        : 'No ExternalSecrets in the cluster.',
    );
    showClusterWide();
    return 0;
  }
  const now = Date.now();
  const rows = items.map((es) => toRow(es, now));
  out(
    formatTable(rows, { namespace: flags.namespace === undefined, maxMessage: flags.wide ? undefined : 80 }),
  );
  const notReady = rows.filter((r) => r.ready !== 'True').length;
  out(
    `\n${rows.length} ExternalSecret${rows.length === 1 ? '' : 's'}: ${rows.length - notReady} ready, ${notReady} not ready`,
  );
  showClusterWide();
  return 0;
}

export function registerStatus(program: Command): Command {
  return program
    .command('status')
    .description('list ExternalSecrets with their store, refresh, Ready reason, last sync and message')
    .option('-n, --namespace <ns>', 'only this namespace (default: all namespaces)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config)')
    .option('-w, --wide', 'do not shorten messages')
    .addHelpText(
      'after',
      `
Columns: STORE is ss/<SecretStore> or css/<ClusterSecretStore>; REFRESH the refreshInterval (or the
secretsync.io/refresh-schedule cron); STATUS the reason of the Ready condition (SecretSynced,
RemoteKeyNotFound, ProviderAuthFailed, StoreNotFound, ...; see docs/troubleshooting.md); LAST SYNC the
age of status.refreshTime. Without -n, the ClusterExternalSecrets follow: the ExternalSecret each creates,
how many namespaces hold it, the namespaces that failed, and Ready.`,
    )
    .action(async (flags: StatusFlags) => {
      process.exitCode = await runStatus(flags);
    });
}
