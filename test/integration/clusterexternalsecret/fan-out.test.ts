// A ClusterExternalSecret against the real apiserver and garbage collector: the fan-out controller
// runs as the `secretsync` ServiceAccount with deploy/'s RBAC, and watches every namespace (as it
// does in the controller process when no --namespace is set). Namespaces are picked by a label
// unique to this run, so the other test files' namespaces are never selected. A controller scoped
// to the first namespace syncs the ExternalSecret created there into its Secret.
import type { KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ClusterExternalSecret, ExternalSecret } from '../../../src/api/generated';
import { runStatus } from '../../../src/cli/status';
import { ClusterExternalSecretController } from '../../../src/controllers/clusterexternalsecret/controller';
import { Metrics } from '../../../src/observability/metrics';
import {
  controllerKubeConfig,
  installDeploy,
  startController,
  type TestController,
} from '../../support/controller';
import { createObject, decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, deleteNamespace } from '../../support/kube';

// refreshTime is 1h: everything below must follow from watch events, within seconds.
const REFRESH_TIME = '1h';
const EVENT_DEADLINE_MS = 20_000;
// The garbage collector (kube-controller-manager) watches a newly installed CRD's resource only
// from its next discovery resync (every 30 s), then deletes the dependents: measured 14 s here.
const GC_DEADLINE_MS = 60_000;

const suffix = randomBytes(3).toString('hex');
const LABEL = `ces-fan-out-${suffix}`;
const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const STORE = `ces-fake-${suffix}`;
const CES = `ces-${suffix}`;
const ES_NAME = 'shared-token';
const { core, objects } = clients();

const ns = (x: string) => `ces-${x}-${suffix}`;
const [A, B, C, D, E, F] = ['a', 'b', 'c', 'd', 'e', 'f'].map(ns) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

const logs: string[] = [];
let fanOut: ClusterExternalSecretController | undefined;
let fanOutRun: Promise<void> | undefined;
let ctl: TestController | undefined;

async function createNs(name: string, labelled: boolean): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels: labelled ? { [LABEL]: 'yes' } : {} } } });
}

async function setLabel(name: string, value: string | null): Promise<void> {
  const path = `/metadata/labels/${LABEL}`;
  await core.patchNamespace({
    name,
    body: [value === null ? { op: 'remove', path } : { op: 'add', path, value }],
  });
}

async function readCes(): Promise<ClusterExternalSecret> {
  return (await objects.read({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: { name: CES },
  })) as unknown as ClusterExternalSecret;
}

async function findEs(namespace: string, name = ES_NAME): Promise<ExternalSecret | undefined> {
  try {
    return (await objects.read({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name, namespace },
    })) as unknown as ExternalSecret;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function foreignEs(namespace: string): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: ES_NAME, namespace, labels: { mine: 'yes' } },
    spec: {
      refreshInterval: '5m',
      secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
      data: [{ secretKey: 'other', remoteRef: { key: 'other' } }],
    },
  };
}

const provisioned = async (expected: string[]) =>
  eventually(
    async () => {
      const status = (await readCes()).status;
      expect(status?.provisionedNamespaces).toEqual(expected);
      return status!;
    },
    { timeoutMs: EVENT_DEADLINE_MS, what: `provisionedNamespaces ${expected.join(',')}` },
  );

beforeAll(async () => {
  await installDeploy();
  for (const [name, labelled] of [
    [A, true],
    [B, true],
    [C, true],
    [E, false],
    [F, false],
  ] as const)
    await createNs(name, labelled);
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: STORE },
    spec: {
      provider: {
        fake: {
          data: [
            { key: 'token', value: CANARY },
            { key: 'other', value: 'other' },
          ],
        },
      },
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  fanOut = new ClusterExternalSecretController({
    kc: await controllerKubeConfig(),
    logger: pino({ level: 'debug' }, sink),
    metrics: new Metrics(),
  });
  await fanOut.start();
  fanOutRun = fanOut.run();
  ctl = await startController(A);
});

afterAll(async () => {
  await fanOut?.stop();
  await fanOutRun;
  await ctl?.stop();
  await objects
    .delete({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterExternalSecret',
      metadata: { name: CES },
    } as KubernetesObject)
    .catch(() => undefined);
  await objects
    .delete({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: STORE },
    } as KubernetesObject)
    .catch(() => undefined);
  await Promise.all([A, B, C, D, E, F].map(deleteNamespace));
  // Values never leave through the fan-out's logs or the ClusterExternalSecret's status.
  expect(logs.join('')).not.toContain(CANARY);
  expect([...logs, ...(ctl?.logs ?? [])].join('')).not.toContain(CANARY);
});

test('a ClusterExternalSecret over three labelled namespaces, a label removed, a namespace added, a clash', async () => {
  // Namespace E already holds an ExternalSecret of that name that is not the ClusterExternalSecret's.
  const theirs = (await createObject(foreignEs(E))) as ExternalSecret;
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: { name: CES },
    spec: {
      externalSecretName: ES_NAME,
      externalSecretMetadata: { labels: { team: 'platform' }, annotations: { owner: 'platform-team' } },
      namespaceSelectors: [{ matchLabels: { [LABEL]: 'yes' } }],
      refreshTime: REFRESH_TIME,
      externalSecretSpec: {
        refreshInterval: '1h',
        secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
      },
    },
  });
  const ces = await readCes();

  // Three labelled namespaces: one ExternalSecret each, controlled by the ClusterExternalSecret.
  const status = await provisioned([A, B, C]);
  expect(status.externalSecretName).toBe(ES_NAME);
  expect(status.failedNamespaces).toEqual([]);
  expect(status.conditions).toEqual([
    expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Provisioned' }),
  ]);
  for (const n of [A, B, C]) {
    const es = await findEs(n);
    expect(es?.metadata?.labels).toEqual({ team: 'platform' });
    expect(es?.metadata?.annotations).toEqual({ owner: 'platform-team' });
    expect(es?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterExternalSecret',
        name: CES,
        uid: ces.metadata?.uid,
        controller: true,
      },
    ]);
    expect(es?.spec).toMatchObject({
      refreshInterval: '1h',
      data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
    });
  }
  // The ExternalSecret controller of namespace A syncs it: the fan-out makes real ExternalSecrets.
  await eventually(async () => expect(decoded(await readSecret(A, ES_NAME))).toEqual({ token: CANARY }), {
    timeoutMs: EVENT_DEADLINE_MS,
    what: `Secret ${A}/${ES_NAME}`,
  });

  // A label removed: that namespace loses its ExternalSecret.
  await setLabel(B, null);
  await provisioned([A, C]);
  await eventually(async () => expect(await findEs(B)).toBeUndefined(), {
    timeoutMs: EVENT_DEADLINE_MS,
    what: `no ExternalSecret in ${B}`,
  });

  // A namespace added with the label: it gains one.
  await createNs(D, true);
  await provisioned([A, C, D]);
  expect((await findEs(D))?.metadata?.ownerReferences?.[0]?.uid).toBe(ces.metadata?.uid);

  // A clash: E is labelled but its ExternalSecret is not ours. E fails; the object is untouched.
  await setLabel(E, 'yes');
  const failed = await eventually(
    async () => {
      const s = (await readCes()).status;
      expect(s?.failedNamespaces?.map((f) => f.namespace)).toEqual([E]);
      return s!;
    },
    { timeoutMs: EVENT_DEADLINE_MS, what: `${E} failed` },
  );
  expect(failed.provisionedNamespaces).toEqual([A, C, D]);
  expect(failed.failedNamespaces?.[0]?.reason).toContain(`not owned by ClusterExternalSecret ${CES}`);
  expect(failed.conditions).toEqual([
    expect.objectContaining({ type: 'Ready', status: 'False', reason: 'NamespacesFailed' }),
  ]);
  const after = await findEs(E);
  expect(after?.metadata?.uid).toBe(theirs.metadata?.uid);
  expect(after?.metadata?.ownerReferences).toBeUndefined();
  expect(after?.metadata?.labels).toEqual({ mine: 'yes' });
  expect(after?.spec).toEqual(theirs.spec);

  // A clash that goes away: F's ExternalSecret is deleted, and F gets the ClusterExternalSecret's.
  await createObject(foreignEs(F));
  await setLabel(F, 'yes');
  await eventually(
    async () => expect((await readCes()).status?.failedNamespaces?.map((f) => f.namespace)).toEqual([E, F]),
    { timeoutMs: EVENT_DEADLINE_MS, what: `${E} and ${F} failed` },
  );
  await objects.delete(foreignEs(F) as KubernetesObject);
  await provisioned([A, C, D, F]);
  expect((await findEs(F))?.metadata?.ownerReferences?.[0]?.uid).toBe(ces.metadata?.uid);

  // An ExternalSecret edited by hand is put back.
  await objects.patch(
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: ES_NAME, namespace: C },
      spec: { refreshInterval: '5m' },
    } as KubernetesObject,
    undefined,
    undefined,
    undefined,
    undefined,
    'application/merge-patch+json' as never,
  );
  await eventually(async () => expect((await findEs(C))?.spec.refreshInterval).toBe('1h'), {
    timeoutMs: EVENT_DEADLINE_MS,
    what: `${C}'s ExternalSecret put back`,
  });

  expect(JSON.stringify((await readCes()).status)).not.toContain(CANARY);

  // `secretsync status` (all namespaces) lists it after the ExternalSecrets.
  const printed: string[] = [];
  const kubeconfig = process.env.KUBECONFIG!;
  expect(await runStatus({ kubeconfig }, (s) => printed.push(...s.split('\n')))).toBe(0);
  expect(printed).toContainEqual(
    expect.stringMatching(/^CLUSTEREXTERNALSECRET +EXTERNALSECRET +NAMESPACES +FAILED +READY/),
  );
  expect(printed).toContainEqual(
    expect.stringMatching(new RegExp(`^${CES} +${ES_NAME} +4 +${E} +False +1 namespace failed`)),
  );

  // Deleting the ClusterExternalSecret deletes its ExternalSecrets (garbage collector), not E's.
  await objects.delete({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: { name: CES },
  } as KubernetesObject);
  await eventually(
    async () => {
      for (const n of [A, C, D, F]) expect(await findEs(n)).toBeUndefined();
    },
    { timeoutMs: GC_DEADLINE_MS, what: 'the ExternalSecrets garbage-collected' },
  );
  expect((await findEs(E))?.metadata?.uid).toBe(theirs.metadata?.uid);
});

test('the apiserver refuses a ClusterExternalSecret whose selector could never match, or whose ExternalSecret would be refused', async () => {
  const attempt = (spec: Record<string, unknown>) =>
    createObject({
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ClusterExternalSecret',
      metadata: { name: `${CES}-bad` },
      spec: {
        externalSecretSpec: {
          secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
          data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
        },
        ...spec,
      },
    }).then(
      () => 'created',
      (err: { code?: number; body?: unknown }) => `${err.code} ${String(err.body)}`,
    );
  expect(
    await attempt({ namespaceSelectors: [{ matchExpressions: [{ key: LABEL, operator: 'In' }] }] }),
  ).toMatch(/^422 .*In and NotIn need at least one value/);
  expect(
    await attempt({
      namespaceSelectors: [{ matchExpressions: [{ key: LABEL, operator: 'Equals', values: ['a'] }] }],
    }),
  ).toMatch(/^422 .*operator: Unsupported value: .*Equals/);
  expect(await attempt({ refreshTime: 'soon' })).toMatch(/^422 .*must be a duration/);
  expect(
    await attempt({ externalSecretSpec: { secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' } } }),
  ).toMatch(/^422 .*either data or dataFrom must be set/);
});
