// Flags and environment → one typed, validated Config for the controller process.
import { hostname } from 'node:os';
import { DurationError, parseDuration } from '../gocompat/duration';
import { LabelSelectorError, parseLabelSelector, type ParsedLabelSelector } from './label-selector';

export interface Config {
  kubeconfig?: string;
  namespace?: string;
  controllerClass?: string;
  concurrency: number;
  metricsPort: number;
  bindAddress: string;
  logLevel: string;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  identity: string;
  /** --sharding: every replica reconciles its share of namespaces (docs/reference.md, "Sharding"). */
  sharding: { enabled: boolean; ring: string };
  /** Minimum time between two rollouts of one workload, unless its pause-period says otherwise (--rollout-debounce). */
  rolloutDebounceMs: number;
  /** Restarts in flight at once, cluster-wide (--max-concurrent-rollouts); 0: unlimited. */
  maxConcurrentRollouts: number;
  /** How long a rollout counts against that limit at most without completing (--rollout-progress-timeout). */
  rolloutProgressTimeoutMs: number;
  /** `planned` (shared fetches, batching, version tags) or `naive` (one call per entry, as ESO). */
  fetchPlan: 'planned' | 'naive';
  /** The Secret holding the key of the digests written on workloads: in the controller's namespace. */
  digestKeySecret: { namespace: string; name: string };
  /** status.refreshTime moves at least this often when nothing changes; 0: every refresh (ESO). */
  refreshTimeHeartbeatMs: number;
  /** Reloader's command-line filters (docs/reference.md, "Reloader's flags"). */
  rolloutSelection: RolloutFlags;
}

/** Reloader's flags that change which workloads, objects and events count. */
export interface RolloutFlags {
  /** --auto-reload-all: workloads without an auto annotation count as `reloader.stakater.com/auto: "true"`. */
  autoReloadAll: boolean;
  /** --reload-on-create / --reload-on-delete: an optional reference appearing / going away restarts. */
  onCreate: boolean;
  onDelete: boolean;
  /** --resources-to-ignore: Secret and/or ConfigMap. */
  ignoreKinds: ('Secret' | 'ConfigMap')[];
  /** --namespaces-to-ignore. */
  ignoreNamespaces: Set<string>;
  /** --ignored-workload-types, as kind names (Deployment, Job, …). */
  ignoreWorkloadKinds: string[];
  /** --namespace-selector: only workloads in namespaces with these labels. */
  namespaceSelector?: ParsedLabelSelector;
  /** --resource-label-selector: only Secrets and ConfigMaps with these labels roll anything. */
  resourceSelector?: ParsedLabelSelector;
}

/** --ignored-workload-types values (Reloader's `jobs`, `cronjobs`, and the other kinds). */
export const WORKLOAD_TYPE_NAMES: Readonly<Record<string, string>> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
  rollouts: 'Rollout',
};

export interface RawFlags {
  kubeconfig?: string;
  namespace?: string;
  controllerClass?: string;
  concurrency?: string;
  metricsPort?: string;
  bindAddress?: string;
  logLevel?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  sharding?: boolean;
  shardRing?: string;
  rolloutDebounce?: string;
  maxConcurrentRollouts?: string;
  rolloutProgressTimeout?: string;
  fetchPlan?: string;
  digestKeySecret?: string;
  refreshTimeHeartbeat?: string;
  autoReloadAll?: string | boolean;
  reloadOnCreate?: string | boolean;
  reloadOnDelete?: string | boolean;
  resourcesToIgnore?: string;
  namespacesToIgnore?: string;
  ignoredWorkloadTypes?: string;
  namespaceSelector?: string;
  resourceLabelSelector?: string;
}

export class ConfigError extends Error {}

function int(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`--${name} must be a whole number in ${min}..${max}, got "${v}"`);
  return n;
}

/** A flag's duration, parsed as every other duration in the product: a Go duration or whole seconds. */
function duration(name: string, v: string | undefined, dfltMs: number): number {
  if (v === undefined || v === '') return dfltMs;
  try {
    return parseDuration(v);
  } catch (err) {
    if (err instanceof DurationError) throw new ConfigError(`--${name}: ${err.message}`);
    throw err;
  }
}

function fetchPlan(v: string | undefined): 'planned' | 'naive' {
  if (v === undefined || v === '' || v === 'planned') return 'planned';
  if (v === 'naive') return 'naive';
  throw new ConfigError(`--fetch-plan must be planned or naive, got "${v}"`);
}

/** `--flag`, `--flag=true|false` (Reloader's spelling), or the environment variable. */
function bool(name: string, v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`--${name} must be true or false, got "${v}"`);
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

function resourcesToIgnore(v: string | undefined): ('Secret' | 'ConfigMap')[] {
  return list(v).map((x) => {
    if (x.toLowerCase() === 'secrets') return 'Secret';
    if (x.toLowerCase() === 'configmaps') return 'ConfigMap';
    throw new ConfigError(`--resources-to-ignore accepts secrets and configMaps, got "${x}"`);
  });
}

function workloadTypes(v: string | undefined): string[] {
  return list(v).map((x) => {
    const kind = WORKLOAD_TYPE_NAMES[x.toLowerCase()];
    if (kind === undefined)
      throw new ConfigError(
        `--ignored-workload-types accepts ${Object.keys(WORKLOAD_TYPE_NAMES).join(', ')}, got "${x}"`,
      );
    return kind;
  });
}

function selector(name: string, v: string | undefined): ParsedLabelSelector | undefined {
  try {
    return parseLabelSelector(v);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw new ConfigError(`--${name}: ${err.message}`);
    throw err;
  }
}

export function rolloutFlags(f: RawFlags, env: NodeJS.ProcessEnv = process.env): RolloutFlags {
  const namespaceSelector = selector(
    'namespace-selector',
    f.namespaceSelector ?? env.SECRETSYNC_NAMESPACE_SELECTOR,
  );
  const resourceSelector = selector(
    'resource-label-selector',
    f.resourceLabelSelector ?? env.SECRETSYNC_RESOURCE_LABEL_SELECTOR,
  );
  return {
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(resourceSelector ? { resourceSelector } : {}),
    autoReloadAll: bool('auto-reload-all', f.autoReloadAll ?? env.SECRETSYNC_AUTO_RELOAD_ALL, false),
    onCreate: bool('reload-on-create', f.reloadOnCreate ?? env.SECRETSYNC_RELOAD_ON_CREATE, true),
    onDelete: bool('reload-on-delete', f.reloadOnDelete ?? env.SECRETSYNC_RELOAD_ON_DELETE, true),
    ignoreKinds: resourcesToIgnore(f.resourcesToIgnore ?? env.SECRETSYNC_RESOURCES_TO_IGNORE),
    ignoreNamespaces: new Set(list(f.namespacesToIgnore ?? env.SECRETSYNC_NAMESPACES_TO_IGNORE)),
    ignoreWorkloadKinds: workloadTypes(f.ignoredWorkloadTypes ?? env.SECRETSYNC_IGNORED_WORKLOAD_TYPES),
  };
}

function positive(name: string, ms: number): number {
  if (!(ms > 0)) throw new ConfigError(`--${name} must be longer than 0s`);
  return ms;
}

export function buildConfig(f: RawFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const le = {
    enabled: f.leaderElect ?? env.SECRETSYNC_LEADER_ELECT !== 'false',
    namespace: f.leaderElectionNamespace ?? env.POD_NAMESPACE ?? 'secretsync-system',
    name: f.leaderElectionId ?? env.SECRETSYNC_LEADER_ELECTION_ID ?? 'secretsync-leader',
    leaseDurationMs: duration('lease-duration', f.leaseDuration, 15_000),
    renewDeadlineMs: duration('renew-deadline', f.renewDeadline, 10_000),
    retryPeriodMs: duration('retry-period', f.retryPeriod, 2_000),
  };
  if (!(le.leaseDurationMs > le.renewDeadlineMs && le.renewDeadlineMs > le.retryPeriodMs)) {
    throw new ConfigError('leader election needs lease-duration > renew-deadline > retry-period');
  }
  const sharding = {
    enabled: f.sharding ?? env.SECRETSYNC_SHARDING === 'true',
    ring: f.shardRing ?? env.SECRETSYNC_SHARD_RING ?? 'secretsync',
  };
  if (sharding.enabled && !le.enabled)
    throw new ConfigError('--sharding needs leader election (the leader keeps the cluster-wide work)');
  if (sharding.enabled && !/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(sharding.ring))
    throw new ConfigError('--shard-ring must be a DNS label of at most 32 characters');
  return {
    kubeconfig: f.kubeconfig,
    namespace: f.namespace ?? env.SECRETSYNC_NAMESPACE ?? undefined,
    controllerClass: f.controllerClass ?? env.SECRETSYNC_CONTROLLER_CLASS ?? undefined,
    concurrency: int('concurrency', f.concurrency ?? env.SECRETSYNC_CONCURRENCY, 16, 1, 256),
    metricsPort: int('metrics-port', f.metricsPort ?? env.SECRETSYNC_METRICS_PORT, 8080, 0, 65535),
    bindAddress: f.bindAddress ?? env.SECRETSYNC_BIND_ADDRESS ?? '0.0.0.0',
    logLevel: f.logLevel ?? env.LOG_LEVEL ?? 'info',
    leaderElection: le,
    identity: env.POD_NAME ?? hostname(),
    sharding,
    fetchPlan: fetchPlan(f.fetchPlan ?? env.SECRETSYNC_FETCH_PLAN),
    digestKeySecret: {
      namespace: le.namespace,
      name: f.digestKeySecret ?? env.SECRETSYNC_DIGEST_KEY_SECRET ?? 'secretsync-digest-key',
    },
    rolloutSelection: rolloutFlags(f, env),
    rolloutDebounceMs: duration(
      'rollout-debounce',
      f.rolloutDebounce ?? env.SECRETSYNC_ROLLOUT_DEBOUNCE,
      1_000,
    ),
    refreshTimeHeartbeatMs: duration(
      'refresh-time-heartbeat',
      f.refreshTimeHeartbeat ?? env.SECRETSYNC_REFRESH_TIME_HEARTBEAT,
      3_600_000,
    ),
    maxConcurrentRollouts: int(
      'max-concurrent-rollouts',
      f.maxConcurrentRollouts ?? env.SECRETSYNC_MAX_CONCURRENT_ROLLOUTS,
      0,
      0,
      1_000_000,
    ),
    rolloutProgressTimeoutMs: positive(
      'rollout-progress-timeout',
      duration(
        'rollout-progress-timeout',
        f.rolloutProgressTimeout ?? env.SECRETSYNC_ROLLOUT_PROGRESS_TIMEOUT,
        10 * 60_000,
      ),
    ),
  };
}
