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
