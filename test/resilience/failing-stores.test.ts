// Issue 14's "Done when": one controller process (`node dist/src/main.js controller`, the
// `secretsync` ServiceAccount's RBAC, every namespace) serves for RESILIENCE_SOAK_MS (10 min by
// default) while every store kind fails in every way the issue lists, and is still serving:
//  - gcpsm (SecretStore and ClusterSecretStore): identity with accessor only (list denied), viewer
//    only (access denied), nothing granted, a project that does not exist, per-store workload
//    identity whose ServiceAccount is missing or lacks the GSA annotation, auth.secretRef to a
//    missing Secret or to garbage key JSON;
//  - aws (both kinds): static keys of strict-moto users without ListSecrets / BatchGetSecretValue /
//    GetSecretValue, wrong static keys, a role (auth.jwt) the STS refuses, an ambient identity
//    granted nothing, a region the provider refuses, an empty region (an unsupported service is
//    refused at admission, so it never reaches the controller);
//  - fake: a working store, and ExternalSecrets on stores that do not exist;
//  - each provider's endpoint unreachable: the controller reaches Secret Manager and Secrets
//    Manager through Toxiproxy, and each proxy is cut (every connection reset) once for
//    min(60 s, soak/6) — the endpoint is per process, so an outage is a window for every store;
//  - the identity endpoints (GCE metadata server, Google STS and IAM Credentials, AWS STS) behind
//    Toxiproxy too, all cut at once for the same time, while the two stores that use them for a
//    working per-store identity (gcpsm workload identity, aws auth.jwt) are edited, so that their
//    new clients need tokens during the cut;
//  - a namespace holding a gcpsm SecretStore and ExternalSecrets refreshing every second, deleted
//    and recreated over and over (the delete path once crashed the controller).
// Healthy controls meanwhile: a fake store, the accessor-only gcpsm store and the no-Batch aws
// store rotate their value every RESILIENCE_SOAK_ROTATE_MS; each rotation must reach its Secret
// within the bound the configuration gives (refreshInterval, or after an outage its backoff) and
// roll the Deployment that consumes it.
//
// Checked at the end: the process never exited and answers /healthz and /readyz; no unexpected
// rejection was counted; every failing store is Ready=False with a reason or Ready=True with a note;
// every ExternalSecret on a failing store is Ready=False with a reason; no canary value appears in
// the process output, metrics, Events or statuses; no healthy Secret was ever emptied; reconcile
// attempts per ExternalSecret and provider calls per failing store stay within the backoff
// schedule plus one per refresh (no hot loop).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyYaml } from '../support/apply';
import {
  strictCallCounts,
  strictRole,
  strictSecretsManager,
  strictUrl,
  strictUser,
} from '../support/aws-strict';
import { fakeAdmin, grantGcp } from '../support/cloud';
import { controllerKubeConfig, installDeploy } from '../support/controller';
import { clusterStoreCondition, readEs, ready, storeCondition, type StoreCondition } from '../support/es';
import { eventually } from '../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../support/kube';
import { startToxiproxy, type Proxy, type Toxiproxy } from '../../dev/testbed/toxiproxy';
import { attemptSchedule, pendingDelayAt } from './support/backoff';
import { findCanaries, newCanary, sweepCluster, type Leak } from './support/canary';
import { counter, losses, managedSecrets, metricsText, writeKubeConfigFile } from './support/cluster';
import { knobs, recordFigures } from './support/knobs';
import { logDir, startControllerProcess, type ControllerProcess } from './support/process-controller';
import { SecretManager, controllerCalls } from './support/secretmanager';

const SOAK_MS = knobs.soakMs;
const ROTATE_MS = knobs.soakRotateMs;
/** Each provider's endpoint is cut once for this long. */
const CUT_MS = Math.min(60_000, Math.round(SOAK_MS / 6));
/** When each cut starts, from the start of the soak. */
const CUT_AT = {
  gcp: Math.round(SOAK_MS * 0.2),
  aws: Math.round(SOAK_MS * 0.45),
  identity: Math.round(SOAK_MS * 0.65),
};
type Cut = keyof typeof CUT_AT;
/** refreshInterval of the healthy controls and of the ExternalSecrets on failing stores. */
const HEALTHY_REFRESH_MS = 10_000;
const FAILING_REFRESH_MS = 30_000;
/** One attempt against a reset connection (the AWS SDK's 3 tries included). */
const ATTEMPT_MS = 1000;
/** Scheduling slack on a 2-core machine shared with other runs (apiserver write, informer event). */
const SLACK_MS = 5000;
/** How often the churn namespace is created and deleted. */
const CHURN_HOLD_MS = Math.min(15_000, Math.round(SOAK_MS / 10));
jest.setTimeout(SOAK_MS + 420_000);

const run = randomBytes(3).toString('hex');
const project = (what: string) => `rs-soak-${what}-${run}`;
const P = {
  accessor: project('acc'),
  viewer: project('view'),
  none: project('none'),
  missing: project('missing'),
};
const awsKey = (n: string) => `rs-soak-${run}/${n}`;
const churnNs = `rs-churn-${run}`;
const { core, apps } = clients();

let ns: string;
let sm: SecretManager;
let tp: Toxiproxy | undefined;
let proxies: { gcp: Proxy; aws: Proxy; identity: Proxy[] };
let proc: ControllerProcess | undefined;
let kubeconfig: string | undefined;
const awsAdmin = strictSecretsManager();
/** Access keys whose calls the strict front counts, by case; and secrets that must never appear. */
const awsUsers = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
const clusterStores: string[] = [];

/** How a store must look at the end. */
type StoreExpect = 'false' | 'noted' | 'true' | 'false-or-noted';
/** How the ExternalSecrets on it must look at the end. */
type EsExpect = 'synced' | 'failing';

interface Case {
  name: string;
  kind: 'SecretStore' | 'ClusterSecretStore';
  provider: 'gcp' | 'aws' | 'fake' | 'none';
  /** The spec.provider, given the namespace refs point into (only ClusterSecretStores need it). */
  store?: Record<string, unknown>;
  storeExpect?: StoreExpect;
  es: { name: string; spec: Record<string, unknown>; expect: EsExpect; keys: number }[];
  /** Where its provider calls are counted: a Secret Manager project or a strict-moto access key. */
  callsIn?: { gcpProject?: string; awsUser?: string };
}

const cases: Case[] = [];
const data = (key: string) => ({ data: [{ secretKey: 'value', remoteRef: { key } }] });
const find = (path: string) => ({ dataFrom: [{ find: { name: { regexp: `^${path}` } } }] });

function addCase(
  base: string,
  provider: Case['provider'],
  store: ((refNs: string | undefined) => Record<string, unknown>) | undefined,
  storeExpect: StoreExpect | undefined,
  es: { suffix: string; spec: Record<string, unknown>; expect: EsExpect; keys?: number }[],
  opts: { kinds?: Case['kind'][]; callsIn?: Case['callsIn'] } = {},
): void {
  for (const kind of opts.kinds ?? (['SecretStore', 'ClusterSecretStore'] as const)) {
    const name = kind === 'SecretStore' ? base : `${base}-${run}`;
    const short = kind === 'SecretStore' ? base : `c-${base}`;
    cases.push({
      name,
      kind,
      provider,
      ...(store && { store: store(kind === 'ClusterSecretStore' ? ns : undefined) }),
      ...(storeExpect && { storeExpect }),
      es: es.map((e) => ({
        name: `${short}-${e.suffix}`,
        spec: {
          refreshInterval: `${(e.expect === 'synced' ? HEALTHY_REFRESH_MS : FAILING_REFRESH_MS) / 1000}s`,
          secretStoreRef: { name, kind },
          ...e.spec,
        },
        expect: e.expect,
        keys: e.keys ?? 1,
      })),
      ...(opts.callsIn && { callsIn: opts.callsIn }),
    });
  }
}

const withNs = (refNs: string | undefined, ref: Record<string, unknown>) =>
  refNs ? { ...ref, namespace: refNs } : ref;
const gcpsm = (projectID: string, auth?: Record<string, unknown>) => ({
  gcpsm: { projectID, ...(auth && { auth }) },
});
const wi = (refNs: string | undefined, sa: string) => ({
  workloadIdentity: {
    serviceAccountRef: withNs(refNs, { name: sa }),
    clusterLocation: 'europe-west1',
    clusterName: 'testbed',
    clusterProjectID: P.accessor,
  },
});
const gcpKey = (refNs: string | undefined, secret: string) => ({
  secretRef: { secretAccessKeySecretRef: withNs(refNs, { name: secret, key: 'key.json' }) },
});
const aws = (extra: Record<string, unknown> = {}) => ({
  aws: { service: 'SecretsManager', region: 'us-east-1', ...extra },
});
const awsKeys = (refNs: string | undefined, secret: string) => ({
  auth: {
    secretRef: {
      accessKeyIDSecretRef: withNs(refNs, { name: secret, key: 'id' }),
      secretAccessKeySecretRef: withNs(refNs, { name: secret, key: 'secret' }),
    },
  },
});

/** The scenario's stores and ExternalSecrets (secrets, users and grants are made in beforeAll). */
function defineCases(): void {
  const failing = (suffix = 'data', spec: Record<string, unknown> = data('k')) => ({
    suffix,
    spec,
    expect: 'failing' as const,
  });
  // gcpsm.
  addCase(
    'gcp-accessor',
    'gcp',
    () => gcpsm(P.accessor),
    'noted',
    [{ suffix: 'data', spec: data('k'), expect: 'synced' }, failing('find', find('k'))],
    { callsIn: { gcpProject: P.accessor } },
  );
  addCase('gcp-viewer', 'gcp', () => gcpsm(P.viewer), 'true', [failing()], {
    callsIn: { gcpProject: P.viewer },
  });
  addCase('gcp-none', 'gcp', () => gcpsm(P.none), 'false-or-noted', [failing()], {
    callsIn: { gcpProject: P.none },
  });
  addCase('gcp-no-project', 'gcp', () => gcpsm(P.missing), 'false-or-noted', [failing()], {
    callsIn: { gcpProject: P.missing },
  });
  addCase('gcp-wi-no-sa', 'gcp', (r) => gcpsm(P.accessor, wi(r, 'no-such-sa')), 'false', [failing()]);
  // Without the annotation the ServiceAccount itself is the principal (GKE's direct federation),
  // which nothing is granted to: reads are denied, naming that principal.
  addCase('gcp-wi-no-gsa', 'gcp', (r) => gcpsm(P.accessor, wi(r, 'plain-sa')), 'false-or-noted', [failing()]);
  addCase('gcp-key-missing', 'gcp', (r) => gcpsm(P.accessor, gcpKey(r, 'no-such-key')), 'false', [failing()]);
  addCase('gcp-key-garbage', 'gcp', (r) => gcpsm(P.accessor, gcpKey(r, 'garbage-key')), 'false', [failing()]);
  // Working per-store identities (their token endpoints are cut once).
  addCase(
    'gcp-wi-ok',
    'gcp',
    () => gcpsm(P.accessor, wi(undefined, 'wi-app')),
    'noted',
    [{ suffix: 'data', spec: data('k'), expect: 'synced' }],
    { kinds: ['SecretStore'] },
  );
  addCase(
    'aws-jwt-ok',
    'aws',
    () => aws({ auth: { jwt: { serviceAccountRef: { name: 'aws-app' } } } }),
    'noted',
    [{ suffix: 'data', spec: data(awsKey('k')), expect: 'synced' }],
    { kinds: ['SecretStore'] },
  );
  // aws.
  addCase(
    'aws-nolist',
    'aws',
    (r) => aws(awsKeys(r, 'keys-nolist')),
    'noted',
    [{ suffix: 'data', spec: data(awsKey('k')), expect: 'synced' }, failing('find', find(awsKey('')))],
    { callsIn: { awsUser: 'nolist' } },
  );
  addCase(
    'aws-nobatch',
    'aws',
    (r) => aws(awsKeys(r, 'keys-nobatch')),
    'noted',
    [{ suffix: 'data', spec: data(awsKey('k')), expect: 'synced' }],
    { callsIn: { awsUser: 'nobatch' } },
  );
  addCase(
    'aws-noget',
    'aws',
    (r) => aws(awsKeys(r, 'keys-noget')),
    'true',
    [failing('data', data(awsKey('k')))],
    {
      callsIn: { awsUser: 'noget' },
    },
  );
  addCase(
    'aws-badkeys',
    'aws',
    (r) => aws(awsKeys(r, 'keys-bad')),
    'false',
    [failing('data', data(awsKey('k')))],
    {
      callsIn: { awsUser: 'bad' },
    },
  );
  addCase(
    'aws-jwt-refused',
    'aws',
    (r) => aws({ auth: { jwt: { serviceAccountRef: withNs(r, { name: 'aws-untrusted' }) } } }),
    'false',
    [failing('data', data(awsKey('k')))],
  );
  addCase('aws-ambient-nothing', 'aws', () => aws(), 'false-or-noted', [failing('data', data(awsKey('k')))], {
    callsIn: { awsUser: 'nobody' },
  });
  addCase('aws-bad-region', 'aws', () => aws({ region: 'moon' }), 'false', [
    failing('data', data(awsKey('k'))),
  ]);
  addCase('aws-no-region', 'aws', () => aws({ region: '' }), 'false', [failing('data', data(awsKey('k')))]);
  // Stores that do not exist.
  for (const kind of ['SecretStore', 'ClusterSecretStore'] as const) {
    const short = kind === 'SecretStore' ? 'no-store' : 'c-no-store';
    cases.push({
      name: `no-such-store-${run}`,
      kind,
      provider: 'none',
      es: [
        {
          name: `${short}-data`,
          spec: {
            refreshInterval: `${FAILING_REFRESH_MS / 1000}s`,
            secretStoreRef: { name: `no-such-store-${run}`, kind },
            ...data('k'),
          },
          expect: 'failing',
          keys: 1,
        },
      ],
    });
  }
}

/** Healthy controls: a value rotated every ROTATE_MS, the Secret that must follow it, a Deployment. */
interface Control {
  name: string;
  provider: 'fake' | 'gcp' | 'aws';
  secret: string;
  value: string;
  rotate(value: string): Promise<void>;
  /** The Secret must carry a value rotated at `t` by this time. */
  deadline(t: number): number;
  rotations: { at: number; latencyMs?: number; boundMs: number }[];
}

const cuts: { provider: Cut; from: number; to?: number }[] = [];

/** Latest time a value rotated at `t` may arrive: one refresh, or one backoff after an outage. */
function deadlineFor(provider: 'fake' | 'gcp' | 'aws', t: number, viaStoreEvent: boolean): number {
  const plain = t + HEALTHY_REFRESH_MS + SLACK_MS;
  if (viaStoreEvent) return plain;
  let d = plain;
  // The ambient Google identity's tokens come from the metadata server, cut with the identities.
  const affecting = (x: (typeof cuts)[number]) =>
    x.provider === provider || (provider === 'gcp' && x.provider === 'identity');
  for (const c of cuts.filter(affecting)) {
    const end = c.to ?? c.from + CUT_MS;
    // A rotation that lands during a cut, or whose refresh would: the key backs off through the
    // outage and tries again at most one backoff delay after the endpoint returns.
    if (end >= t && c.from <= plain)
      d = Math.max(d, end + pendingDelayAt(CUT_MS, ATTEMPT_MS) + HEALTHY_REFRESH_MS + SLACK_MS);
  }
  return d;
}

/** Whether `t` falls in an outage of the provider's endpoint or of the identity endpoints. */
function inCut(provider: 'gcp' | 'aws', t: number): boolean {
  return cuts.some(
    (c) =>
      (c.provider === provider || c.provider === 'identity') &&
      t >= c.from - 2000 &&
      t <= (c.to ?? Infinity) + 2000,
  );
}

/** Stores whose identity needs the token endpoints; edited during the identity cut. */
const IDENTITY_STORES = ['gcp-wi-ok', 'aws-jwt-ok'];

/** A spec change (a new generation: new clients, new tokens) that keeps the store working. */
async function touchStore(name: string): Promise<void> {
  const live = await clients().objects.read({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
  });
  const spec = (live as unknown as { spec: Record<string, unknown> }).spec;
  await clients().objects.replace({
    ...live,
    spec: { ...spec, refreshInterval: spec.refreshInterval === 3600 ? 7200 : 3600 },
  } as KubernetesObject);
}

async function readStoreCondition(c: Case): Promise<StoreCondition | undefined> {
  return c.kind === 'SecretStore' ? storeCondition(ns, c.name) : clusterStoreCondition(c.name);
}

async function secretValue(name: string): Promise<string | undefined> {
  const s = await core.readNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
  const v = s?.data?.value;
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

function deployment(name: string, secret: string) {
  return {
    metadata: { name, annotations: { 'reloader.stakater.com/auto': 'true' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'registry.invalid/app:1', envFrom: [{ secretRef: { name: secret } }] },
          ],
        },
      },
    },
  };
}

async function revision(name: string): Promise<number> {
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  return Number(d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
}

let fakeStoreValue = '';
const controls: Control[] = [];

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-soak');
  const direct = process.env.SECRETSYNC_GCP_ENDPOINT!;
  sm = new SecretManager(direct);

  // Secret Manager: a canary in every project that has secrets; grants per case.
  for (const p of [P.accessor, P.viewer, P.none]) await sm.put(p, 'k', newCanary());
  await sm.put(P.accessor, 'rot', newCanary());
  await grantGcp(P.accessor, 'roles/secretmanager.secretAccessor');
  await grantGcp(P.viewer, 'roles/secretmanager.viewer');

  // Strict moto: the secrets, and one user per permission set.
  await awsAdmin.send(new CreateSecretCommand({ Name: awsKey('k'), SecretString: newCanary() }));
  await awsAdmin.send(new CreateSecretCommand({ Name: awsKey('rot'), SecretString: newCanary() }));
  const sma = (a: string) => `secretsmanager:${a}`;
  awsUsers.set(
    'nolist',
    await strictUser(
      `rs-soak-${run}-nolist`,
      ['GetSecretValue', 'DescribeSecret', 'BatchGetSecretValue'].map(sma),
    ),
  );
  awsUsers.set(
    'nobatch',
    await strictUser(`rs-soak-${run}-nobatch`, ['GetSecretValue', 'DescribeSecret', 'ListSecrets'].map(sma)),
  );
  awsUsers.set('noget', await strictUser(`rs-soak-${run}-noget`, ['DescribeSecret', 'ListSecrets'].map(sma)));
  awsUsers.set('nobody', await strictUser(`rs-soak-${run}-nobody`, []));
  awsUsers.set('bad', {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: newCanary(),
  });
  // Working per-store identities: a Google SA the ServiceAccount may impersonate, granted the
  // project's payloads; a role the ServiceAccount may assume, granted reads.
  const gsa = `wi-app@${P.accessor}.iam.gserviceaccount.com`;
  await fakeAdmin('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT', '/_testbed/bindings', {
    gsa,
    member: `serviceAccount:${P.accessor}.svc.id.goog[${ns}/wi-app]`,
  });
  await grantGcp(P.accessor, 'roles/secretmanager.secretAccessor', `serviceAccount:${gsa}`);
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'wi-app', annotations: { 'iam.gke.io/gcp-service-account': gsa } } },
  });
  const trusted = await strictRole(
    `rs-soak-${run}-app`,
    ['GetSecretValue', 'DescribeSecret', 'ListSecrets'].map(sma),
    { webIdentity: [`system:serviceaccount:${ns}:aws-app`] },
  );
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'aws-app', annotations: { 'eks.amazonaws.com/role-arn': trusted } } },
  });
  // A role whose trust policy does not name the ServiceAccount: the STS refuses the exchange.
  const untrusted = await strictRole(`rs-soak-${run}-untrusted`, ['secretsmanager:GetSecretValue']);

  // Namespaced inputs the stores reference.
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'plain-sa' } } });
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'aws-untrusted', annotations: { 'eks.amazonaws.com/role-arn': untrusted } } },
  });
  await core.createNamespacedSecret({
    namespace: ns,
    // Truncated JSON with a canary where the private key would be: a parse error must not echo it.
    body: {
      metadata: { name: 'garbage-key' },
      stringData: { 'key.json': `{"type":"service_account","private_key":"${newCanary()}` },
    },
  });
  for (const [user, keys] of awsUsers) {
    if (user === 'nobody') continue;
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: `keys-${user}` },
        stringData: { id: keys.accessKeyId, secret: keys.secretAccessKey },
      },
    });
  }

  // The stores and ExternalSecrets.
  defineCases();
  for (const c of cases) {
    if (!c.store) continue;
    await clients().objects.create({
      apiVersion: 'external-secrets.io/v1',
      kind: c.kind,
      metadata: { name: c.name, ...(c.kind === 'SecretStore' && { namespace: ns }) },
      spec: { provider: c.store },
    } as KubernetesObject);
    if (c.kind === 'ClusterSecretStore') clusterStores.push(c.name);
  }
  fakeStoreValue = newCanary();
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec: {provider: {fake: {data: [{key: rot, value: "${fakeStoreValue}"}]}}}
`);
  const esObjects = [
    ...cases.flatMap((c) => c.es.map((e) => ({ name: e.name, spec: e.spec }))),
    ...[
      { name: 'ctl-fake', store: 'fake', key: 'rot' },
      { name: 'ctl-gcp', store: 'gcp-accessor', key: 'rot' },
      { name: 'ctl-aws', store: 'aws-nobatch', key: awsKey('rot') },
    ].map((x) => ({
      name: x.name,
      spec: {
        refreshInterval: `${HEALTHY_REFRESH_MS / 1000}s`,
        secretStoreRef: { name: x.store },
        ...data(x.key),
      },
    })),
  ];
  for (const e of esObjects) {
    await clients().objects.create({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: e.name, namespace: ns },
      spec: e.spec,
    } as KubernetesObject);
  }

  // The controller's endpoints go through Toxiproxy; its ambient AWS identity may do nothing.
  tp = await startToxiproxy({ logDir });
  const env = (name: string) => process.env[name]!;
  const [metadata, gcpSts, iamCredentials, awsSts] = [
    await tp.proxy('soak-metadata', env('GCE_METADATA_HOST')),
    await tp.proxy('soak-gcp-sts', env('SECRETSYNC_GCP_STS_ENDPOINT')),
    await tp.proxy('soak-iamcredentials', env('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT')),
    await tp.proxy('soak-aws-sts', env('SECRETSYNC_TESTBED_AWS_STRICT_STS_URL')),
  ];
  proxies = {
    gcp: await tp.proxy('soak-secretmanager', direct),
    aws: await tp.proxy('soak-aws', strictUrl()),
    identity: [metadata, gcpSts, iamCredentials, awsSts],
  };
  const nobody = awsUsers.get('nobody')!;
  kubeconfig = writeKubeConfigFile(await controllerKubeConfig(), join(logDir, `soak-${run}.kubeconfig`));
  proc = await startControllerProcess({
    name: `soak-${run}`,
    kubeconfig,
    leaseId: `rs-soak-${run}`,
    // The production lease timing: the harness's 3 s lease is for takeover tests, and on a loaded
    // machine a 2 s renew deadline can lapse (the process then exits by design), which is not what
    // this soak is about.
    flags: ['--lease-duration', '15s', '--renew-deadline', '10s', '--retry-period', '2s'],
    env: {
      SECRETSYNC_GCP_ENDPOINT: proxies.gcp.url,
      SECRETSYNC_GCP_ADMIN_TOKEN: '',
      GCE_METADATA_HOST: metadata.listen,
      SECRETSYNC_GCP_STS_ENDPOINT: gcpSts.url,
      SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT: iamCredentials.url,
      AWS_ENDPOINT_URL: proxies.aws.url,
      AWS_ENDPOINT_URL_STS: awsSts.url,
      AWS_ACCESS_KEY_ID: nobody.accessKeyId,
      AWS_SECRET_ACCESS_KEY: nobody.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    },
  });

  controls.push(
    {
      name: 'ctl-fake',
      provider: 'fake',
      secret: 'ctl-fake',
      value: fakeStoreValue,
      async rotate(value) {
        const live = await clients().objects.read({
          apiVersion: 'external-secrets.io/v1',
          kind: 'SecretStore',
          metadata: { name: 'fake', namespace: ns },
        });
        await clients().objects.replace({
          ...live,
          spec: { provider: { fake: { data: [{ key: 'rot', value }] } } },
        } as KubernetesObject);
      },
      deadline: (t) => deadlineFor('fake', t, true),
      rotations: [],
    },
    {
      name: 'ctl-gcp',
      provider: 'gcp',
      secret: 'ctl-gcp',
      value: '',
      rotate: (value) => sm.put(P.accessor, 'rot', value),
      deadline: (t) => deadlineFor('gcp', t, false),
      rotations: [],
    },
    {
      name: 'ctl-aws',
      provider: 'aws',
      secret: 'ctl-aws',
      value: '',
      rotate: async (value) => {
        await awsAdmin.send(new PutSecretValueCommand({ SecretId: awsKey('rot'), SecretString: value }));
      },
      deadline: (t) => deadlineFor('aws', t, false),
      rotations: [],
    },
  );
});

afterAll(async () => {
  await proc?.stop();
  await tp?.stop();
  await sm?.close();
  awsAdmin.destroy();
  if (kubeconfig) rmSync(kubeconfig, { force: true });
  for (const name of clusterStores) {
    await clients()
      .objects.delete({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name },
      })
      .catch(() => undefined);
  }
  await deleteNamespace(churnNs);
  if (ns) await deleteNamespace(ns);
});

/** Creates the churn namespace with a gcpsm store and ExternalSecrets, holds it, deletes it. */
async function churnRound(): Promise<void> {
  await eventually(
    async () => {
      const live = await core.readNamespace({ name: churnNs }).catch(() => undefined);
      expect(live).toBeUndefined();
    },
    { timeoutMs: 120_000, what: `namespace ${churnNs} gone` },
  );
  await core.createNamespace({ body: { metadata: { name: churnNs } } });
  const es = Array.from(
    { length: 5 },
    (_, i) => `
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es-${i}, namespace: ${churnNs}}
spec:
  refreshInterval: 1s
  secretStoreRef: {name: gsm}
  data: [{secretKey: v, remoteRef: {key: ${i % 2 === 0 ? 'k' : 'rot'}}}]`,
  ).join('');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gsm, namespace: ${churnNs}}
spec: {provider: {gcpsm: {projectID: ${P.accessor}}}}
${es}`);
  await sleep(CHURN_HOLD_MS);
  await core.deleteNamespace({ name: churnNs });
}

test('one controller process serves for the soak with every store kind failing in every way', async () => {
  const soakStart = Date.now();
  const soakEnd = soakStart + SOAK_MS;
  // First sync of the healthy controls and the usable stores' ExternalSecrets.
  await eventually(
    async () => {
      for (const c of controls) {
        const v = await secretValue(c.secret);
        expect(v).toBeDefined();
        c.value = v!;
      }
    },
    { timeoutMs: 60_000, what: 'healthy controls synced' },
  );
  for (const c of controls)
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment(c.name, c.secret) });
  // First sight records the Secret's hash and restarts nothing; a rotation before it would be
  // recorded too (not rolled), so rotations start once every Deployment carries its hash.
  await eventually(
    async () => {
      for (const c of controls) {
        const d = await apps.readNamespacedDeployment({ name: c.name, namespace: ns });
        expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeDefined();
        expect(await revision(c.name)).toBe(1);
      }
    },
    { timeoutMs: 30_000, what: 'Deployments seen (hash recorded) at revision 1' },
  );

  let soaking = true;
  const errors: string[] = [];
  const background = (what: string, p: Promise<unknown>) =>
    p.catch((err: unknown) => {
      errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    });

  // Outages: each provider's endpoint refuses connections for CUT_MS.
  const outages = background(
    'outages',
    (async () => {
      for (const provider of ['gcp', 'aws', 'identity'] as const) {
        const wait = soakStart + CUT_AT[provider] - Date.now();
        if (wait > 0) await sleep(wait);
        const cut: (typeof cuts)[number] = { provider, from: Date.now() };
        cuts.push(cut);
        // A reset_peer toxic, not a disabled proxy: disabling closes the listener, and on a machine
        // shared with other runs its port can be taken before it is re-enabled (seen: "bind:
        // address already in use", the endpoint gone for the rest of the run).
        for (const p of [proxies[provider]].flat())
          await p.addToxic({
            name: 'cut',
            type: 'reset_peer',
            stream: 'upstream',
            attributes: { timeout: 0 },
          });
        // The per-store identities' stores change now: their new clients need tokens in the cut.
        if (provider === 'identity') for (const name of IDENTITY_STORES) await touchStore(name);
        await sleep(CUT_MS);
        for (const p of [proxies[provider]].flat()) await p.removeToxic('cut');
        cut.to = Date.now();
      }
    })(),
  );

  // Rotations: each control rotates every ROTATE_MS and times its Secret.
  const rotations = controls.map((c) =>
    background(
      `rotation ${c.name}`,
      (async () => {
        while (Date.now() + ROTATE_MS < soakEnd) {
          const tick = Date.now();
          const value = newCanary();
          await c.rotate(value);
          const at = Date.now();
          const r: Control['rotations'][number] = { at: at - soakStart, boundMs: 0 };
          c.rotations.push(r);
          for (;;) {
            if ((await secretValue(c.secret)) === value) {
              r.latencyMs = Date.now() - at;
              break;
            }
            // The bound can grow while waiting (a cut that starts after the rotation).
            r.boundMs = c.deadline(at) - at;
            if (Date.now() > at + r.boundMs + 30_000) break;
            await sleep(250);
          }
          r.boundMs = c.deadline(at) - at;
          c.value = value;
          const rest = tick + ROTATE_MS - Date.now();
          if (rest > 0) await sleep(rest);
        }
      })(),
    ),
  );

  // The churn namespace, over and over.
  let churnRounds = 0;
  const churn = background(
    'churn',
    (async () => {
      while (Date.now() + CHURN_HOLD_MS < soakEnd) {
        await churnRound();
        churnRounds++;
      }
    })(),
  );

  // Integrity of the healthy Secrets, every 2 s; and the process, throughout.
  const lost: string[] = [];
  let integrityReads = 0;
  const healthySecrets = new Map([
    ...controls.map((c) => [c.secret, ['value']] as [string, string[]]),
    ...cases.flatMap((c) =>
      c.es.filter((e) => e.expect === 'synced').map((e) => [e.name, ['value']] as [string, string[]]),
    ),
  ]);
  const watcher = background(
    'integrity',
    (async () => {
      while (soaking) {
        const now = await managedSecrets(ns);
        integrityReads++;
        // Before their first sync (outage at start) a usable store's Secret may not exist yet.
        for (const l of losses(healthySecrets, now))
          if (!l.endsWith('deleted') || integrityReads > 30) lost.push(`${Date.now() - soakStart} ms: ${l}`);
        await sleep(2000);
      }
    })(),
  );
  const exitedEarly = proc!.exited.then((code) => `exited with ${code}`);

  await Promise.race([sleep(soakEnd - Date.now()), exitedEarly]);
  soaking = false;
  await Promise.all([outages, ...rotations, churn, watcher]);
  const state = await Promise.race([exitedEarly, sleep(100).then(() => 'running')]);
  expect(state).toBe('running');

  // After the last outage every usable ExternalSecret is back within one backoff delay.
  const lastCut = Math.max(...cuts.map((c) => c.to ?? Date.now()));
  const recoverBy = lastCut + pendingDelayAt(CUT_MS, ATTEMPT_MS) + HEALTHY_REFRESH_MS + SLACK_MS;
  await eventually(
    async () => {
      for (const c of cases)
        for (const e of c.es.filter((x) => x.expect === 'synced'))
          expect({ es: e.name, ...ready(await readEs(ns, e.name)) }).toMatchObject({
            es: e.name,
            status: 'True',
          });
    },
    {
      timeoutMs: Math.max(10_000, recoverBy - Date.now()),
      what: 'usable ExternalSecrets Ready=True after the outages',
    },
  );

  // The process.
  const alive = (() => {
    try {
      process.kill(proc!.pid, 0);
      return true;
    } catch {
      return false;
    }
  })();
  const health = async (path: string) =>
    (await fetch(`http://127.0.0.1:${proc!.metricsPort}${path}`, { signal: AbortSignal.timeout(5000) }))
      .status;
  const healthz = await health('/healthz');
  const readyz = await health('/readyz');
  const metrics = await metricsText(proc!.metricsPort);
  const unexpected = counter(metrics, 'secretsync_unexpected_rejections_total');
  const unexpectedPresent = /^secretsync_unexpected_rejections_total/m.test(metrics);

  // Stores and ExternalSecrets.
  const storeRows: Record<string, unknown>[] = [];
  const storeProblems: string[] = [];
  for (const c of cases.filter((x) => x.store)) {
    const cond = await readStoreCondition(c);
    const row = {
      store: `${c.kind}/${c.name}`,
      status: cond?.status,
      reason: cond?.reason,
      message: cond?.message?.slice(0, 300),
    };
    storeRows.push(row);
    const transitionedInCut =
      cond?.lastTransitionTime !== undefined &&
      (c.provider === 'gcp' || c.provider === 'aws') &&
      inCut(c.provider, Date.parse(cond.lastTransitionTime));
    const noted = cond?.status === 'True' && /;/.test(cond.message ?? '');
    const falseWithReason = cond?.status === 'False' && Boolean(cond.reason) && Boolean(cond.message);
    const ok = {
      false: falseWithReason,
      noted: noted || (cond?.status === 'False' && transitionedInCut),
      true: cond?.status === 'True' || (cond?.status === 'False' && transitionedInCut),
      'false-or-noted': falseWithReason || noted,
    }[c.storeExpect!];
    if (!ok) storeProblems.push(`${row.store}: expected ${c.storeExpect}, got ${JSON.stringify(cond)}`);
  }
  const esRows: Record<string, unknown>[] = [];
  const esProblems: string[] = [];
  for (const c of cases) {
    for (const e of c.es) {
      const cond = ready(await readEs(ns, e.name));
      esRows.push({
        es: e.name,
        store: `${c.kind}/${c.name}`,
        status: cond.status,
        reason: cond.reason,
        message: cond.message?.slice(0, 200),
      });
      if (e.expect === 'failing' && !(cond.status === 'False' && cond.reason && cond.message))
        esProblems.push(`${e.name}: expected Ready=False with a reason, got ${JSON.stringify(cond)}`);
    }
  }

  // Attempts per ExternalSecret, from the controller's own log lines (whole run).
  const attemptsMax =
    attemptSchedule(SOAK_MS + 120_000, 0).length +
    Math.ceil((Date.now() - soakStart + 120_000) / FAILING_REFRESH_MS) +
    2;
  const attempts = new Map<string, number>();
  for (const l of proc!.logs) {
    if (typeof l.externalSecret !== 'string') continue;
    // Every attempt ends in one of these (a failure that retrying cannot fix is `reconciled` with
    // a requeue at the next refresh).
    if (!/^reconcile (failed|stopped)|^reconciled$/.test(String(l.msg))) continue;
    attempts.set(l.externalSecret, (attempts.get(l.externalSecret) ?? 0) + 1);
  }
  const failingKeys = cases.flatMap((c) =>
    c.es.filter((e) => e.expect === 'failing').map((e) => `${ns}/${e.name}`),
  );
  const attemptsByEs = Object.fromEntries(
    failingKeys.map((k) => [k.slice(ns.length + 1), attempts.get(k) ?? 0]),
  );
  const hotEs = Object.entries(attemptsByEs).filter(([, n]) => n > attemptsMax);

  // Provider calls per failing store: per attempt at most a version check and a value read per key
  // (AWS checks with GetSecretValue where DescribeSecret is denied), plus validations (at start,
  // on every store change, every 5 min), each at most three calls (the call and the probes of
  // optional permissions).
  const elapsed = Date.now() - soakStart + 120_000;
  const validations = Math.ceil(elapsed / 300_000) + 2;
  const callRows: Record<string, unknown>[] = [];
  const hotStores: string[] = [];
  const byProject = new Map<string, Case[]>();
  const byUser = new Map<string, Case[]>();
  for (const c of cases) {
    if (c.callsIn?.gcpProject)
      byProject.set(c.callsIn.gcpProject, [...(byProject.get(c.callsIn.gcpProject) ?? []), c]);
    if (c.callsIn?.awsUser) byUser.set(c.callsIn.awsUser, [...(byUser.get(c.callsIn.awsUser) ?? []), c]);
  }
  const boundFor = (cs: Case[]) =>
    cs.reduce(
      (sum, c) =>
        sum +
        3 * validations +
        c.es.reduce(
          (s, e) =>
            s +
            2 *
              e.keys *
              (e.expect === 'failing' ? attemptsMax : Math.ceil(elapsed / HEALTHY_REFRESH_MS) + attemptsMax),
          0,
        ),
      0,
    );
  for (const [p, cs] of byProject) {
    const n = controllerCalls(await sm.calls(p));
    // The accessor project also serves the healthy control and the churn namespace.
    const healthy = p === P.accessor;
    const bound = healthy ? undefined : boundFor(cs);
    callRows.push({
      where: `gcp project ${p}`,
      stores: cs.map((c) => `${c.kind}/${c.name}`),
      calls: n,
      bound,
    });
    if (bound !== undefined && n > bound) hotStores.push(`${p}: ${n} calls > ${bound}`);
  }
  for (const [u, cs] of byUser) {
    const counts = await strictCallCounts(awsUsers.get(u)!.accessKeyId);
    const n = Object.values(counts).reduce((a, b) => a + b, 0);
    const healthy = u === 'nobatch';
    const bound = healthy ? undefined : boundFor(cs);
    callRows.push({
      where: `aws user ${u}`,
      stores: cs.map((c) => `${c.kind}/${c.name}`),
      calls: n,
      byAction: counts,
      bound,
    });
    if (bound !== undefined && n > bound) hotStores.push(`${u}: ${n} calls > ${bound}`);
  }

  // Healthy controls: latency of every rotation, and the rollouts they caused.
  const late: string[] = [];
  const controlRows: Record<string, unknown>[] = [];
  for (const c of controls) {
    for (const r of c.rotations)
      if (r.latencyMs === undefined || r.latencyMs > r.boundMs)
        late.push(`${c.name} rotated at ${r.at} ms: ${r.latencyMs ?? 'never'} ms > ${r.boundMs} ms`);
    const lat = c.rotations.map((r) => r.latencyMs ?? Infinity);
    controlRows.push({
      control: c.name,
      rotations: c.rotations.length,
      latencyMsMedian: [...lat].sort((a, b) => a - b)[Math.floor(lat.length / 2)],
      latencyMsMax: Math.max(...lat),
      boundMsMin: Math.min(...c.rotations.map((r) => r.boundMs)),
      deploymentRevisions: await revision(c.name),
      detail: c.rotations.map((r) => `at ${r.at} ms: ${r.latencyMs ?? 'never'} ms (bound ${r.boundMs} ms)`),
    });
  }
  // One rollout per rotation that reached its Secret (none missed, none doubled).
  const rollouts = controlRows.map((r) => ({
    control: r.control,
    rollouts: (r.deploymentRevisions as number) - 1,
    rotationsArrived: controls
      .find((c) => c.name === r.control)!
      .rotations.filter((x) => x.latencyMs !== undefined).length,
  }));

  // Leaks: process output, metrics, Events and statuses; the strict users' secret keys too.
  const sweep = await sweepCluster();
  const text = proc!.text();
  const leaks: Leak[] = [
    ...sweep.leaks,
    ...findCanaries('controller process output', text),
    ...findCanaries('metrics', metrics),
  ];
  for (const [u, k] of awsUsers)
    if (text.includes(k.secretAccessKey))
      leaks.push({ where: 'controller process output', match: `secret key of ${u}` });

  const warnings = proc!.logs.filter((l) => l.level === 40).length;
  const errorsLogged = proc!.logs.filter((l) => Number(l.level) >= 50);
  recordFigures('failing-stores', {
    soakMs: SOAK_MS,
    elapsedMs: Date.now() - soakStart,
    cutMs: CUT_MS,
    cuts: cuts.map((c) => ({
      provider: c.provider,
      fromMs: c.from - soakStart,
      toMs: (c.to ?? 0) - soakStart,
    })),
    processExited: state !== 'running',
    pidAlive: alive,
    healthz,
    readyz,
    unexpectedRejectionsMetricPresent: unexpectedPresent,
    unexpectedRejections: unexpected,
    stores: storeRows.length,
    externalSecrets: esRows.length + controls.length,
    storeProblems,
    esProblems,
    churnRounds,
    controls: controlRows,
    rollouts,
    lateRotations: late,
    healthySecretsLost: lost,
    integrityReads,
    attemptsPerFailingEsMax: Math.max(...Object.values(attemptsByEs)),
    attemptsPerFailingEsBound: attemptsMax,
    attemptsByEs,
    providerCalls: callRows,
    logLines: proc!.logs.length,
    warningLines: warnings,
    errorLines: errorsLogged.length,
    errorLinesSample: errorsLogged
      .slice(0, 5)
      .map((l) => `${String(l.msg)}: ${String(l.err ?? '').slice(0, 200)}`),
    canaryLeaks: leaks,
    backgroundErrors: errors,
    storesAtEnd: storeRows,
    externalSecretsAtEnd: esRows,
  });

  expect(errors).toEqual([]);
  expect(state).toBe('running');
  expect(alive).toBe(true);
  expect(healthz).toBe(200);
  expect(readyz).toBe(200);
  expect(unexpectedPresent).toBe(true);
  expect(unexpected).toBe(0);
  expect(storeProblems).toEqual([]);
  expect(esProblems).toEqual([]);
  expect(leaks).toEqual([]);
  expect(lost).toEqual([]);
  expect(hotEs).toEqual([]);
  expect(hotStores).toEqual([]);
  expect(late).toEqual([]);
  expect(churnRounds).toBeGreaterThanOrEqual(2);
  for (const r of rollouts) expect(r).toEqual({ ...r, rollouts: r.rotationsArrived });
});
