// Identity endpoints behind Toxiproxy: the GCE metadata server (ambient GCP), GCP STS and IAM
// Credentials (per-store Workload Identity), AWS STS (per-store auth.jwt) and the EKS Pod Identity
// agent (ambient AWS). The fakes hand out credentials that live IDENTITY_TTL_S (the knob the fakes
// offer for this), so a cut longer than that makes the identity step fail for real; at an hour,
// as Google and AWS issue them, a one-minute cut would never be noticed. Five stores, one per path,
// each with ExternalSecrets refreshing every 2 s. Each endpoint in turn is cut (proxy disabled:
// connection refused) for CUT_MS while its store's remote secrets rotate.
//
// Checked per cut: no managed Secret of any store is deleted, emptied or loses a key (every Secret
// read once a second); the process keeps serving (metrics answer, no lease loss); the affected
// ExternalSecrets go Ready=False saying which identity step failed, with no value and no token;
// the other stores keep syncing; after the cut every Secret of the cut store carries the newest
// value within a bound derived from the controller's backoff and the credential cache's failure
// memory. Figures go to .testbed/resilience/figures/identity-outage-<endpoint>.json.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE_TTL_MS } from '../../src/providers/credentials/cache';
import { startToxiproxy, type Proxy, type Toxiproxy } from '../../dev/testbed/toxiproxy';
import { applyYaml } from '../support/apply';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { tokenAuthClient } from '../../src/providers/gcp/auth-client';
import { putGcpVersion } from '../support/cloud';
import { installDeploy, startController, type TestController } from '../support/controller';
import { readEs, ready } from '../support/es';
import { createNamespace, clients, deleteNamespace } from '../support/kube';
import { pendingDelayAt } from './support/backoff';
import { findCanaries, newCanary, sweepCluster } from './support/canary';
import { losses, managedSecrets, metricsText } from './support/cluster';
import { IN_PROCESS, knobs, recordFigures, saveLogs, timeUntil } from './support/knobs';

const CUT_MS = knobs.outageMs;
/** Lifetime of every credential the identity fakes issue during this file. */
const IDENTITY_TTL_S = 20;
const ES_PER_STORE = 2;
const ROTATE_EVERY_MS = 10_000;
/**
 * After the cut: the key's pending backoff delay at the end of a failure window that may reach one
 * failure memory past the cut (a failure is served from the credential cache that long), one more
 * failed attempt's delay for that memory, and 15 s for the sync itself on a busy machine.
 */
const RECOVERY_MS = pendingDelayAt(CUT_MS + FAILURE_TTL_MS) + FAILURE_TTL_MS + 15_000;
const run = randomBytes(3).toString('hex');
const gcpProject = `rs-id-${run}`;
const account = '123456789012';
const role = (name: string) => `arn:aws:iam::${account}:role/${name}-${run}`;
const repo = join(__dirname, '..', '..');
const tokenDir = mkdtempSync(join(tmpdir(), 'secretsync-id-outage-'));
jest.setTimeout(5 * (CUT_MS + RECOVERY_MS + 90_000) + 180_000);

type Endpoint = 'metadata' | 'gcpSts' | 'iamCredentials' | 'awsSts' | 'podIdentity';
/**
 * Which store each endpoint serves, the env var (of the testbed) naming the endpoint, and what the
 * Ready message must say: the step that failed, as unreachable (not as a refusal).
 */
const PATHS: Record<Endpoint, { store: string; env: string; says: RegExp }> = {
  metadata: { store: 'gcp-ambient', env: 'GCE_METADATA_HOST', says: /computeMetadata.*ECONNREFUSED/ },
  gcpSts: { store: 'gcp-wi-sts', env: 'SECRETSYNC_GCP_STS_ENDPOINT', says: /cannot reach Google STS/ },
  iamCredentials: {
    store: 'gcp-wi-iam',
    env: 'SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT',
    says: /cannot reach Google IAM Credentials/,
  },
  awsSts: { store: 'aws-jwt', env: 'AWS_ENDPOINT_URL_STS', says: /cannot reach AWS STS/ },
  podIdentity: { store: 'aws-pod', env: 'SECRETSYNC_EKS_POD_IDENTITY_URL', says: /Pod Identity/ },
};
const ENDPOINTS = Object.keys(PATHS) as Endpoint[];
const isGcp = (store: string) => store.startsWith('gcp');

let ns: string;
let tp: Toxiproxy | undefined;
const proxies = {} as Record<Endpoint, Proxy>;
/** Each fake's own address, for its admin routes (the controller's way goes through the proxy). */
const direct = {} as Record<Endpoint, string>;
let ctl: TestController | undefined;
/** The test's own Secret Manager client: its token comes from the metadata fake directly. */
let gsm: SecretManagerServiceClient;
let aws: SecretsManagerClient;
const saved: Record<string, string | undefined> = {};
/** Newest value of each remote secret (remote key → value). */
const latest = new Map<string, string>();

const remoteKey = (store: string, i: number) => `${store}-${run}-${i}`;
const esName = (store: string, i: number) => `${store}-${i}`;
const origin = (v: string) => new URL(v.includes('://') ? v : `http://${v}`).origin;

async function admin(endpoint: Endpoint, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${origin(direct[endpoint])}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${endpoint} ${path}: HTTP ${res.status}`);
}

async function put(store: string, i: number, value: string): Promise<void> {
  const key = remoteKey(store, i);
  if (isGcp(store)) await putGcpVersion(gsm, gcpProject, key, value);
  else {
    try {
      await aws.send(new CreateSecretCommand({ Name: key, SecretString: value }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceExistsException') throw err;
      await aws.send(new PutSecretValueCommand({ SecretId: key, SecretString: value }));
    }
  }
  latest.set(key, value);
}

async function token(ksa: string, audience: string): Promise<string> {
  const tr = await clients().core.createNamespacedServiceAccountToken({
    name: ksa,
    namespace: ns,
    body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
  });
  return tr.status!.token!;
}

function storeYaml(name: string, provider: Record<string, unknown>): string {
  return `---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${ns}}
spec: {provider: ${JSON.stringify(provider)}}
`;
}

function esYaml(store: string, i: number): string {
  return `---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${esName(store, i)}, namespace: ${ns}}
spec:
  refreshInterval: 2s
  secretStoreRef: {name: ${store}}
  data: [{secretKey: value, remoteRef: {key: ${remoteKey(store, i)}}}]
`;
}

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-identity');
  aws = new SecretsManagerClient({
    endpoint: process.env.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  tp = await startToxiproxy({ logDir: join(repo, '.testbed', 'resilience', 'logs') });
  for (const e of ENDPOINTS) {
    direct[e] = process.env[PATHS[e].env]!;
    proxies[e] = await tp.proxy(`${e}-${run}`, origin(direct[e]));
  }
  await admin('metadata', '/_testbed/token-ttl', { seconds: IDENTITY_TTL_S });
  const sm = new URL(process.env.SECRETSYNC_GCP_ENDPOINT!);
  gsm = new SecretManagerServiceClient({
    apiEndpoint: sm.hostname,
    port: Number(sm.port),
    protocol: 'http',
    fallback: true,
    authClient: tokenAuthClient(async () => {
      const res = await fetch(
        `${origin(direct.metadata)}/computeMetadata/v1/instance/service-accounts/default/token`,
        { headers: { 'metadata-flavor': 'Google' } },
      );
      const t = (await res.json()) as { access_token: string; expires_in: number };
      return { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000 };
    }),
  });
  await admin('awsSts', '/_testbed/credential-ttl', { seconds: IDENTITY_TTL_S });
  await admin('podIdentity', '/_testbed/credential-ttl', { seconds: IDENTITY_TTL_S });

  // Identities: two Kubernetes ServiceAccounts federated to Google service accounts, one trusted by
  // an AWS role, and the controller's own (ambient) Pod Identity association.
  const gsa = (n: string) => `${n}-${run}@${gcpProject}.iam.gserviceaccount.com`;
  const member = (ksa: string) => `serviceAccount:${gcpProject}.svc.id.goog[${ns}/${ksa}]`;
  const core = clients().core;
  for (const ksa of ['wi-sts', 'wi-iam'])
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: ksa, annotations: { 'iam.gke.io/gcp-service-account': gsa(ksa) } } },
    });
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'aws-jwt', annotations: { 'eks.amazonaws.com/role-arn': role('jwt') } } },
  });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'controller' } } });
  for (const ksa of ['wi-sts', 'wi-iam'])
    await admin('iamCredentials', '/_testbed/bindings', { gsa: gsa(ksa), member: member(ksa) });
  const subject = (ksa: string) => `system:serviceaccount:${ns}:${ksa}`;
  await admin('awsSts', '/_testbed/trust', {
    roleArn: role('jwt'),
    subjects: [subject('aws-jwt')],
    audience: 'sts.amazonaws.com',
  });
  await admin('podIdentity', '/_testbed/associations', {
    subject: subject('controller'),
    roleArn: role('pod'),
  });
  const podToken = join(tokenDir, 'eks-pod-identity-token');
  writeFileSync(podToken, await token('controller', 'pods.eks.amazonaws.com'), { mode: 0o600 });

  for (const e of ENDPOINTS) for (let i = 0; i < ES_PER_STORE; i++) await put(PATHS[e].store, i, newCanary());
  const wi = (ksa: string) => ({
    gcpsm: {
      projectID: gcpProject,
      auth: {
        workloadIdentity: {
          serviceAccountRef: { name: ksa },
          clusterLocation: 'europe-west1',
          clusterName: 'testbed',
        },
      },
    },
  });
  const awsProvider = { service: 'SecretsManager', region: 'us-east-1' };
  await applyYaml(
    storeYaml('gcp-ambient', { gcpsm: { projectID: gcpProject } }) +
      storeYaml('gcp-wi-sts', wi('wi-sts')) +
      storeYaml('gcp-wi-iam', wi('wi-iam')) +
      storeYaml('aws-jwt', {
        aws: { ...awsProvider, auth: { jwt: { serviceAccountRef: { name: 'aws-jwt' } } } },
      }) +
      storeYaml('aws-pod', { aws: awsProvider }) +
      ENDPOINTS.flatMap((e) =>
        Array.from({ length: ES_PER_STORE }, (_, i) => esYaml(PATHS[e].store, i)),
      ).join(''),
  );

  // The in-process controller reaches every identity endpoint through its proxy. Its ambient AWS
  // identity is Pod Identity: no static keys in its environment (the SDK's chain would take them).
  const env: Record<string, string | undefined> = {
    GCE_METADATA_HOST: new URL(proxies.metadata.url).host,
    SECRETSYNC_GCP_STS_ENDPOINT: proxies.gcpSts.url,
    SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT: proxies.iamCredentials.url,
    AWS_ENDPOINT_URL_STS: proxies.awsSts.url,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${proxies.podIdentity.url}/v1/credentials`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: podToken,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  ctl = await startController(ns, IN_PROCESS);
}, 5 * 60_000);

afterAll(async () => {
  await ctl?.stop();
  saveLogs('identity-outage-controller', ctl?.logs);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  // The shared fakes go back to hour-long credentials for the files after this one.
  if (direct.metadata) await admin('metadata', '/_testbed/token-ttl', { seconds: 3600 });
  if (direct.awsSts) await admin('awsSts', '/_testbed/credential-ttl', { seconds: 3600 });
  if (direct.podIdentity) await admin('podIdentity', '/_testbed/credential-ttl', { seconds: 3600 });
  await tp?.stop();
  await gsm?.close();
  aws?.destroy();
  rmSync(tokenDir, { recursive: true, force: true });
  if (ns) await deleteNamespace(ns);
});

const allKeys = () =>
  new Map(
    ENDPOINTS.flatMap((e) =>
      Array.from({ length: ES_PER_STORE }, (_, i) => [esName(PATHS[e].store, i), ['value']]),
    ),
  );

async function storeCurrent(store: string): Promise<void> {
  const now = await managedSecrets(ns);
  for (let i = 0; i < ES_PER_STORE; i++)
    expect(now.get(esName(store, i))?.value).toBe(latest.get(remoteKey(store, i)));
}

async function allCurrent(): Promise<void> {
  for (const e of ENDPOINTS) await storeCurrent(PATHS[e].store);
}

const tokenLike = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}|ya29\.|ASIA[A-Z0-9]{12}/;

async function cut(endpoint: Endpoint): Promise<void> {
  const store = PATHS[endpoint].store;
  const others = ENDPOINTS.filter((e) => e !== endpoint).map((e) => PATHS[e].store);
  await timeUntil(allCurrent, 90_000);
  await allCurrent(); // every store synced before the cut (fails here, with the difference, if not)

  const lost: string[] = [];
  let firstFalseMs: number | undefined;
  let failed: { reason?: string; message?: string } | undefined;
  let rotations = 0;
  let metricsDown = 0;
  const start = Date.now();
  await proxies[endpoint].setEnabled(false);
  let restored = 0;
  try {
    while (Date.now() - start < CUT_MS) {
      // Rotations spread over the cut (every ROTATE_EVERY_MS), so the last ones come after the
      // credentials ran out: only a sync after the cut can carry them.
      if (Date.now() - start >= rotations * ROTATE_EVERY_MS && Date.now() - start < CUT_MS - 3000) {
        await put(store, rotations % ES_PER_STORE, newCanary());
        rotations++;
      }
      for (const l of losses(allKeys(), await managedSecrets(ns)))
        lost.push(`${Date.now() - start} ms: ${l}`);
      const c = ready(await readEs(ns, esName(store, 0)));
      if (c.status === 'False' && firstFalseMs === undefined) {
        firstFalseMs = Date.now() - start;
        failed = { reason: c.reason, message: c.message };
      }
      await metricsText(ctl!.metricsPort).catch(() => metricsDown++);
      await sleep(1000);
    }
  } finally {
    await proxies[endpoint].setEnabled(true);
    restored = Date.now();
  }
  // The other stores never depended on this endpoint: they are current right after the cut.
  const othersMs = await timeUntil(async () => {
    for (const s of others) await storeCurrent(s);
  }, 30_000);
  const recoveryMs = await timeUntil(() => storeCurrent(store), RECOVERY_MS);
  const readyAgainMs = await timeUntil(async () => {
    for (let i = 0; i < ES_PER_STORE; i++)
      expect(ready(await readEs(ns, esName(store, i))).status).toBe('True');
  }, RECOVERY_MS);
  for (const l of losses(allKeys(), await managedSecrets(ns))) lost.push(`after: ${l}`);
  const statusText = JSON.stringify(
    await Promise.all(Array.from({ length: ES_PER_STORE }, (_, i) => readEs(ns, esName(store, i)))),
  );
  const leaks = [
    ...findCanaries('controller logs', ctl!.logs.join('')),
    ...findCanaries('status', statusText + JSON.stringify(failed ?? {})),
    ...(await sweepCluster()).leaks,
  ];
  const leaseLost = ctl!.logs.some((l) => l.includes('stopped after losing the lease'));
  const figures = {
    endpoint,
    store,
    cutMs: CUT_MS,
    identityTtlS: IDENTITY_TTL_S,
    rotations,
    secretsLost: lost.length,
    lostDetail: lost.slice(0, 5),
    readyFalseAfterMs: firstFalseMs,
    reason: failed?.reason,
    message: failed?.message?.replace(/RSCANARY[0-9a-f]+/g, '<canary>'),
    otherStoresCurrentAfterMs: othersMs,
    recoveryMs,
    readyAgainMs,
    recoveryBoundMs: RECOVERY_MS,
    metricsUnanswered: metricsDown,
    leaseLost,
    canaryLeaks: leaks.length,
    restoredAt: new Date(restored).toISOString(),
  };
  recordFigures(`identity-outage-${endpoint}`, figures);

  expect(lost).toEqual([]);
  expect(metricsDown).toBe(0);
  expect(leaseLost).toBe(false);
  // The cut mattered (credentials outlived by the cut) and the status says which step failed.
  expect(firstFalseMs).toBeDefined();
  expect(failed?.message).toMatch(PATHS[endpoint].says);
  expect(failed?.message ?? '').not.toMatch(tokenLike);
  expect(leaks).toEqual([]);
  expect(othersMs).toBeDefined();
  expect(recoveryMs).toBeDefined();
  expect(readyAgainMs).toBeDefined();
}

test.each(ENDPOINTS)(
  '%s cut: nothing lost, the process serves, status names it, recovery within the bound',
  async (e) => {
    await cut(e);
  },
);
