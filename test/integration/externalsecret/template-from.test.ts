// templateFrom end to end, the way a Kustomize user ships it: examples/gitops/kustomize/template-from
// (a configMapGenerator makes the template ConfigMap, hash-suffixed; the nameref component carries
// the suffix into templateFrom[].configMap.name) rendered with `kubectl kustomize`, applied, and
// synced. Then the ConfigMap edited in place, the overlay re-rendered with another template (a new
// hash), a template kept in a Secret, and a missing source (Ready=False naming it, the last good
// Secret kept, synced once it appears).
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { applyYaml, kubectl } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

jest.setTimeout(90_000);

/** A sync against the in-process fake provider: informer delivery, two GETs, one fetch, one write. */
const SYNC_MS = 15_000;
const repo = join(__dirname, '..', '..', '..');
const example = join(repo, 'examples', 'gitops', 'kustomize', 'template-from');
const CANARY = `canary-${randomBytes(6).toString('hex')}`;

type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };

let ns: string;
let ctl: TestController | undefined;
let scratch: string;

beforeAll(async () => {
  ns = await createNamespace('es-tfrom');
  scratch = mkdtempSync(join(tmpdir(), 'tfrom-'));
  await installDeploy();
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'secrets', namespace: ns },
    spec: {
      provider: {
        fake: {
          data: [
            { key: 'shop-db-username', value: 'shop' },
            { key: 'shop-db-password', value: `p@ss ${CANARY}` },
          ],
        },
      },
    },
  });
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  rmSync(scratch, { recursive: true, force: true });
});

/** `kubectl kustomize dir`, moved into this test's namespace. */
async function rendered(dir: string): Promise<Obj[]> {
  return parseAllDocuments(await kubectl(['kustomize', dir]))
    .map((d) => d.toJS() as Obj)
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns } }));
}

const apply = (objs: Obj[]) => applyYaml(objs.map((o) => stringify(o)).join('---\n'));

async function secretData(): Promise<Record<string, string>> {
  return decoded(await readSecret(ns, 'db-config'));
}

const configFor = (host: string) =>
  `database:\n  host: ${host}\n  user: shop\n  password: "p@ss ${CANARY}"\n`;
const urlFor = (host: string) => `postgres://shop:p%40ss+${CANARY}@${host}:5432/shop`;

test('the staging overlay renders, the generated ConfigMap name reaches templateFrom, and the Secret holds the rendered templates', async () => {
  const objs = await rendered(join(example, 'staging'));
  const cm = objs.find((o) => o.kind === 'ConfigMap')!;
  const es = objs.find((o) => o.kind === 'ExternalSecret') as Obj & {
    spec: { target: { template: { templateFrom: { configMap: { name: string } }[] } } };
  };
  expect(cm.metadata.name).toMatch(/^db-config-[a-z0-9]{10}$/);
  expect(es.spec.target.template.templateFrom[0]!.configMap.name).toBe(cm.metadata.name);
  await apply(objs);

  await eventually(
    async () =>
      expect(await secretData()).toEqual({
        'config.yaml': configFor('db.staging.internal'),
        DATABASE_URL: urlFor('db.staging.internal'),
      }),
    { timeoutMs: SYNC_MS, what: 'the Secret rendered from the staging templates' },
  );
  expect(ready(await readEs(ns, 'db-config'))).toMatchObject({ status: 'True' });
});

test('editing the ConfigMap in place re-renders the Secret', async () => {
  const es = await readEs(ns, 'db-config');
  const cmName = es.spec.target!.template!.templateFrom![0]!.configMap!.name;
  const cm = await clients().core.readNamespacedConfigMap({ name: cmName, namespace: ns });
  cm.data = { ...cm.data, 'config.yaml': 'host: db.edited.internal\nuser: {{ .username }}\n' };
  await clients().core.replaceNamespacedConfigMap({ name: cmName, namespace: ns, body: cm });
  await eventually(
    async () =>
      expect(await secretData()).toEqual({
        'config.yaml': 'host: db.edited.internal\nuser: shop\n',
        DATABASE_URL: urlFor('db.staging.internal'),
      }),
    { timeoutMs: SYNC_MS, what: 'the Secret re-rendered after the ConfigMap edit' },
  );
});

test('a changed template file in the overlay (a new generated name) re-renders the Secret', async () => {
  // The overlay as a team edits it: staging's kustomization with other template files.
  const dir = join(scratch, 'prod');
  cpSync(join(example, 'staging'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(dir, join(example, 'base'))],
      configMapGenerator: [
        {
          name: 'db-config',
          behavior: 'replace',
          files: ['config.yaml=config.yaml.tmpl', 'env.yaml=env.yaml.tmpl'],
        },
      ],
    }),
  );
  writeFileSync(join(dir, 'config.yaml.tmpl'), 'host: db.prod.internal\npassword: {{ .password }}\n');
  writeFileSync(join(dir, 'env.yaml.tmpl'), 'DB_HOST: db.prod.internal\nDB_PORT: 5432\nDB_TLS: on\n');
  const before = (await readEs(ns, 'db-config')).spec.target!.template!.templateFrom![0]!.configMap!.name;
  const objs = await rendered(dir);
  const cm = objs.find((o) => o.kind === 'ConfigMap')!;
  expect(cm.metadata.name).not.toBe(before);
  await apply(objs);
  await eventually(
    async () =>
      expect(await secretData()).toEqual({
        'config.yaml': `host: db.prod.internal\npassword: p@ss ${CANARY}\n`,
        // KeysAndValues output goes through YAML as ESO reads it: numbers and booleans as strings.
        DB_HOST: 'db.prod.internal',
        DB_PORT: '5432',
        DB_TLS: 'true',
      }),
    { timeoutMs: SYNC_MS, what: 'the Secret rendered from the new ConfigMap' },
  );
});

test('a template kept in a Secret, with target Annotations, re-renders when the Secret changes', async () => {
  await clients().core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'tpl' },
      stringData: { note: 'user {{ .username }}' },
    },
  });
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'from-secret', namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'secrets', kind: 'SecretStore' },
      target: {
        template: {
          data: { user: '{{ .username }}' },
          templateFrom: [{ target: 'Annotations', secret: { name: 'tpl', items: [{ key: 'note' }] } }],
        },
      },
      data: [{ secretKey: 'username', remoteRef: { key: 'shop-db-username' } }],
    },
  });
  await eventually(
    async () => {
      const s = await readSecret(ns, 'from-secret');
      expect(s?.metadata?.annotations?.note).toBe('user shop');
      expect(decoded(s)).toEqual({ user: 'shop' });
    },
    { timeoutMs: SYNC_MS, what: 'the annotation rendered from the Secret template' },
  );
  await clients().core.replaceNamespacedSecret({
    name: 'tpl',
    namespace: ns,
    body: { metadata: { name: 'tpl' }, stringData: { note: 'owner {{ .username | upper }}' } },
  });
  await eventually(
    async () => expect((await readSecret(ns, 'from-secret'))?.metadata?.annotations?.note).toBe('owner SHOP'),
    { timeoutMs: SYNC_MS, what: 'the annotation re-rendered after the Secret changed' },
  );
});

test('a missing source: Ready=False naming it, the last good Secret kept; synced once it exists', async () => {
  const es = await readEs(ns, 'db-config');
  const cmName = es.spec.target!.template!.templateFrom![0]!.configMap!.name;
  const before = await secretData();
  await clients().core.deleteNamespacedConfigMap({ name: cmName, namespace: ns });
  await eventually(
    async () =>
      expect(ready(await readEs(ns, 'db-config'))).toMatchObject({
        status: 'False',
        reason: 'TemplateSourceNotFound',
        message: `ConfigMap ${ns}/${cmName} not found`,
      }),
    { timeoutMs: SYNC_MS, what: 'Ready=False naming the deleted ConfigMap' },
  );
  expect(await secretData()).toEqual(before);

  await clients().core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: cmName }, data: { 'config.yaml': 'back', 'env.yaml': 'A: b' } },
  });
  await eventually(async () => expect(await secretData()).toEqual({ 'config.yaml': 'back', A: 'b' }), {
    timeoutMs: SYNC_MS,
    what: 'synced once the ConfigMap exists again',
  });
  expect(ready(await readEs(ns, 'db-config'))).toMatchObject({ status: 'True' });
});

test('no value reaches the logs or the status', async () => {
  expect(ctl!.logs.join('')).not.toContain(CANARY);
  for (const name of ['db-config', 'from-secret'])
    expect(JSON.stringify((await readEs(ns, name)).status)).not.toContain(CANARY);
});
