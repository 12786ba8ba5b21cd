// Per-store GKE Workload Identity end to end: the controller (as the `secretsync` ServiceAccount,
// deploy/'s RBAC) requests tokens for the stores' ServiceAccounts from the real apiserver, exchanges
// them at the testbed's STS fake (which verifies them against the apiserver's JWKS), impersonates the
// Google service account at the IAM Credentials fake (gated by roles/iam.workloadIdentityUser
// bindings) and reads Secret Manager with the result — which fails for real without
// roles/secretmanager.secretAccessor (each identity is granted exactly the secrets it reads). Failures must say what to fix; the canary value and
// the tokens never appear in logs, status or Events.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { fakeAdmin, fakeRequests, gcpSecretManager, grantGcp } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, eventsFor, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const run = randomBytes(3).toString('hex');
const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const project = `wi-${run}`;
const strictProject = `wi-strict-${run}`;
const pool = `${project}.svc.id.goog`;
const sm = gcpSecretManager();
const { core } = clients();
let ns: string;
let other: string;
let ctl: TestController | undefined;
const esNames: string[] = [];

const gsa = (name: string, p = project) => `${name}@${p}.iam.gserviceaccount.com`;
const member = (ksa: string, p = project) => `serviceAccount:${p}.svc.id.goog[${ns}/${ksa}]`;

async function putSecret(p: string, id: string, value: string): Promise<void> {
  await sm.createSecret({
    parent: `projects/${p}`,
    secretId: id,
    secret: { replication: { automatic: {} } },
  });
  await sm.addSecretVersion({ parent: `projects/${p}/secrets/${id}`, payload: { data: Buffer.from(value) } });
}

async function ksa(name: string, annotations: Record<string, string> = {}, namespace = ns): Promise<void> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, annotations } } });
}

const bind = (g: string, m: string) =>
  fakeAdmin('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT', '/_testbed/bindings', { gsa: g, member: m });

function wiStore(
  name: string,
  serviceAccountRef: Record<string, unknown>,
  opts: { kind?: string; projectID?: string; cluster?: Record<string, string> } = {},
): string {
  const kind = opts.kind ?? 'SecretStore';
  const cluster = opts.cluster ?? { clusterLocation: 'europe-west1', clusterName: 'testbed' };
  return `
apiVersion: external-secrets.io/v1
kind: ${kind}
metadata: {name: ${name}${kind === 'SecretStore' ? `, namespace: ${ns}` : ''}}
spec:
  provider:
    gcpsm:
      projectID: ${opts.projectID ?? project}
      auth:
        workloadIdentity:
          serviceAccountRef: ${JSON.stringify(serviceAccountRef)}
          ${Object.entries(cluster)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n          ')}
`;
}

async function externalSecret(name: string, store: string, key: string, kind = 'SecretStore'): Promise<void> {
  esNames.push(name);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: ${store}, kind: ${kind}}
  data:
    - {secretKey: value, remoteRef: {key: ${key}}}
`);
}

const synced = (name: string, value: string) =>
  eventually(async () => expect(decoded(await readSecret(ns, name)).value).toBe(value), {
    timeoutMs: 30_000,
    what: `Secret ${name} synced`,
  });

const failing = (name: string, reason: string) =>
  eventually(
    async () => {
      const c = ready(await readEs(ns, name));
      expect(c).toMatchObject({ status: 'False', reason });
      return c.message ?? '';
    },
    { timeoutMs: 30_000, what: `${name} Ready=False ${reason}` },
  );

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('wi-gcp');
  other = await createNamespace('wi-gcp-other');
  await putSecret(project, 'db-password', CANARY);
  await putSecret(project, 'plain', 'plain-value');
  await putSecret(strictProject, 'locked', 'locked-value');
  const reads = (who: string, id: string) =>
    grantGcp(`projects/${project}/secrets/${id}`, 'roles/secretmanager.secretAccessor', who);
  await reads(`serviceAccount:${gsa('app')}`, 'db-password');
  for (const who of [gsa('app'), gsa('unbound'), gsa('referent')])
    await reads(`serviceAccount:${who}`, 'plain');
  await reads(member('direct'), 'plain');
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  await deleteNamespace(ns);
  await deleteNamespace(other);
  await sm.close();
  expect(logs).not.toContain(CANARY);
  // No service-account JWT or Google access token in any log line.
  expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  expect(logs).not.toMatch(/ya29\./);
});

afterEach(async () => {
  // Status and Events carry no value and no token.
  for (const name of esNames.splice(0)) {
    const text = JSON.stringify([await readEs(ns, name), await eventsFor(ns, name)]);
    expect(text).not.toContain(CANARY);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.|ya29\./);
  }
});

test('ServiceAccount → STS → generateAccessToken for its Google SA: synced, with one exchange for many ExternalSecrets', async () => {
  await ksa('app', { 'iam.gke.io/gcp-service-account': gsa('app') });
  await bind(gsa('app'), member('app'));
  await applyYaml(wiStore('gcp-wi', { name: 'app' }));
  await externalSecret('db', 'gcp-wi', 'db-password');
  await synced('db', CANARY);
  for (let i = 0; i < 4; i++) await externalSecret(`db-${i}`, 'gcp-wi', 'plain');
  for (let i = 0; i < 4; i++) await synced(`db-${i}`, 'plain-value');

  const subject = `system:serviceaccount:${ns}:app`;
  const exchanges = (await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT')).filter(
    (r) => r.detail?.subject === subject,
  );
  expect(exchanges).toHaveLength(1);
  expect(exchanges[0]).toMatchObject({
    outcome: 200,
    detail: {
      audience: `identitynamespace:${pool}:https://container.googleapis.com/v1/projects/${project}/locations/europe-west1/clusters/testbed`,
      member: member('app'),
    },
  });
  const impersonations = (await fakeRequests('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT')).filter(
    (r) => r.detail?.caller === member('app'),
  );
  expect(impersonations).toEqual([
    expect.objectContaining({ outcome: 200, detail: { gsa: gsa('app'), caller: member('app') } }),
  ]);
});

test('without an IAM binding: Ready=False naming roles/iam.workloadIdentityUser, the GSA and the member', async () => {
  await ksa('unbound', { 'iam.gke.io/gcp-service-account': gsa('unbound') });
  await applyYaml(wiStore('gcp-unbound', { name: 'unbound' }));
  await externalSecret('unbound', 'gcp-unbound', 'plain');
  const msg = await failing('unbound', 'ProviderAuthFailed');
  expect(msg).toContain('roles/iam.workloadIdentityUser');
  expect(msg).toContain(gsa('unbound'));
  expect(msg).toContain(member('unbound'));
  // Fixing the binding is enough: the next retry syncs.
  await bind(gsa('unbound'), member('unbound'));
  await synced('unbound', 'plain-value');
});

test('a project where the Google SA has no role: it lacks secretAccessor until granted', async () => {
  const reader = gsa('reader', strictProject);
  await ksa('reader', { 'iam.gke.io/gcp-service-account': reader });
  await bind(reader, member('reader'));
  await applyYaml(
    wiStore(
      'gcp-strict',
      { name: 'reader' },
      {
        projectID: strictProject,
        cluster: { clusterLocation: 'europe-west1', clusterName: 'testbed', clusterProjectID: project },
      },
    ),
  );
  await externalSecret('locked', 'gcp-strict', 'locked');
  const msg = await failing('locked', 'ProviderAuthFailed');
  expect(msg).toContain('roles/secretmanager.secretAccessor');
  expect(msg).toContain(`serviceAccount:${reader}`);
  await grantGcp(strictProject, 'roles/secretmanager.secretAccessor', `serviceAccount:${reader}`);
  await synced('locked', 'locked-value');
});

test('no iam.gke.io/gcp-service-account annotation: the federated token is used directly', async () => {
  await ksa('direct');
  await applyYaml(wiStore('gcp-direct', { name: 'direct' }));
  await externalSecret('direct', 'gcp-direct', 'plain');
  await synced('direct', 'plain-value');
  const calls = (await fakeRequests('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT')).filter(
    (r) => r.detail?.caller === member('direct'),
  );
  expect(calls).toHaveLength(0);
});

test('a token for the wrong audience: Ready=False saying to set clusterProjectID (or audiences)', async () => {
  await ksa('aud', { 'iam.gke.io/gcp-service-account': gsa('aud') });
  await bind(gsa('aud'), member('aud'));
  await applyYaml(wiStore('gcp-aud', { name: 'aud', audiences: ['https://example.invalid'] }));
  await externalSecret('aud', 'gcp-aud', 'plain');
  const msg = await failing('aud', 'ProviderAuthFailed');
  expect(msg).toContain(
    `the token's audience https://example.invalid is not the workload identity pool ${pool}`,
  );
  expect(msg).toMatch(/set clusterProjectID \(or audiences\)/);
  const rejected = (await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT')).filter((r) => r.outcome === 400);
  expect(rejected.some((r) => String(r.detail?.rejected).includes('https://example.invalid'))).toBe(true);
});

test('a ServiceAccount that does not exist is named', async () => {
  await applyYaml(wiStore('gcp-missing', { name: 'nobody' }));
  await externalSecret('missing', 'gcp-missing', 'plain');
  const msg = await failing('missing', 'ProviderAuthFailed');
  expect(msg).toContain(`ServiceAccount ${ns}/nobody not found`);
});

test('clusterName unset and not discoverable: says to set clusterName and clusterLocation', async () => {
  await ksa('nocluster', { 'iam.gke.io/gcp-service-account': gsa('nocluster') });
  await applyYaml(wiStore('gcp-nocluster', { name: 'nocluster' }, { cluster: {} }));
  await externalSecret('nocluster', 'gcp-nocluster', 'plain');
  const msg = await failing('nocluster', 'InvalidProviderConfig');
  expect(msg).toMatch(/clusterName and .*clusterLocation/);
});

test("a SecretStore may not use another namespace's ServiceAccount", async () => {
  await ksa('elsewhere', { 'iam.gke.io/gcp-service-account': gsa('elsewhere') }, other);
  await applyYaml(wiStore('gcp-cross', { name: 'elsewhere', namespace: other }));
  await externalSecret('cross', 'gcp-cross', 'plain');
  const msg = await failing('cross', 'InvalidProviderConfig');
  expect(msg).toContain(`may only use ServiceAccounts and Secrets in its own namespace "${ns}"`);
  const asked = (await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT')).filter(
    (r) => r.detail?.subject === `system:serviceaccount:${other}:elsewhere`,
  );
  expect(asked).toHaveLength(0);
});

test("a ClusterSecretStore reference without a namespace resolves in the ExternalSecret's namespace", async () => {
  const css = `gcp-referent-${run}`;
  await ksa('referent', { 'iam.gke.io/gcp-service-account': gsa('referent') });
  await bind(gsa('referent'), member('referent'));
  await applyYaml(wiStore(css, { name: 'referent' }, { kind: 'ClusterSecretStore' }));
  try {
    await externalSecret('referent', css, 'plain', 'ClusterSecretStore');
    await synced('referent', 'plain-value');
    const exchanges = (await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT')).filter(
      (r) => r.detail?.subject === `system:serviceaccount:${ns}:referent`,
    );
    expect(exchanges.length).toBeGreaterThanOrEqual(1);
  } finally {
    await clients()
      .objects.delete({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name: css },
      })
      .catch(() => undefined);
  }
});
