import { buildConfig, ConfigError } from '../../../src/config';

test('sharding is off unless asked for, by flag or environment', () => {
  expect(buildConfig({}, {}).sharding).toEqual({ enabled: false, ring: 'secretsync' });
  expect(buildConfig({ sharding: true, shardRing: 'team-a' }, {}).sharding).toEqual({
    enabled: true,
    ring: 'team-a',
  });
  expect(buildConfig({}, { SECRETSYNC_SHARDING: 'true' }).sharding.enabled).toBe(true);
});

test('sharding needs leader election, and a ring name that can be a label value', () => {
  expect(() => buildConfig({ sharding: true, leaderElect: false }, {})).toThrow(
    new ConfigError('--sharding needs leader election (the leader keeps the cluster-wide work)'),
  );
  expect(() => buildConfig({ sharding: true, shardRing: 'Team_A' }, {})).toThrow(ConfigError);
});
