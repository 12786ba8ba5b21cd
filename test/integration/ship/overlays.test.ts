// Every overlay and every example renders with `kubectl kustomize`, passes `secretsync validate`,
// and is accepted by the testbed's API server (CRDs and Namespaces applied for real, the rest with
// `kubectl apply --server-side --dry-run=server`). Then each example overlay (GCP and AWS; dev,
// staging, prod) is applied for real in a namespace of its own, with that environment's values
// in the emulated store, and the controller syncs the Secret holding exactly those values.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseAllDocuments, stringify } from 'yaml';
import { checkSource, loadCheckers, type ValidateSummary } from '../../../src/cli/validate';
import { SUPPORTED_PROVIDERS } from '../../../src/providers/registry';
import { applyYaml, kubectl } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const ENVS = ['dev', 'staging', 'prod'] as const;
const run = randomBytes(3).toString('hex');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
};

const render = async (dir: string): Promise<string> => kubectl(['kustomize', dir]);
const objects = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const toYaml = (objs: Obj[]) => objs.map((o) => stringify(o)).join('---\n');

/** Kustomize's rendering of deploy/ with the given components, from a scratch directory. */
async function renderWithComponents(components: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ship-kustomize-'));
  try {
    const rel = (p: string) => relative(dir, join(repo, p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({ resources: [rel('deploy')], components: components.map(rel) }),
    );
    return await render(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function expectValid(name: string, yaml: string): Promise<ValidateSummary> {
  const summary: ValidateSummary = { problems: [], documents: 0, validated: 0, skipped: 0 };
  checkSource({ name, text: yaml }, await loadCheckers(), summary);
  expect(summary.problems).toEqual([]);
  return summary;
}

/** CRDs and Namespaces this file has applied already (every overlay renders the same CRDs). */
const appliedForReal = new Set<string>();

/** Applies CRDs and Namespaces for real, then everything with a server-side dry run. */
async function acceptedByApiServer(yaml: string): Promise<void> {
  const objs = objects(yaml);
  const first = objs
    .filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace')
    .filter((o) => !appliedForReal.has(JSON.stringify(o)));
  if (first.length > 0) await applyYaml(toYaml(first));
  for (const o of first) appliedForReal.add(JSON.stringify(o));
  const out = await kubectl(
    [
      'apply',
      '--server-side',
      '--dry-run=server',
      '--force-conflicts',
      '--field-manager=secretsync-tests',
      '-f',
      '-',
    ],
    yaml,
  );
  // kubectl prints one line per object: "<kind>/<name> serverside-applied (server dry run)".
  expect(out.trim().split('\n')).toHaveLength(objs.length);
  expect(out).not.toMatch(/error/i);
}

beforeAll(async () => {
  await installDeploy(); // CRDs established before anything of external-secrets.io is applied
});

describe('overlays/', () => {
  const rendered: Record<string, Obj[]> = {};

  test.each(ENVS)('%s renders, validates and is accepted by the API server', async (env) => {
    const yaml = await render(join(repo, 'overlays', env));
    await expectValid(`overlays/${env}`, yaml);
    await acceptedByApiServer(yaml);
    rendered[env] = objects(yaml);
  });

  test('the overlays differ where they should', () => {
    const deployment = (env: string) => rendered[env]!.find((o) => o.kind === 'Deployment')!;
    const container = (env: string) =>
      (
        deployment(env).spec as {
          template: { spec: { containers: { image: string; args: string[]; resources: unknown }[] } };
        }
      ).template.spec.containers[0]!;
    const replicas = (env: string) => (deployment(env).spec as { replicas: number }).replicas;
    expect(ENVS.map(replicas)).toEqual([1, 2, 3]);
    expect(container('dev').args).toContain('--log-level=debug');
    expect(container('staging').args).toContain('--log-level=info');
    expect(container('prod').args).toContain('--log-level=warn');
    expect(container('dev').image).toBe('secretsync:main');
    expect(container('prod').image).toBe('secretsync:0.1.0');
    expect(container('prod').resources).toEqual({
      requests: { cpu: '200m', memory: '256Mi' },
      limits: { memory: '512Mi' },
    });
    const sa = rendered.prod!.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.metadata.annotations?.['iam.gke.io/gcp-service-account']).toBe(
      'secretsync@my-project.iam.gserviceaccount.com',
    );
    // dev runs one replica: its PodDisruptionBudget must not block node drains.
    const pdb = rendered.dev!.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    expect(pdb.spec).not.toHaveProperty('minAvailable');
  });

  test.each([
    ['gke-workload-identity', 'iam.gke.io/gcp-service-account', '169.254.169.254/32'],
    ['eks-irsa', 'eks.amazonaws.com/role-arn', undefined],
    ['eks-pod-identity', undefined, '169.254.170.23/32'],
    ['sharding', undefined, undefined],
  ])('component %s renders over deploy/ and is accepted', async (component, annotation, egressTo) => {
    const yaml = await renderWithComponents([`overlays/components/${component}`]);
    await expectValid(component, yaml);
    await acceptedByApiServer(yaml);
    const objs = objects(yaml);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    expect(Object.keys(sa.metadata.annotations ?? {})).toEqual(annotation ? [annotation] : []);
    const policy = objs.find((o) => o.kind === 'NetworkPolicy')!;
    const egress = JSON.stringify(policy.spec?.egress);
    if (egressTo) expect(egress).toContain(egressTo);
    else expect(egress).not.toContain('169.254.');
  });
});

describe.each(['gcp', 'aws'] as const)('examples/%s', (cloud) => {
  test.each(ENVS)('overlays/%s renders, validates and is accepted by the API server', async (env) => {
    const yaml = await render(join(repo, 'examples', cloud, 'overlays', env));
    const summary = await expectValid(`examples/${cloud}/overlays/${env}`, yaml);
    expect(summary.validated).toBe(2); // the ClusterSecretStore and the ExternalSecret (v1beta1)
    await acceptedByApiServer(yaml);
    // Only remoteRef.key differs from the base, and it names the environment.
    const base = objects(await render(join(repo, 'examples', cloud, 'base')));
    const objs = objects(yaml);
    const keys = (o: Obj[]) =>
      (o.find((x) => x.kind === 'ExternalSecret')!.spec!.data as { remoteRef: { key: string } }[]).map(
        (d) => d.remoteRef.key,
      );
    expect(keys(objs).every((k) => k.includes(env))).toBe(true);
    const withoutKeys = (o: Obj[]) =>
      JSON.parse(JSON.stringify(o).replace(/"key":"[^"]*"/g, '"key":"?"')) as unknown;
    expect(withoutKeys(objs)).toEqual(withoutKeys(base));
  });
});

// ── end to end: each example overlay synced by the controller from the emulated store ─────────

const gsm = gcpSecretManager();
const aws = new SecretsManagerClient({});

async function putAws(name: string, value: string): Promise<void> {
  try {
    await aws.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (err) {
    if (!(err instanceof ResourceExistsException)) throw err;
    await aws.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}

/**
 * The rendered example in namespace `ns` instead of `shop`, with the (cluster-scoped) store renamed
 * so that parallel tests using the same store name are not disturbed.
 */
function relocate(objs: Obj[], ns: string, storeSuffix: string): Obj[] {
  return objs.map((o) => {
    const c = structuredClone(o);
    if (c.kind === 'Namespace' && c.metadata.name === 'shop') c.metadata.name = ns;
    if (c.metadata.namespace === 'shop') c.metadata.namespace = ns;
    if (c.kind === 'ClusterSecretStore') c.metadata.name = `${c.metadata.name}-${storeSuffix}`;
    if (c.kind === 'ExternalSecret') {
      const ref = c.spec!.secretStoreRef as { name: string };
      ref.name = `${ref.name}-${storeSuffix}`;
    }
    return c;
  });
}

interface Remote {
  key: string;
  property?: string;
  secretKey: string;
}

const awsProviderRegistered = (SUPPORTED_PROVIDERS as readonly string[]).includes('aws');

describe.each(['gcp', 'aws'] as const)('examples/%s synced end to end', (cloud) => {
  // The aws provider is registered in src/providers/registry.ts; if it ever is not, skip, don't fail.
  const maybe = cloud === 'aws' && !awsProviderRegistered ? test.skip : test;
  let ctl: TestController | undefined;
  let ns: string | undefined;
  let store: string | undefined;

  afterEach(async () => {
    await ctl?.stop();
    ctl = undefined;
    if (ns) await deleteNamespace(ns);
    if (store) await kubectl(['delete', 'clustersecretstore', store, '--ignore-not-found']);
    ns = store = undefined;
  });

  maybe.each(ENVS)("overlays/%s: the Secret holds that environment's values", async (env) => {
    ns = `ex-${cloud}-${env}-${run}`;
    const objs = relocate(objects(await render(join(repo, 'examples', cloud, 'overlays', env))), ns, run);
    store = objs.find((o) => o.kind === 'ClusterSecretStore')!.metadata.name;
    const es = objs.find((o) => o.kind === 'ExternalSecret')!;
    const data = (
      es.spec!.data as { secretKey: string; remoteRef: { key: string; property?: string } }[]
    ).map((d): Remote => ({ secretKey: d.secretKey, key: d.remoteRef.key, property: d.remoteRef.property }));

    // That environment's values, unique to this run, in the emulated store.
    const want: Record<string, string> = {};
    for (const d of data) want[d.secretKey] = `${env}-${d.secretKey}-${run}`;
    if (cloud === 'gcp') {
      const project = (
        objs.find((o) => o.kind === 'ClusterSecretStore')!.spec!.provider as { gcpsm: { projectID: string } }
      ).gcpsm.projectID;
      for (const d of data) await putGcpVersion(gsm, project, d.key, want[d.secretKey]!);
      await grantGcp(project, 'roles/secretmanager.secretAccessor');
    } else {
      const byKey = new Map<string, Record<string, string>>();
      for (const d of data) byKey.set(d.key, { ...byKey.get(d.key), [d.property!]: want[d.secretKey]! });
      for (const [key, json] of byKey) await putAws(key, JSON.stringify(json));
    }

    await applyYaml(toYaml(objs));
    ctl = await startController(ns);
    await eventually(async () => expect(decoded(await readSecret(ns!, 'db-credentials'))).toEqual(want), {
      timeoutMs: 30_000,
      what: `Secret ${ns}/db-credentials with the ${env} values`,
    });
    // The Secret belongs to the ExternalSecret the overlay declared (v1beta1, as written in Git).
    const secret = await readSecret(ns, 'db-credentials');
    expect(secret?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ExternalSecret',
      name: 'db-credentials',
    });
    for (const v of Object.values(want)) expect(ctl.logs.join('')).not.toContain(v);
  });
});

afterAll(async () => {
  await gsm.close();
  aws.destroy();
});
