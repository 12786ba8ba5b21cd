/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
};

// Tests that run against the testbed share one testbed per run (control plane, emulators, fakes);
// it is started only when such a test is selected.
const testbed = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
};

// The long resilience scenarios (test/resilience/*.test.ts other than *.fast.test.ts: outages of
// minutes, control-plane kills, tens of thousands of fuzz cases) run only under
// `npm run test:resilience` (SECRETSYNC_RESILIENCE=1), when asked for by name
// (`--selectProjects resilience`) or by path; plain `npm test` runs their fast subset
// (*.fast.test.ts, project resilience-fast).
const argv = process.argv.slice(2);
const longResilience =
  process.env.SECRETSYNC_RESILIENCE === '1' ||
  argv.some((a) => a === 'resilience' || a === '--selectProjects=resilience') ||
  argv.some((a) => /test\/resilience\/(?:.*\/)?[^/]*(?<!\.fast)\.test\.ts$/.test(a));

/** @type {import('jest').Config} */
module.exports = {
  // Test files run in a worker process that is replaced once it holds more than this after a file.
  // Without it jest runs in band on a 2-CPU machine (one worker), and every file's module registry
  // and VM context pile up in the one process (measured 0.17 -> 1.8 GB RSS over a run). The
  // std::bad_alloc aborts once blamed on this were an HTTP/2 client spin: src/kube/kubeconfig.ts.
  workerIdleMemoryLimit: '700MB',
  projects: [
    { ...base, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    {
      ...base,
      ...testbed,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...base,
      ...testbed,
      displayName: 'resilience-fast',
      roots: ['<rootDir>/test/resilience'],
      testMatch: ['**/*.fast.test.ts'],
    },
    ...(longResilience
      ? [
          {
            ...base,
            ...testbed,
            displayName: 'resilience',
            roots: ['<rootDir>/test/resilience'],
            testMatch: ['**/*.test.ts'],
            testPathIgnorePatterns: ['/node_modules/', '\\.fast\\.test\\.ts$'],
          },
        ]
      : []),
  ],
};
