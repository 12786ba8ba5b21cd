// Fewer provider calls, counted server-side at the Secret Manager emulator: once synced, periodic
// refreshes of unchanged secrets read version metadata only (no payload access), one check per
// remote secret and cycle however many ExternalSecrets read it, and a rotation is still picked up
// by every reader within the interval.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { allSynced, decoded, readersYaml, readSecret } from '../../support/es';
import { gcpCalls } from '../../support/events';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import { lastCheckMs } from '../../support/last-check';

const project = `plan-${randomBytes(3).toString('hex')}`;
/** A key read by one ExternalSecret only, in a project of its own (its calls counted alone). */
const soloProject = `plan-solo-${randomBytes(3).toString('hex')}`;
const keys = ['alpha', 'beta', 'gamma'];
const perKey = 4;
const intervalMs = 2000;
const sm = gcpSecretManager();
let ns: string;
let ctl: TestController | undefined;

const names = keys.flatMap((k) => Array.from({ length: perKey }, (_, i) => `${k}-${i}`));

beforeAll(async () => {
  ns = await createNamespace('es-plan');
  await installDeploy();
  // Viewer too: what is counted is GetSecretVersion (versions.get) instead of payload reads.
  await grantGcp(project, ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor']);
  // Accessor only, the least-privilege setup: each version check is an AccessSecretVersion.
  await grantGcp(soloProject, 'roles/secretmanager.secretAccessor');
  for (const k of keys) await putGcpVersion(sm, project, k, `${k}-v1`);
  await putGcpVersion(sm, soloProject, 'solo', 'solo-v1');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gcp, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gcp-solo, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${soloProject}}}}
`);
  ctl = await startController(ns);
  await applyYaml(
    readersYaml(ns, names, (n) => n.split('-')[0]!, { refreshInterval: `${intervalMs / 1000}s` }) +
      readersYaml(ns, ['solo'], () => 'solo', {
        refreshInterval: `${intervalMs / 1000}s`,
        store: 'gcp-solo',
      }),
  );
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  await sm.close();
});

test('unchanged secrets are re-checked by version metadata only; a rotation still lands', async () => {
  await allSynced(ns, names, 30_000);
  const before = await gcpCalls(project);
  const started = Date.now();
  // Let every ExternalSecret come due at least twice (checks that change nothing write no status).
  await eventually(
    async () => {
      for (const n of names) {
        const t = (await lastCheckMs(ctl!.metricsPort, ns, n)) ?? 0;
        expect(t).toBeGreaterThanOrEqual(started + intervalMs);
      }
    },
    { timeoutMs: 6 * intervalMs + 5000, intervalMs: 500, what: 'periodic refreshes' },
  );
  const after = await gcpCalls(project);
  const elapsedCycles = Math.ceil((Date.now() - started) / intervalMs) + 1;
  expect((after.AccessSecretVersion ?? 0) - (before.AccessSecretVersion ?? 0)).toBe(0);
  const metadataCalls = (after.GetSecretVersion ?? 0) - (before.GetSecretVersion ?? 0);
  expect(metadataCalls).toBeGreaterThan(0);
  // Naive polling would make names.length payload calls per cycle; a tag check counts for every
  // ExternalSecret reading that key, so each key is checked about once per cycle.
  expect(metadataCalls).toBeLessThanOrEqual(keys.length * elapsedCycles);

  await putGcpVersion(sm, project, 'beta', 'beta-v2');
  await eventually(
    async () => {
      for (let i = 0; i < perKey; i++) expect(decoded(await readSecret(ns, `beta-${i}`)).v).toBe('beta-v2');
    },
    { timeoutMs: intervalMs + 5000, what: 'rotation' },
  );
  expect(decoded(await readSecret(ns, 'alpha-0')).v).toBe('alpha-v1');
});

test('a lone reader checks its secret again at every refresh: its own last check never answers the next', async () => {
  await allSynced(ns, ['solo'], 30_000);
  // Count the refreshes (each moves the last-check metric) and the version checks they made.
  const before = (await gcpCalls(soloProject)).AccessSecretVersion ?? 0;
  const seen = new Set<number>();
  const until = Date.now() + 8 * intervalMs;
  while (Date.now() < until) {
    const t = await lastCheckMs(ctl!.metricsPort, ns, 'solo');
    if (t !== undefined) seen.add(t);
    await new Promise((r) => setTimeout(r, 100));
  }
  const checks = (await gcpCalls(soloProject)).AccessSecretVersion ?? 0;
  const refreshes = seen.size - 1; // the first value seen was the check before the window
  expect(refreshes).toBeGreaterThanOrEqual(3);
  // With a tag fetched during its own previous check reused, only every other refresh asked.
  expect(checks - before).toBeGreaterThanOrEqual(refreshes);
});
