// ESO's target policies, refresh policies, templates and dataFrom against the real apiserver.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const { core } = clients();
let ns: string;
let ctl: TestController | undefined;

const storeYaml = (data: { key: string; value: string }[]) => `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  provider:
    fake:
      data: ${JSON.stringify(data)}
`;

const baseData = [
  { key: 'user', value: 'alice' },
  { key: 'pass', value: CANARY },
  { key: 'app/config', value: JSON.stringify({ host: 'db', port: '5432' }) },
  { key: 'app/token', value: 'tkn' },
  { key: 'other/x', value: 'nope' },
];

function esYaml(name: string, spec: string): string {
  return `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
${spec}`;
}

const waitReady = (name: string) =>
  eventually(
    async () => {
      const e = await readEs(ns, name);
      expect(ready(e)).toMatchObject({ status: 'True' });
      return e;
    },
    { timeoutMs: 20000, what: `${name} Ready` },
  );

beforeAll(async () => {
  ns = await createNamespace('es-policy');
  await installDeploy();
  await applyYaml(storeYaml(baseData));
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  expect(ctl?.logs.join('')).not.toContain(CANARY);
});

test('Orphan: no owner reference', async () => {
  await applyYaml(
    esYaml('orphan', '  target: {creationPolicy: Orphan}\n  data: [{secretKey: u, remoteRef: {key: user}}]'),
  );
  await waitReady('orphan');
  const s = await readSecret(ns, 'orphan');
  expect(decoded(s)).toEqual({ u: 'alice' });
  expect(s?.metadata?.ownerReferences ?? []).toEqual([]);
});

test('Merge: adds only our keys to an existing Secret; missing Secret → SecretMissing', async () => {
  await applyYaml(
    esYaml(
      'merge-missing',
      '  target: {creationPolicy: Merge}\n  data: [{secretKey: u, remoteRef: {key: user}}]',
    ),
  );
  await eventually(
    async () =>
      expect(ready(await readEs(ns, 'merge-missing'))).toMatchObject({
        status: 'False',
        reason: 'SecretMissing',
      }),
    {
      timeoutMs: 20000,
      what: 'SecretMissing',
    },
  );
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'shared' }, stringData: { theirs: 'keep' } },
  });
  await applyYaml(
    esYaml(
      'merge',
      '  target: {name: shared, creationPolicy: Merge}\n  data: [{secretKey: u, remoteRef: {key: user}}]',
    ),
  );
  await waitReady('merge');
  expect(decoded(await readSecret(ns, 'shared'))).toEqual({ theirs: 'keep', u: 'alice' });
});

test('None: fetches and reports, writes no Secret', async () => {
  await applyYaml(
    esYaml('none', '  target: {creationPolicy: None}\n  data: [{secretKey: u, remoteRef: {key: user}}]'),
  );
  const e = await waitReady('none');
  expect(ready(e).message).toMatch(/creationPolicy None/);
  expect(await readSecret(ns, 'none')).toBeUndefined();
});

test('template: Go template syntax, type and metadata', async () => {
  await applyYaml(
    esYaml(
      'templated',
      `  target:
    template:
      type: kubernetes.io/basic-auth
      metadata: {labels: {team: payments}}
      data:
        username: '{{ .user | upper }}'
        password: '{{ .pass }}'
        dsn: '{{ with (.cfg | fromJson) }}postgres://{{ $.user }}@{{ .host }}:{{ .port }}{{ end }}'
  data:
    - {secretKey: user, remoteRef: {key: user}}
    - {secretKey: pass, remoteRef: {key: pass}}
    - {secretKey: cfg, remoteRef: {key: app/config}}`,
    ),
  );
  await waitReady('templated');
  const s = await readSecret(ns, 'templated');
  expect(s?.type).toBe('kubernetes.io/basic-auth');
  expect(s?.metadata?.labels?.team).toBe('payments');
  expect(decoded(s)).toEqual({ username: 'ALICE', password: CANARY, dsn: 'postgres://alice@db:5432' });
});

test('a template error is reported with Ready=False naming the problem, never the value', async () => {
  await applyYaml(
    esYaml(
      'badtemplate',
      `  target:\n    template:\n      data: {x: '{{ .pass | pkcs12cert }}'}\n  data: [{secretKey: pass, remoteRef: {key: pass}}]`,
    ),
  );
  const c = await eventually(
    async () => {
      const r = ready(await readEs(ns, 'badtemplate'));
      expect(r).toMatchObject({ status: 'False', reason: 'TemplateError' });
      return r;
    },
    { timeoutMs: 20000, what: 'TemplateError' },
  );
  expect(c.message).toMatch(/pkcs12cert/);
  expect(c.message).not.toContain(CANARY);
});

test('dataFrom: extract, find by path and regexp, rewrite', async () => {
  await applyYaml(
    esYaml(
      'datafrom',
      `  dataFrom:
    - extract: {key: app/config}
    - find: {path: app/, name: {regexp: "token$"}}
      rewrite:
        - regexp: {source: "^app/(.*)$", target: "app_$1"}`,
    ),
  );
  await waitReady('datafrom');
  expect(decoded(await readSecret(ns, 'datafrom'))).toEqual({ host: 'db', port: '5432', app_token: 'tkn' });
});

test('deletionPolicy Delete removes the Secret when the remote key is confirmed gone; Retain keeps it', async () => {
  await applyYaml(storeYaml([...baseData, { key: 'ephemeral', value: 'e' }]));
  await applyYaml(
    esYaml(
      'delete-me',
      '  target: {deletionPolicy: Delete}\n  data: [{secretKey: v, remoteRef: {key: ephemeral}}]',
    ),
  );
  await applyYaml(esYaml('retain-me', '  data: [{secretKey: v, remoteRef: {key: ephemeral}}]'));
  await waitReady('delete-me');
  await waitReady('retain-me');
  await applyYaml(storeYaml(baseData));
  await eventually(async () => expect(await readSecret(ns, 'delete-me')).toBeUndefined(), {
    timeoutMs: 20000,
    what: 'deleted',
  });
  await eventually(
    async () => expect(ready(await readEs(ns, 'retain-me')).reason).toBe('RemoteKeyNotFound'),
    {
      timeoutMs: 20000,
      what: 'retain reason',
    },
  );
  expect(decoded(await readSecret(ns, 'retain-me'))).toEqual({ v: 'e' });
});

test('immutable: the Secret is created immutable', async () => {
  await applyYaml(
    esYaml('frozen', '  target: {immutable: true}\n  data: [{secretKey: u, remoteRef: {key: user}}]'),
  );
  await waitReady('frozen');
  expect((await readSecret(ns, 'frozen'))?.immutable).toBe(true);
});

test('refreshPolicy CreatedOnce: a store change does not rewrite the Secret, Periodic follows it', async () => {
  await applyYaml(
    esYaml('once', '  refreshPolicy: CreatedOnce\n  data: [{secretKey: u, remoteRef: {key: user}}]'),
  );
  await waitReady('once');
  const rv = (await readSecret(ns, 'once'))?.metadata?.resourceVersion;
  await applyYaml(storeYaml(baseData.map((d) => (d.key === 'user' ? { key: 'user', value: 'bob' } : d))));
  // The Periodic ExternalSecret on the same store proves the store change was processed.
  await eventually(async () => expect(decoded(await readSecret(ns, 'orphan'))).toEqual({ u: 'bob' }), {
    timeoutMs: 20000,
    what: 'Periodic follows the store',
  });
  const once = await readSecret(ns, 'once');
  expect(decoded(once)).toEqual({ u: 'alice' });
  expect(once?.metadata?.resourceVersion).toBe(rv);
});
