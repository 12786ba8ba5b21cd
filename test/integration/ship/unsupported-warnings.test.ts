// What secretsync does not honour is said where it is used: on a live controller, an ExternalSecret
// with an unsupported field (Ready=False UnsupportedField and one Warning Event), a store with fields
// ignored with a warning (it syncs; one Warning Event per generation) and a workload with a Reloader
// annotation secretsync does not honour (a Warning Event); and `secretsync validate` on the same
// manifests prints the same, as problems or warnings.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, eventsFor, patchMerge, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { run } from '../../support/helm';
import { createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, FLAGS, apps, deployment, envKey } from '../rollout/helpers';

jest.setTimeout(120_000);

const repo = join(__dirname, '..', '..', '..');
/** A reconcile after an object changes: informer delivery plus one sync against the fake provider. */
const PROMPT_MS = 15_000;
/** After a positive marker, how long "no second Event" is watched for (a few reconciles' worth). */
const QUIET_MS = 3_000;
let ns: string;
let ctl: TestController | undefined;

const storeYaml = (ns: string, maxRetries: number) => `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  retrySettings: {maxRetries: ${maxRetries}, retryInterval: 10s}
  provider:
    fake:
      data: [{key: app-db, value: s3cr3t}]
`;
const esYaml = (ns: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: synced, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
  data:
    - {secretKey: password, remoteRef: {key: app-db}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: fetches-metadata, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
  data:
    - {secretKey: labels, remoteRef: {key: app-db, metadataPolicy: Fetch}}
`;

async function warnings(name: string, reason: string): Promise<{ message?: string }[]> {
  return (await eventsFor(ns, name)).filter((e) => e.type === 'Warning' && e.reason === reason);
}

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('unsupported');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

test('secretsync validate: a problem for the unsupported field, warnings for what is ignored', async () => {
  const workload = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {secretproviderclass.reloader.stakater.com/reload: vault-db}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: app}]}
`;
  const r = await run(process.execPath, [join(repo, 'bin', 'secretsync.js'), 'validate', '-'], {
    input: [storeYaml(ns, 3), esYaml(ns), workload].join('\n---\n'),
  });
  const lines = r.stdout.trim().split('\n');
  expect(lines).toEqual([
    expect.stringMatching(/SecretStore\/fake: spec\.retrySettings: warning: not honoured by secretsync/),
    expect.stringMatching(
      /ExternalSecret\/fetches-metadata: spec\.data\[0\]\.remoteRef\.metadataPolicy: "Fetch" is not supported by secretsync yet/,
    ),
    expect.stringMatching(
      /Deployment\/web: metadata\.annotations\[secretproviderclass\.reloader\.stakater\.com\/reload\]: warning: /,
    ),
  ]);
  expect(r.stderr).toContain('1 problem, 2 warnings');
  expect(r.code).toBe(1);
});

test('the controller says it on the objects: Events, once, and what is ignored still syncs', async () => {
  await applyYaml(storeYaml(ns, 3));
  await applyYaml(esYaml(ns));
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('web', {
      annotations: { 'secretproviderclass.reloader.stakater.com/reload': 'vault-db' },
      pod: { env: [envKey('synced', 'password')] },
    }),
  });

  // The store's ignored field does not stop it: the ExternalSecret syncs.
  await eventually(
    async () => expect(decoded(await readSecret(ns, 'synced'))).toEqual({ password: 's3cr3t' }),
    {
      timeoutMs: PROMPT_MS,
      what: 'synced Secret',
    },
  );
  await eventually(async () => expect(await warnings('fake', 'UnsupportedField')).toHaveLength(1), {
    timeoutMs: PROMPT_MS,
    what: 'Warning Event on the store',
  });
  expect((await warnings('fake', 'UnsupportedField'))[0]!.message).toMatch(
    /not honoured by secretsync, synced anyway: spec\.retrySettings/,
  );

  // The unsupported field: Ready=False naming it, and one Warning Event.
  await eventually(
    async () => {
      expect(ready(await readEs(ns, 'fetches-metadata'))).toMatchObject({
        status: 'False',
        reason: 'UnsupportedField',
        message: expect.stringContaining('spec.data[0].remoteRef.metadataPolicy=Fetch'),
      });
      expect(await warnings('fetches-metadata', 'UnsupportedField')).toHaveLength(1);
    },
    { timeoutMs: PROMPT_MS, what: 'UnsupportedField condition and Event' },
  );

  // The Reloader annotation: a Warning Event on the workload.
  await eventually(
    async () => {
      const ev = await warnings('web', 'UnsupportedAnnotation');
      expect(ev).toHaveLength(1);
      expect(ev[0]!.message).toMatch(
        /secretproviderclass\.reloader\.stakater\.com\/reload: not honoured by secretsync/,
      );
    },
    { timeoutMs: ACT_MS, what: 'UnsupportedAnnotation Event' },
  );

  // Reconciles that change nothing new add no Event: a label on each object (no new generation).
  const store = { name: 'fake', namespace: ns };
  const es = { name: 'fetches-metadata', namespace: ns };
  await patchMerge(
    { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: store },
    { metadata: { ...store, labels: { touched: 'yes' } } },
  );
  await patchMerge(
    { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: es },
    { metadata: { ...es, annotations: { 'external-secrets.io/force-sync': '1' } } },
  );
  await apps.patchNamespacedDeployment({
    name: 'web',
    namespace: ns,
    body: [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }],
  });
  await sleep(QUIET_MS);
  expect(await warnings('fake', 'UnsupportedField')).toHaveLength(1);
  expect(await warnings('fetches-metadata', 'UnsupportedField')).toHaveLength(1);
  expect(await warnings('web', 'UnsupportedAnnotation')).toHaveLength(1);

  // A new generation of the store is told again.
  await applyYaml(storeYaml(ns, 4));
  await eventually(async () => expect(await warnings('fake', 'UnsupportedField')).toHaveLength(2), {
    timeoutMs: PROMPT_MS,
    what: 'second Warning Event after a spec change',
  });
});
