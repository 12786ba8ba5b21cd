// `secretsync status [-n ns]`: a table of ExternalSecrets with the reason of their Ready condition,
// read straight from the API server — what `kubectl get es` shows, plus the message that says what
// to fix.
import { Command } from 'commander';
import type { ExternalSecret } from '../api/generated';
import { ANNOTATION, DEFAULTS } from '../api/constants';
import { kubeRequest } from '../kube/request';
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
  const cells = [
    cols.map((c) => HEADERS[c]),
    ...rows.map((r) => cols.map((c) => (c === 'message' ? cut(r[c]) : r[c]))),
  ];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
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
  if (items.length === 0) {
    out(
      flags.namespace
        ? `No ExternalSecrets in namespace ${flags.namespace}.`
        : 'No ExternalSecrets in the cluster.',
    );
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
age of status.refreshTime.`,
    )
    .action(async (flags: StatusFlags) => {
      process.exitCode = await runStatus(flags);
    });
}
