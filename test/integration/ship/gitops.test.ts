// The GitOps kit (examples/gitops, docs/gitops.md) on the testbed:
// - the Kustomize nameref component: a prefixed overlay renames the ExternalSecret, the Secret it
//   writes, the pod spec's references to it and the store reference together (without the
//   component the references keep the old name), and the rendered overlay syncs for real;
// - a GitOps tool applying the Git manifests with server-side apply sees an empty diff after the
//   controller synced, rotated the Secret and rolled the Deployment, and re-applying them rolls
//   nothing.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { kubectl } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { run } from '../../support/helm';
import { clients, deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const kit = join(repo, 'examples', 'gitops', 'kustomize');
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
  });
});
