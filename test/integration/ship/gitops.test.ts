// The GitOps kit (examples/gitops, docs/gitops.md) on the testbed:
// - the Kustomize nameref component: a prefixed overlay renames the ExternalSecret, the Secret it
//   writes, the pod spec's references to it and the store reference together (without the
//   component the references keep the old name), and the rendered overlay syncs for real;
// - a GitOps tool applying the Git manifests with server-side apply sees an empty diff after the
//   controller synced, rotated the Secret and rolled the Deployment, and re-applying them rolls
//   nothing; the Argo CD Application's ignoreDifferences covers every annotation the controller
//   wrote on that Deployment;
// - Argo CD's health checks and refresh action (Lua, run by gopher-lua, the VM Argo CD embeds) on
//   synthetic objects and on the live ExternalSecrets and store; the Argo CD component renders
//   them into argocd-cm;
// - the Flux Kustomization's path renders and its health checks name objects it renders.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { ensureGlua } from '../../../dev/testbed/install';
import { kubectl } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { run } from '../../support/helm';
import { clients, deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const kit = join(repo, 'examples', 'gitops', 'kustomize');
const argocd = join(repo, 'examples', 'gitops', 'argocd');
const id = randomBytes(3).toString('hex');
const scratch = mkdtempSync(join(tmpdir(), 'ship-gitops-'));
const sm = gcpSecretManager();
/** The field manager Argo CD's server-side apply uses. */
const MANAGER = 'argocd-controller';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};
type PodSpec = {
  containers: {
    env?: { valueFrom?: { secretKeyRef?: { name: string } } }[];
    envFrom?: { secretRef?: { name: string } }[];
  }[];
};

const objects = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const find = (objs: Obj[], kind: string) => objs.find((o) => o.kind === kind)!;
const secretRefs = (deployment: Obj): string[] => {
  const pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
  return pod.containers.flatMap((c) => [
    ...(c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
    ...(c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])),
  ]);
};

/** A Lua table constructor for a JSON value (what Argo CD hands a script as `obj`). */
function lua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string')
    return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(lua).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${lua(k)}] = ${lua(x)}`)
    .join(', ')}}`;
}

let glua: string;
/** Runs an Argo CD Lua script with `obj` set and prints what the `print` lines select. */
async function runLua(script: string, obj: unknown, print: string): Promise<string> {
  const file = join(scratch, `script-${randomBytes(4).toString('hex')}.lua`);
  writeFileSync(file, `obj = ${lua(obj)}\nlocal result = (function()\n${script}\nend)()\n${print}\n`);
  const r = await run(glua, [file]);
  if (r.code !== 0) throw new Error(`glua exited ${r.code}: ${r.stderr}`);
  return r.stdout.trimEnd();
}
const health = async (script: string, obj: unknown) => {
  const [status, ...message] = (
    await runLua(script, obj, 'print(result.status)\nprint(result.message)')
  ).split('\n');
  return { status, message: message.join('\n') };
};
const esHealth = () => readFileSync(join(argocd, 'health-externalsecret.lua'), 'utf8');
const storeHealth = () => readFileSync(join(argocd, 'health-secretstore.lua'), 'utf8');

beforeAll(async () => {
  glua = await ensureGlua((l) => process.stderr.write(`${l}\n`));
}, 10 * 60_000);

afterAll(async () => {
  await sm.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('Kustomize nameref component', () => {
  test('a prefixed overlay renames the ExternalSecret, its Secret, the references to it and the store', async () => {
    const objs = objects(await kubectl(['kustomize', join(kit, 'team-a')]));
    const es = find(objs, 'ExternalSecret');
    expect(es.metadata.name).toBe('team-a-db-credentials');
    expect(es.spec.target).toEqual({ name: 'team-a-db-credentials' });
    expect(es.spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: 'team-a-secrets' });
    expect(find(objs, 'SecretStore').metadata.name).toBe('team-a-secrets');
    expect(secretRefs(find(objs, 'Deployment'))).toEqual(['team-a-db-credentials', 'team-a-db-credentials']);
  });

  test('without the component, the references keep the old names (what it fixes)', async () => {
    const dir = join(scratch, 'without');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({ namePrefix: 'team-a-', resources: [relative(dir, join(kit, 'app'))] }),
    );
    const objs = objects(await kubectl(['kustomize', dir]));
    expect(find(objs, 'ExternalSecret').metadata.name).toBe('team-a-db-credentials');
    expect(find(objs, 'ExternalSecret').spec.target).toEqual({ name: 'db-credentials' });
    expect(secretRefs(find(objs, 'Deployment'))).toEqual(['db-credentials', 'db-credentials']);
  });
});

describe('Argo CD', () => {
  const es = (conditions?: unknown[], extra: Record<string, unknown> = {}) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: 'shop', ...extra },
    ...(conditions ? { status: { conditions } } : {}),
  });

  test.each([
    ['no status yet', es(), { status: 'Progressing', message: 'waiting for the first sync' }],
    [
      'Ready True',
      es([{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'Secret was synced' }]),
      { status: 'Healthy', message: 'Secret was synced' },
    ],
    [
      'Ready False',
      es([{ type: 'Ready', status: 'False', reason: 'ProviderAuthFailed', message: 'grant "x" to y\nnow' }]),
      { status: 'Degraded', message: 'ProviderAuthFailed: grant "x" to y\nnow' },
    ],
    [
      'being deleted',
      es([{ type: 'Ready', status: 'True', reason: 'SecretSynced' }], {
        deletionTimestamp: '2026-01-01T00:00:00Z',
      }),
      { status: 'Progressing', message: 'being deleted' },
    ],
  ])('ExternalSecret health: %s', async (_what, obj, want) => {
    expect(await health(esHealth(), obj)).toEqual(want);
  });

  test.each([
    ['no status yet', undefined, { status: 'Progressing', message: 'waiting for validation' }],
    [
      'Valid',
      [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'store validated' }],
      { status: 'Healthy', message: 'store validated' },
    ],
    [
      'InvalidProviderConfig',
      [
        {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidProviderConfig',
          message: 'aws.region "x" is not an AWS region',
        },
      ],
      { status: 'Degraded', message: 'InvalidProviderConfig: aws.region "x" is not an AWS region' },
    ],
  ])('store health: %s', async (_what, conditions, want) => {
    expect(
      await health(storeHealth(), {
        kind: 'ClusterSecretStore',
        ...(conditions ? { status: { conditions } } : {}),
      }),
    ).toEqual(want);
  });

  test('the refresh action is offered and sets a new external-secrets.io/force-sync', async () => {
    const actions = parseYaml(readFileSync(join(argocd, 'actions-externalsecret.yaml'), 'utf8')) as {
      'discovery.lua': string;
      definitions: { name: string; 'action.lua': string }[];
    };
    expect(await runLua(actions['discovery.lua'], es(), 'print(result.refresh.disabled)')).toBe('false');
    expect(actions.definitions.map((d) => d.name)).toEqual(['refresh']);
    const script = actions.definitions[0]!['action.lua'];
    const before = Math.floor(Date.now() / 1000);
    const value = await runLua(
      script,
      es(),
      'print(result.metadata.annotations["external-secrets.io/force-sync"])',
    );
    expect(Number(value)).toBeGreaterThanOrEqual(before);
    // Existing annotations are kept.
    expect(
      await runLua(
        script,
        es(undefined, { annotations: { team: 'a' } }),
        'print(result.metadata.annotations.team)',
      ),
    ).toBe('a');
  });

  test('the component merges the scripts into argocd-cm', async () => {
    const dir = join(scratch, 'argocd-install');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'argocd-cm.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm' },
        data: { url: 'https://argocd.example.com' },
      }),
    );
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({ resources: ['argocd-cm.yaml'], components: [relative(dir, argocd)] }),
    );
    const cm = find(objects(await kubectl(['kustomize', dir])), 'ConfigMap') as unknown as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(cm.metadata.name).toBe('argocd-cm');
    const file = (f: string) => readFileSync(join(argocd, f), 'utf8');
    expect(cm.data).toEqual({
      url: 'https://argocd.example.com',
      'resource.customizations.health.external-secrets.io_ExternalSecret': file('health-externalsecret.lua'),
      'resource.customizations.health.external-secrets.io_SecretStore': file('health-secretstore.lua'),
      'resource.customizations.health.external-secrets.io_ClusterSecretStore': file('health-secretstore.lua'),
      'resource.customizations.actions.external-secrets.io_ExternalSecret': file(
        'actions-externalsecret.yaml',
      ),
    });
  });
});

describe('Flux', () => {
  test("the Kustomization's path renders the objects its health checks name", async () => {
    const flux = parseYaml(
      readFileSync(join(repo, 'examples', 'gitops', 'flux', 'kustomization.yaml'), 'utf8'),
    ) as {
      spec: {
        path: string;
        targetNamespace: string;
        healthChecks: { apiVersion: string; kind: string; name: string; namespace: string }[];
      };
    };
    const objs = objects(await kubectl(['kustomize', join(repo, flux.spec.path)]));
    for (const h of flux.spec.healthChecks) {
      expect(h.namespace).toBe(flux.spec.targetNamespace);
      expect(objs.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toContain(
        `${h.apiVersion} ${h.kind} ${h.name}`,
      );
    }
    expect(flux.spec.healthChecks.map((h) => h.kind).sort()).toEqual([
      'Deployment',
      'ExternalSecret',
      'SecretStore',
    ]);
  });
});

describe('synced and applied as a GitOps tool does', () => {
  const ns = `gitops-${id}`;
  const project = `gitops-${id}`;
  const gitFile = join(scratch, 'git.yaml');
  let ctl: TestController | undefined;

  afterAll(async () => {
    await ctl?.stop();
    await deleteNamespace(ns);
  });

  /** The overlay as rendered, in this run's namespace and project, refreshed every 2 s. */
  async function gitManifests(): Promise<string> {
    const objs = objects(await kubectl(['kustomize', join(kit, 'team-a')])).map((o) => {
      const c = structuredClone(o);
      c.metadata.namespace = ns;
      if (c.kind === 'SecretStore')
        (c.spec.provider as { gcpsm: { projectID: string } }).gcpsm.projectID = project;
      if (c.kind === 'ExternalSecret') c.spec.refreshInterval = '2s';
      return c;
    });
    return objs.map((o) => stringify(o)).join('---\n');
  }

  const apply = (file: string) =>
    kubectl(['apply', '--server-side', `--field-manager=${MANAGER}`, '-f', file]);

  test('the prefixed overlay syncs; after a rotation and a rollout the server-side diff is empty', async () => {
    await installDeploy();
    await clients().core.createNamespace({ body: { metadata: { name: ns } } });
    await grantGcp(project, 'roles/secretmanager.secretAccessor');
    await putGcpVersion(sm, project, 'shop-db-username', `user-${id}`);
    await putGcpVersion(sm, project, 'shop-db-password', `v1-${id}`);
    writeFileSync(gitFile, await gitManifests());
    await apply(gitFile);
    ctl = await startController(ns);
    await eventually(
      async () =>
        expect(decoded(await readSecret(ns, 'team-a-db-credentials'))).toEqual({
          username: `user-${id}`,
          password: `v1-${id}`,
        }),
      { timeoutMs: 30_000, what: 'Secret team-a-db-credentials synced' },
    );
    const apps = clients().apps;
    const recorded = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'team-a-web', namespace: ns });
        expect(d.metadata?.annotations?.['secretsync.io/last-reload-hash']).toBeTruthy();
        return d;
      },
      { timeoutMs: 30_000, what: 'the Deployment recorded' },
    );

    // A rotation: the next refresh (2 s) writes the Secret, the Deployment rolls.
    await putGcpVersion(sm, project, 'shop-db-password', `v2-${id}`);
    const rolled = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'team-a-web', namespace: ns });
        expect(d.metadata?.generation).toBeGreaterThan(recorded.metadata!.generation!);
        expect(d.spec?.template.metadata?.annotations?.['secretsync.io/restartedAt']).toBeTruthy();
        return d;
      },
      { timeoutMs: 60_000, what: 'the Deployment rolled after the rotation' },
    );

    // What the GitOps tool would show: kubectl diff exits 0 when there is no difference.
    const diff = await run('kubectl', ['diff', '--server-side', `--field-manager=${MANAGER}`, '-f', gitFile]);
    expect({ code: diff.code, diff: diff.stdout, stderr: diff.stderr }).toEqual({
      code: 0,
      diff: '',
      stderr: '',
    });

    // The diff is not blind: a change in Git shows.
    const changed = join(scratch, 'git-changed.yaml');
    writeFileSync(changed, (await gitManifests()).replace('replicas: 1', 'replicas: 2'));
    const shown = await run('kubectl', [
      'diff',
      '--server-side',
      `--field-manager=${MANAGER}`,
      '-f',
      changed,
    ]);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/^\+\s+replicas: 2$/m);

    // A sync re-applies Git: nothing the controller wrote is removed, and nothing rolls.
    await apply(gitFile);
    const after = await apps.readNamespacedDeployment({ name: 'team-a-web', namespace: ns });
    expect(after.metadata?.generation).toBe(rolled.metadata?.generation);
    expect(after.spec?.template.metadata?.annotations).toEqual(rolled.spec?.template.metadata?.annotations);
    for (const v of [`v1-${id}`, `v2-${id}`]) expect(ctl.logs.join('')).not.toContain(v);

    // The Argo CD Application ignores every annotation secretsync wrote on the Deployment.
    const app = parseYaml(readFileSync(join(argocd, 'application.yaml'), 'utf8')) as {
      spec: { ignoreDifferences: { group?: string; kind: string; jsonPointers: string[] }[] };
    };
    const ignored = app.spec.ignoreDifferences.find((d) => d.group === 'apps' && d.kind === 'Deployment')!;
    const pointer = (prefix: string, key: string) =>
      `${prefix}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const written = [
      ...Object.keys(after.metadata?.annotations ?? {})
        .filter((k) => k.startsWith('secretsync.io/'))
        .map((k) => pointer('/metadata/annotations', k)),
      ...Object.keys(after.spec?.template.metadata?.annotations ?? {})
        .filter((k) => k.startsWith('secretsync.io/'))
        .map((k) => pointer('/spec/template/metadata/annotations', k)),
    ];
    expect(written.length).toBeGreaterThanOrEqual(3);
    expect(written.filter((w) => !ignored.jsonPointers.includes(w))).toEqual([]);
    for (const kind of ['StatefulSet', 'DaemonSet'])
      expect(
        app.spec.ignoreDifferences.find((d) => d.group === 'apps' && d.kind === kind)?.jsonPointers,
      ).toEqual(ignored.jsonPointers);
  });

  test("Argo CD's health checks on the live ExternalSecret and store: Healthy, and Degraded when failing", async () => {
    expect(await health(esHealth(), await readEs(ns, 'team-a-db-credentials'))).toEqual({
      status: 'Healthy',
      message: 'Secret was synced',
    });
    const store = await clients().objects.read({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'team-a-secrets', namespace: ns },
    });
    expect((await health(storeHealth(), store)).status).toBe('Healthy');
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'missing', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'team-a-secrets', kind: 'SecretStore' },
        data: [{ secretKey: 'x', remoteRef: { key: `no-such-secret-${id}` } }],
      },
    });
    const failed = await eventually(
      async () => {
        const es = await readEs(ns, 'missing');
        expect(ready(es).status).toBe('False');
        return es;
      },
      { timeoutMs: 30_000, what: 'ExternalSecret missing not Ready' },
    );
    const h = await health(esHealth(), failed);
    expect(h.status).toBe('Degraded');
    expect(h.message).toBe(`${ready(failed).reason}: ${ready(failed).message}`);
  });
});
