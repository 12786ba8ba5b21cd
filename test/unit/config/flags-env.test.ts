// Every controller flag has an environment variable (docs/reference.md): a flag left unset must
// leave the variable in force, so the command line fills in no defaults of its own.
import { Command } from 'commander';
import { buildConfig } from '../../../src/config';
import { controllerOptions } from '../../../src/main';

function parse(argv: string[], env: NodeJS.ProcessEnv) {
  const cmd = controllerOptions(new Command()).exitOverride();
  cmd.parse(argv, { from: 'user' });
  return buildConfig(cmd.opts(), env);
}

test('environment variables apply when the flag is not given', () => {
  const cfg = parse([], {
    SECRETSYNC_CONCURRENCY: '4',
    SECRETSYNC_METRICS_PORT: '9090',
    SECRETSYNC_ROLLOUT_DEBOUNCE: '5s',
    SECRETSYNC_FETCH_PLAN: 'naive',
    SECRETSYNC_REFRESH_TIME_HEARTBEAT: '0',
    LOG_LEVEL: 'debug',
  });
  expect(cfg).toMatchObject({
    concurrency: 4,
    metricsPort: 9090,
    rolloutDebounceMs: 5000,
    fetchPlan: 'naive',
    refreshTimeHeartbeatMs: 0,
    logLevel: 'debug',
  });
});

test('a flag wins over its environment variable; with neither, the documented defaults', () => {
  expect(parse(['--concurrency', '8'], { SECRETSYNC_CONCURRENCY: '4' }).concurrency).toBe(8);
  expect(parse([], {})).toMatchObject({
    concurrency: 16,
    metricsPort: 8080,
    bindAddress: '0.0.0.0',
    logLevel: 'info',
    rolloutDebounceMs: 1000,
    fetchPlan: 'planned',
    refreshTimeHeartbeatMs: 3_600_000,
    leaderElection: {
      name: 'secretsync-leader',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    },
  });
});
