// Security checks against the shared testbed, with the controller running in-process as the
// `secretsync` ServiceAccount (deploy/'s RBAC):
//  - a namespaced store cannot reach another namespace: a SecretStore of another namespace is not
//    found; gcpsm auth.secretRef / workloadIdentity and aws auth.jwt references that name another
//    namespace are refused before anything is read; a ClusterSecretStore's conditions hold;
//  - a Secret the ExternalSecret does not own is never overwritten (no owner, another owner);
//  - a Secret over the 1 MiB limit is reported naming the limit, and not retried in a loop;
//  - canaries planted in every store never show in logs, Events, status (cluster-wide, so the
//    scenarios that ran before are swept too), metrics or CLI output (status, sync, validate).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { installDeploy, startController, type TestController } from '../support/controller';
import { kubectl } from '../support/apply';
import { createObject, eventsFor, readEs, readSecret, ready } from '../support/es';
import { eventually } from '../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../support/kube';
import { findCanaries, newCanary, runCli, sweepCluster } from './support/canary';
import { metricsText } from './support/cluster';
import { IN_PROCESS, recordFigures, saveLogs } from './support/knobs';

const { core } = clients();
let a: string; // the other namespace
let b: string; // where the ExternalSecrets live
let ctl: TestController | undefined;
const canary = newCanary();
const keyFileCanary = newCanary();
const figures: Record<string, unknown> = {};

const es = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name, namespace: b },
  spec: { refreshInterval: '1h', ...spec },
});
const fakeStore = (ns: string, name: string, data: { key: string; value: string }[]) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name, namespace: ns },
  spec: { provider: { fake: { data } } },
});

async function condition(name: string, want: { status: string; reason?: string }, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const c = ready(await readEs(b, name));
      expect(c).toMatchObject(want);
      return c;
    },
    { timeoutMs, what: `${name} ${JSON.stringify(want)}` },
  );
}

beforeAll(async () => {
  await installDeploy();
  a = await createNamespace('rs-sec-a');
  b = await createNamespace('rs-sec-b');
  await createObject(fakeStore(a, 'fake-a', [{ key: 'k', value: canary }]));
  await createObject(
    fakeStore(b, 'fake', [
      { key: 'k', value: canary },
      { key: 'big', value: 'x'.repeat(800 * 1024) },
    ]),
  );
  // A key file in the other namespace that a store in b must not be able to use.
  await core.createNamespacedSecret({
    namespace: a,
    body: {
      metadata: { name: 'gsa-key' },
      stringData: { 'key.json': JSON.stringify({ type: 'service_account', private_key: keyFileCanary }) },
    },
  });
  await core.createNamespacedServiceAccount({ namespace: a, body: { metadata: { name: 'app' } } });
  ctl = await startController(b, IN_PROCESS);
});

afterAll(async () => {
  await ctl?.stop();
  saveLogs('security-controller', ctl?.logs);
  await clients()
    .objects.delete({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: `only-${a}` },
    })
    .catch(() => undefined);
  await deleteNamespace(a);
  await deleteNamespace(b);
});

describe('a namespaced store cannot reach another namespace', () => {
  test('a SecretStore of another namespace is not found from this one', async () => {
    await createObject(
      es('other-ns-store', {
        secretStoreRef: { name: 'fake-a' },
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    const c = await condition('other-ns-store', { status: 'False', reason: 'StoreNotFound' });
    expect(c.message).toContain(`SecretStore fake-a in namespace ${b}`);
    expect(await readSecret(b, 'other-ns-store')).toBeUndefined();
  });

  test.each([
    [
      'gcpsm auth.secretRef (key file in another namespace)',
      {
        gcpsm: {
          projectID: 'p',
          auth: {
            secretRef: { secretAccessKeySecretRef: { name: 'gsa-key', key: 'key.json', namespace: 'A' } },
          },
        },
      },
      /secretAccessKeySecretRef names namespace/,
    ],
    [
      'gcpsm workloadIdentity (ServiceAccount in another namespace)',
      {
        gcpsm: {
          projectID: 'p',
          auth: {
            workloadIdentity: {
              serviceAccountRef: { name: 'app', namespace: 'A' },
              clusterProjectID: 'p',
              clusterLocation: 'l',
              clusterName: 'c',
            },
          },
        },
      },
      /serviceAccountRef names namespace/,
    ],
    [
      'aws auth.jwt (ServiceAccount in another namespace)',
      {
        aws: {
          service: 'SecretsManager',
          region: 'us-east-1',
          role: 'arn:aws:iam::123456789012:role/x',
          auth: { jwt: { serviceAccountRef: { name: 'app', namespace: 'A' } } },
        },
      },
      /serviceAccountRef names namespace/,
    ],
  ])('%s is refused before anything is read', async (what, provider, message) => {
    const name = `xns-${Object.keys(provider)[0]}-${what.includes('workload') ? 'wi' : 'ref'}`;
    const withNs = JSON.parse(JSON.stringify(provider).replaceAll('"A"', JSON.stringify(a))) as Record<
      string,
      unknown
    >;
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name, namespace: b },
      spec: { provider: withNs },
    });
    await createObject(
      es(name, { secretStoreRef: { name }, data: [{ secretKey: 'v', remoteRef: { key: 'k' } }] }),
    );
    const c = await condition(name, { status: 'False', reason: 'InvalidProviderConfig' });
    expect(c.message).toMatch(message);
    expect(c.message).toContain(`its own namespace "${b}"`);
    expect(await readSecret(b, name)).toBeUndefined();
    figures[`refused: ${what}`] = c.reason;
  });

  test("a ClusterSecretStore's namespace conditions hold", async () => {
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: `only-${a}` },
      spec: {
        provider: { fake: { data: [{ key: 'k', value: canary }] } },
        conditions: [{ namespaces: [a] }],
      },
    });
    await createObject(
      es('css-denied', {
        secretStoreRef: { name: `only-${a}`, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    await condition('css-denied', { status: 'False', reason: 'StoreNotAllowed' });
    expect(await readSecret(b, 'css-denied')).toBeUndefined();
  });
});

describe('a Secret the ExternalSecret does not own is never overwritten', () => {
  test.each([
    ['no owner', 'Owner', undefined],
    ['no owner, creationPolicy Orphan', 'Orphan', undefined],
    ['another controller owns it', 'Owner', 'configmap'],
  ])('%s', async (_what, creationPolicy, owner) => {
    const name = `taken-${creationPolicy.toLowerCase()}-${owner ?? 'none'}`;
    let ownerReferences;
    if (owner) {
      const cm = await core.createNamespacedConfigMap({
        namespace: b,
        body: { metadata: { name: `${name}-owner` } },
      });
      ownerReferences = [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: `${name}-owner`,
          uid: cm.metadata!.uid!,
          controller: true,
        },
      ];
    }
    const before = await core.createNamespacedSecret({
      namespace: b,
      body: { metadata: { name, ownerReferences }, stringData: { theirs: 'keep-me' } },
    });
    await createObject(
      es(name, {
        secretStoreRef: { name: 'fake' },
        target: { creationPolicy },
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    const c = await condition(name, { status: 'False', reason: 'SecretNotOwned' });
    expect(c.message).toContain('left unchanged');
    // Asked again (force-sync), it still leaves the Secret alone.
    await kubectl(['annotate', 'es', name, '-n', b, `force-sync=${Date.now()}`, '--overwrite']);
    await sleep(3000);
    const after = await readSecret(b, name);
    expect(after?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(Object.keys(after?.data ?? {})).toEqual(['theirs']);
  });
});

test('a Secret over 1 MiB is reported naming the limit and not retried in a loop', async () => {
  await createObject(
    es('oversize', {
      secretStoreRef: { name: 'fake' },
      data: [
        { secretKey: 'one', remoteRef: { key: 'big' } },
        { secretKey: 'two', remoteRef: { key: 'big' } },
      ],
    }),
  );
  const c = await condition('oversize', { status: 'False' });
  const firstFailure = Date.now();
  expect(c.message).toMatch(/1 MiB|1048576/);
  expect(await readSecret(b, 'oversize')).toBeUndefined();
  const WATCH_MS = 20_000;
  await sleep(WATCH_MS);
  const attempts = ctl!.logs
    .map((l) => JSON.parse(l) as { msg?: string; externalSecret?: string; time?: number })
    .filter((l) => l.externalSecret === `${b}/oversize` && (l.time ?? 0) >= firstFailure - 1000)
    .filter((l) => /reconcile failed|reconcile stopped|reconciled/.test(l.msg ?? '')).length;
  const warnings = (await eventsFor(b, 'oversize')).filter((e) => e.type === 'Warning').length;
  figures.oversize = {
    reason: c.reason,
    message: c.message,
    attemptsIn20s: attempts,
    warningEvents: warnings,
  };
  // One attempt, then none until the next refresh or a change (the 1 s-doubling backoff would
  // make 5 in 20 s and go on every 5 minutes for ever).
  expect(attempts).toBeLessThanOrEqual(2);
  expect(warnings).toBeLessThanOrEqual(1);
});

test('no canary in logs, Events, status, metrics or CLI output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-validate-'));
  const manifests = join(dir, 'stores.yaml');
  writeFileSync(
    manifests,
    [
      `apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: s, namespace: ${b}}\nspec:\n  provider:\n    fake:\n      data:\n        - {key: k, value: ${canary}, version: 7}\n        - {key: m, valueMap: {x: ${canary}}}\n        - {key: 42, value: ${canary}}`,
      // Values in the wrong shape: the problems must name the field, not quote the value.
      `apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: t, namespace: ${b}}\nspec:\n  provider:\n    fake: {data: [{key: k, value: {nested: ${canary}}}, {key: l, value: [${canary}]}, {key: n, value: ${canary}, extra: ${canary}}]}`,
    ].join('\n---\n'),
  );
  const cli = [
    await runCli(['status', '--wide']),
    await runCli(['status', '-n', b, '--wide']),
    await runCli(['sync', `${b}/oversize`, '--wait', '--timeout', '5s']),
    await runCli(['validate', manifests]),
  ];
  const sweep = await sweepCluster();
  const leaks = [
    ...sweep.leaks,
    ...findCanaries('controller logs', ctl!.logs.join('')),
    ...findCanaries('metrics', await metricsText(ctl!.metricsPort)),
    ...cli.flatMap((r, i) => findCanaries(`CLI output ${i}`, r.output)),
  ];
  recordFigures('security', {
    ...figures,
    eventsSwept: sweep.events,
    statusesSwept: sweep.statuses,
    logLines: ctl!.logs.length,
    cliCommands: cli.length,
    cliOutputBytes: cli.reduce((s, r) => s + r.output.length, 0),
    canaryLeaks: leaks.length,
    leakedIn: leaks.map((l) => l.where),
  });
  expect(cli[3]!.exitCode).toBe(1); // validate found the problems…
  expect(cli[3]!.output).toMatch(/problem/); // …and said so, without the values
  expect(leaks.map((l) => l.where)).toEqual([]);
});
