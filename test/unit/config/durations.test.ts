// Duration flags are parsed like every other duration in the product (gocompat/duration.ts).
import { buildConfig, ConfigError } from '../../../src/config';

test('leader-election and debounce flags take Go durations and whole seconds', () => {
  const cfg = buildConfig(
    { leaseDuration: '1m', renewDeadline: '45', retryPeriod: '1500ms', rolloutDebounce: '0s' },
    {},
  );
  expect(cfg.leaderElection).toMatchObject({
    leaseDurationMs: 60_000,
    renewDeadlineMs: 45_000,
    retryPeriodMs: 1_500,
  });
  expect(cfg.rolloutDebounceMs).toBe(0);
});

test('a bad duration names the flag and shows what is accepted', () => {
  expect(() => buildConfig({ leaseDuration: 'soon' }, {})).toThrow(ConfigError);
  expect(() => buildConfig({ leaseDuration: 'soon' }, {})).toThrow(
    /^--lease-duration: invalid duration "soon": .*"30s"/,
  );
});

test('rollout pacing: unlimited and 10m by default; flags, then environment', () => {
  expect(buildConfig({}, {})).toMatchObject({ maxConcurrentRollouts: 0, rolloutProgressTimeoutMs: 600_000 });
  expect(
    buildConfig({}, { SECRETSYNC_MAX_CONCURRENT_ROLLOUTS: '20', SECRETSYNC_ROLLOUT_PROGRESS_TIMEOUT: '90s' }),
  ).toMatchObject({ maxConcurrentRollouts: 20, rolloutProgressTimeoutMs: 90_000 });
  expect(
    buildConfig(
      { maxConcurrentRollouts: '5', rolloutProgressTimeout: '2m' },
      { SECRETSYNC_MAX_CONCURRENT_ROLLOUTS: '20' },
    ),
  ).toMatchObject({ maxConcurrentRollouts: 5, rolloutProgressTimeoutMs: 120_000 });
  expect(() => buildConfig({ maxConcurrentRollouts: '-1' }, {})).toThrow(
    /--max-concurrent-rollouts must be a whole number/,
  );
  expect(() => buildConfig({ rolloutProgressTimeout: '0s' }, {})).toThrow(
    /--rollout-progress-timeout must be longer than 0s/,
  );
});
