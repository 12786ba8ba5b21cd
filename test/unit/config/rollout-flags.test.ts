// Reloader's flags as secretsync parses them: Reloader's spellings, env counterparts, and a
// refusal (ConfigError, exit 2) naming what is accepted.
import { buildConfig, ConfigError, rolloutFlags, WORKLOAD_TYPE_NAMES } from '../../../src/config';
import { WORKLOAD_KINDS } from '../../../src/controllers/rollout/kinds';

test('defaults: nothing ignored, create and delete roll, no auto-reload-all', () => {
  expect(buildConfig({}, {}).rolloutSelection).toEqual({
    autoReloadAll: false,
    onCreate: true,
    onDelete: true,
    ignoreKinds: [],
    ignoreNamespaces: new Set(),
    ignoreWorkloadKinds: [],
  });
});

test("Reloader's spellings, and the environment", () => {
  expect(
    rolloutFlags(
      {
        autoReloadAll: true,
        reloadOnCreate: 'false',
        reloadOnDelete: 'false',
        resourcesToIgnore: 'configMaps',
        namespacesToIgnore: 'kube-system, tools',
        ignoredWorkloadTypes: 'jobs,cronjobs',
      },
      {},
    ),
  ).toEqual({
    autoReloadAll: true,
    onCreate: false,
    onDelete: false,
    ignoreKinds: ['ConfigMap'],
    ignoreNamespaces: new Set(['kube-system', 'tools']),
    ignoreWorkloadKinds: ['Job', 'CronJob'],
  });
  expect(
    rolloutFlags({}, { SECRETSYNC_AUTO_RELOAD_ALL: 'true', SECRETSYNC_RESOURCES_TO_IGNORE: 'secrets' }),
  ).toMatchObject({ autoReloadAll: true, ignoreKinds: ['Secret'] });
});

test.each([
  [{ resourcesToIgnore: 'pods' }, /secrets and configMaps/],
  [{ ignoredWorkloadTypes: 'replicasets' }, /jobs, cronjobs/],
  [{ reloadOnCreate: 'yes' }, /true or false/],
])('%j is refused', (flags, message) => {
  expect(() => rolloutFlags(flags, {})).toThrow(ConfigError);
  expect(() => rolloutFlags(flags, {})).toThrow(message);
});

test('every --ignored-workload-types name is a kind the rollout side watches, and every kind has one', () => {
  expect(Object.values(WORKLOAD_TYPE_NAMES).sort()).toEqual([...WORKLOAD_KINDS].sort());
});
