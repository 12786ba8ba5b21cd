// Flags and environment → one typed, validated Config for the controller process.
import { hostname } from 'node:os';
import { DurationError, parseDuration } from '../gocompat/duration';

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
  /** Changes to one workload within this window make one rollout (--rollout-debounce). */
  rolloutDebounceMs: number;
  /** Restarts in flight at once, cluster-wide (--max-concurrent-rollouts); 0: unlimited. */
  maxConcurrentRollouts: number;
  /** How long a rollout counts against that limit at most without completing (--rollout-progress-timeout). */
  rolloutProgressTimeoutMs: number;
  /** `planned` (shared fetches, batching, version tags) or `naive` (one call per entry, as ESO). */
  fetchPlan: 'planned' | 'naive';
  /** The Secret holding the key of the digests written on workloads: in the controller's namespace. */
  digestKeySecret: { namespace: string; name: string };
}

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
  rolloutDebounce?: string;
  maxConcurrentRollouts?: string;
  rolloutProgressTimeout?: string;
  fetchPlan?: string;
  digestKeySecret?: string;
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
    fetchPlan: fetchPlan(f.fetchPlan ?? env.SECRETSYNC_FETCH_PLAN),
    digestKeySecret: {
      namespace: le.namespace,
      name: f.digestKeySecret ?? env.SECRETSYNC_DIGEST_KEY_SECRET ?? 'secretsync-digest-key',
    },
    rolloutDebounceMs: duration(
      'rollout-debounce',
      f.rolloutDebounce ?? env.SECRETSYNC_ROLLOUT_DEBOUNCE,
      1_000,
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
