// Cold start with fewer workers than ExternalSecrets: readers of one remote secret come due
// together but would be reconciled far apart (names interleave the keys). The read of a key moves
// its waiting readers to the front of the queue and is shared with them, so the emulator serves
// about one payload read per key instead of one per ExternalSecret.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { allSynced, decoded, readersYaml, readSecret } from '../../support/es';
import { gcpCalls, metricsText, metricSum } from '../../support/events';
import { createNamespace, deleteNamespace } from '../../support/kube';

const project = `share-${randomBytes(3).toString('hex')}`;
const keys = ['alpha', 'beta', 'gamma'];
const readersPerKey = 6;
// e0-alpha, e0-beta, e0-gamma, e1-alpha, …: queue order never puts two readers of a key together.
const names = Array.from({ length: readersPerKey }, (_, i) => keys.map((k) => `e${i}-${k}`)).flat();
const keyOf = (name: string) => name.split('-')[1]!;
const sm = gcpSecretManager();
let ns: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  ns = await createNamespace('es-share');
  await installDeploy();
  // Viewer too: the premise is that idle checks read version metadata, not payloads.
  await grantGcp(project, ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor']);
  for (const k of keys) await putGcpVersion(sm, project, k, `${k}-v1`);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gcp, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
`);
  // Created before the controller starts: its first list hands it every reader at once.
  await applyYaml(readersYaml(ns, names, keyOf, { refreshInterval: '1h' }));
  ctl = await startController(ns, { concurrency: '2' });
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  await sm.close();
});

test('readers that came due together share one payload read per key', async () => {
  await allSynced(ns, names, 60_000);
  for (const n of names) expect(decoded(await readSecret(ns, n)).v).toBe(`${keyOf(n)}-v1`);
  const reads = (await gcpCalls(project)).AccessSecretVersion ?? 0;
  // One read per key when every reader is reconciled within the hold; a loaded machine may let a
  // hold lapse once per key. Without sharing it is one read per ExternalSecret (18).
  expect(reads).toBeGreaterThanOrEqual(keys.length);
  expect(reads).toBeLessThanOrEqual(2 * keys.length);
  // Every reader's read was either a provider call or shared, and the sharing is visible.
  const shared = metricSum(await metricsText(ctl!.metricsPort), 'secretsync_provider_reads_shared_total', {
    provider: 'gcpsm',
  });
  expect(shared + reads).toBeGreaterThanOrEqual(names.length);
  expect(shared).toBeGreaterThanOrEqual(names.length - 2 * keys.length);
});
