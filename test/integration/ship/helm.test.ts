// The Helm chart (charts/secretsync) with Helm built from its Go module:
// - `helm lint --strict` is clean, and `helm template | secretsync validate -` is clean;
// - with default values it renders the objects of `kubectl kustomize deploy/` (and, with the
//   monitoring toggles, those of deploy/monitoring), compared object by object: the one source of
//   truth is deploy/, the chart cannot drift from it. The documented differences: no Namespace
//   (Helm installs into an existing release namespace) and helm.sh/resource-policy: keep on CRDs;
// - overlays/{dev,staging,prod} are reproduced by values, so the values say what the overlays do;
// - a values file with a wrong type or an unknown key fails `helm install`, naming the key;
// - on the testbed: `helm install` creates every object for real (CRDs taken over: the shared testbed
//   already has them), the Deployment's pods pass the namespace's `restricted` Pod Security level
//   (they stay Pending: the testbed has no node), and a controller running as the chart's
//   ServiceAccount with the chart's arguments syncs an ExternalSecret; `helm upgrade` with changed
//   values changes the Deployment and removes what was turned off; `helm uninstall` leaves nothing
//   of the release but the CRDs.
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { helm as makeHelm, HELM_BUILD_TIMEOUT_MS, ok, run, type Helm } from '../../support/helm';
import { adminConfig, clients, deleteNamespace } from '../../support/kube';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

const repo = join(__dirname, '..', '..', '..');
const chart = join(repo, 'charts', 'secretsync');
const scratch = mkdtempSync(join(tmpdir(), 'ship-helm-'));
let helm: Helm;

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
};

function parse(yaml: string): Obj[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}

const keyOf = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objs: Obj[]): Map<string, Obj> {
  const m = new Map<string, Obj>();
  for (const o of objs) {
    if (m.has(keyOf(o))) throw new Error(`rendered twice: ${keyOf(o)}`);
    m.set(keyOf(o), o);
  }
  return m;
}

/** Paths where two objects differ (for a readable failure instead of two 100 kB dumps). */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`),
    );
  }
  return [`${path || '/'}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`];
}

/** Compares two renderings object by object; returns one line per difference. */
function compare(kustomized: Obj[], helmed: Obj[]): string[] {
  const k = byKey(kustomized);
  const h = byKey(helmed);
  const out: string[] = [];
  for (const key of k.keys()) if (!h.has(key)) out.push(`only in kustomize: ${key}`);
  for (const key of h.keys()) if (!k.has(key)) out.push(`only in helm: ${key}`);
  for (const [key, o] of k) {
    const other = h.get(key);
    if (other) out.push(...differences(o, other).map((d) => `${key} ${d}`));
  }
  return out;
}

async function kustomize(dir: string): Promise<Obj[]> {
  return parse(await kubectl(['kustomize', join(repo, dir)]));
}

async function template(...args: string[]): Promise<string> {
  return ok(await helm('template', 'secretsync', chart, '-n', 'secretsync-system', ...args), 'helm template');
}

/** The chart's CRDs carry helm.sh/resource-policy: keep (checked), which deploy/'s do not need. */
function withoutKeep(objs: Obj[]): Obj[] {
  return objs.map((o) => {
    if (o.kind !== 'CustomResourceDefinition') return o;
    expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const { ['helm.sh/resource-policy']: _, ...rest } = o.metadata.annotations ?? {};
    const metadata = { ...o.metadata, annotations: rest };
    if (Object.keys(rest).length === 0) delete (metadata as { annotations?: unknown }).annotations;
    return { ...o, metadata };
  });
}

function valuesFile(name: string, content: string): string {
  const f = join(scratch, name);
  writeFileSync(f, content);
  return f;
}

beforeAll(async () => {
  helm = await makeHelm();
}, HELM_BUILD_TIMEOUT_MS);

afterAll(() => {
  helm?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('rendering', () => {
  test('helm lint --strict is clean', async () => {
    const out = ok(await helm('lint', '--strict', chart), 'helm lint');
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  test('helm template | secretsync validate - is clean, with every toggle on', async () => {
    const all = await template(
      '--set',
      'serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true',
    );
    const r = await run(process.execPath, [join(repo, 'bin', 'secretsync.js'), 'validate', '-'], {
      input: all,
    });
    expect({
      code: r.code,
      stderr: r.stderr,
      stdout: r.stdout.split('\n').filter((l) => l.includes(':')),
    }).toEqual(expect.objectContaining({ code: 0 }));
  });

  test('default values render the objects of deploy/, object by object', async () => {
    const deploy = await kustomize('deploy');
    const chartObjs = withoutKeep(parse(await template()));
    // Helm installs into a release namespace that exists before the release (it stores the
    // release there): the Namespace is the one object of deploy/ the chart does not render.
    const namespaces = deploy.filter((o) => o.kind === 'Namespace').map(keyOf);
    expect(namespaces).toEqual(['Namespace//secretsync-system']);
    const diff = compare(
      deploy.filter((o) => o.kind !== 'Namespace'),
      chartObjs,
    );
    expect(diff).toEqual([]);
    // Not vacuous: every kind of deploy/ is there.
    expect(new Set(chartObjs.map((o) => o.kind))).toEqual(
      new Set([
        'CustomResourceDefinition',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]),
    );
  });

  test('the monitoring toggles render the objects of deploy/monitoring', async () => {
    const monitoring = await kustomize('deploy/monitoring');
    const base = byKey(parse(await template()));
    const on = parse(
      await template(
        '--set',
        'serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true',
      ),
    ).filter((o) => !base.has(keyOf(o)));
    expect(on.map(keyOf).sort()).toEqual(monitoring.map(keyOf).sort());
    expect(compare(monitoring, on)).toEqual([]);
  });

  test('crds.install=false renders no CRD; crds.keep=false drops the annotation', async () => {
    expect(
      parse(await template('--set', 'crds.install=false')).filter(
        (o) => o.kind === 'CustomResourceDefinition',
      ),
    ).toEqual([]);
    const crds = parse(await template('--set', 'crds.keep=false')).filter(
      (o) => o.kind === 'CustomResourceDefinition',
    );
    expect(crds).toHaveLength(4);
    for (const c of crds) expect(c.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
  });

  // The overlays' changes expressed as values: the same objects come out.
  const overlays: Record<string, string> = {
    dev: `replicaCount: 1
image: {tag: main}
controller: {logLevel: debug}
resources: {requests: {cpu: 20m, memory: 96Mi}, limits: {memory: 192Mi}}
`,
    staging: `replicaCount: 2
controller: {logLevel: info}
`,
    prod: `replicaCount: 3
controller: {logLevel: warn}
resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 512Mi}}
cloudIdentity: {gke: {serviceAccount: secretsync@my-project.iam.gserviceaccount.com}}
`,
  };
  test.each(Object.keys(overlays))('overlays/%s is reproduced by values', async (env) => {
    const kustomized = (await kustomize(`overlays/${env}`)).filter((o) => o.kind !== 'Namespace');
    const rendered = withoutKeep(parse(await template('-f', valuesFile(`${env}.yaml`, overlays[env]!))));
    expect(compare(kustomized, rendered)).toEqual([]);
  });

  test('sharding on renders the objects of deploy/ with overlays/components/sharding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharding-'));
    let deploy: Obj[];
    try {
      const rel = (p: string) => relative(dir, join(repo, p));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${rel('deploy')}]\ncomponents: [${rel('overlays/components/sharding')}]\n`,
      );
      deploy = parse(await kubectl(['kustomize', dir]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const chartObjs = withoutKeep(parse(await template('--set', 'controller.sharding.enabled=true')));
    expect(
      compare(
        deploy.filter((o) => o.kind !== 'Namespace'),
        chartObjs,
      ),
    ).toEqual([]);
    expect(chartObjs.some((o) => o.kind === 'Role' && o.metadata.name === 'secretsync-shard-ring')).toBe(
      true,
    );
  });

  test('values for the other cloud identities and the controller flags', async () => {
    const objs = byKey(
      parse(
        await template(
          '-f',
          valuesFile(
            'flags.yaml',
            `cloudIdentity: {eks: {roleArn: 'arn:aws:iam::111122223333:role/secretsync', podIdentity: true}}
controller: {namespace: shop, controllerClass: team-a, concurrency: 4, leaderElection: {id: my-lease}}
extraArgs: [--rollout-debounce=5s]
extraEnv: [{name: HTTPS_PROXY, value: 'http://proxy:3128'}]
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Exists}]
extraVolumes: [{name: ca, configMap: {name: proxy-ca}}]
extraVolumeMounts: [{name: ca, mountPath: /etc/ssl/proxy, readOnly: true}]
`,
          ),
        ),
      ),
    );
    const sa = objs.get('ServiceAccount/secretsync-system/secretsync')!;
    expect(sa.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/secretsync',
    });
    const np = objs.get('NetworkPolicy/secretsync-system/secretsync') as Obj & {
      spec: { egress: unknown[] };
    };
    expect(np.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '169.254.170.23/32' } }, { ipBlock: { cidr: 'fd00:ec2::23/128' } }],
      ports: [{ protocol: 'TCP', port: 80 }],
    });
    type Pod = {
      containers: { args: string[]; env: { name: string }[]; volumeMounts?: unknown }[];
      nodeSelector: unknown;
      tolerations: unknown;
      volumes?: unknown;
    };
    const pod = (
      objs.get('Deployment/secretsync-system/secretsync') as Obj & { spec: { template: { spec: Pod } } }
    ).spec.template.spec;
    expect(pod.containers[0]!.args).toEqual([
      'controller',
      '--metrics-port=8080',
      '--leader-election-namespace=$(POD_NAMESPACE)',
      '--namespace=shop',
      '--controller-class=team-a',
      '--concurrency=4',
      '--leader-election-id=my-lease',
      '--rollout-debounce=5s',
    ]);
    expect(pod.containers[0]!.env.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'HTTPS_PROXY']);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
    expect(pod.volumes).toEqual([{ name: 'ca', configMap: { name: 'proxy-ca' } }]);
    expect(pod.containers[0]!.volumeMounts).toEqual([
      { name: 'ca', mountPath: '/etc/ssl/proxy', readOnly: true },
    ]);
  });

  test('helm package resolves the symlinked CRDs and monitoring files: the package renders the same', async () => {
    ok(await helm('package', chart, '-d', scratch), 'helm package');
    const toggles = [
      '--set',
      'serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true',
    ];
    const fromDir = await template(...toggles);
    const fromPackage = ok(
      await helm(
        'template',
        'secretsync',
        join(scratch, 'secretsync-0.1.0.tgz'),
        '-n',
        'secretsync-system',
        ...toggles,
      ),
      'helm template (package)',
    );
    expect(fromPackage).toBe(fromDir);
    expect(parse(fromPackage).filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(4);
  });

  test('two replicas without leader election are refused', async () => {
    const r = await helm('template', 'secretsync', chart, '--set', 'controller.leaderElection.enabled=false');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicaCount > 1 needs controller.leaderElection.enabled/);
  });
});

describe('bad values fail naming the key', () => {
  const cases: [string, string, string][] = [
    ['a wrong type', 'replicaCount: two\n', "at '/replicaCount': got string, want integer"],
    ['an unknown top-level key', 'replicas: 3\n', "at '': additional properties 'replicas' not allowed"],
    ['an unknown nested key', 'image: {tags: v1}\n', "at '/image': additional properties 'tags' not allowed"],
    ['a wrong nested type', 'crds: {install: "yes"}\n', "at '/crds/install': got string, want boolean"],
    ['a value outside its enum', 'controller: {logLevel: verbose}\n', "at '/controller/logLevel'"],
  ];
  test.each(cases)('%s', async (_what, values, names) => {
    const f = valuesFile(`bad-${randomBytes(3).toString('hex')}.yaml`, values);
    const r = await helm('template', 'secretsync', chart, '-f', f);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toContain(names);
  });
});

describe('on the testbed', () => {
  const release = `helm-${randomBytes(3).toString('hex')}`;
  const fullname = `${release}-secretsync`;
  let ns: string;
  let ctl: TestController | undefined;
  const admin = () => {
    const kc = adminConfig();
    return {
      ...clients(kc),
      policy: kc.makeApiClient(k8s.PolicyV1Api),
      networking: kc.makeApiClient(k8s.NetworkingV1Api),
    };
  };

  beforeAll(async () => {
    // The shared testbed already has the CRDs (other tests apply crds/): installDeploy first, so
    // that this release takes them over instead of racing another worker creating them.
    await installDeploy();
    ns = release;
    await admin().core.createNamespace({
      body: {
        metadata: {
          name: ns,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    });
  });

  afterAll(async () => {
    await ctl?.stop();
    await helm('uninstall', release, '-n', ns, '--wait');
    await deleteNamespace(ns);
  });

  test('a values file with a wrong type fails helm install naming the key, and installs nothing', async () => {
    const f = valuesFile('bad-install.yaml', 'metrics: {service: {port: "8080"}}\n');
    const r = await helm('install', release, chart, '-n', ns, '-f', f);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("at '/metrics/service/port': got string, want integer");
    // No release record (Helm keeps one Secret per revision) and no object.
    const secrets = await admin().core.listNamespacedSecret({ namespace: ns });
    expect(secrets.items.map((x) => x.metadata?.name)).toEqual([]);
    const sas = await admin().core.listNamespacedServiceAccount({ namespace: ns });
    expect(sas.items.map((x) => x.metadata?.name).filter((n) => n !== 'default')).toEqual([]);
  });

  test('helm install creates every object; the pods pass Pod Security restricted', async () => {
    ok(await helm('install', release, chart, '-n', ns, '--take-ownership'), 'helm install');
    const rendered = parse(ok(await helm('get', 'manifest', release, '-n', ns), 'helm get manifest'));
    expect(rendered.length).toBeGreaterThanOrEqual(13);
    for (const o of rendered) {
      // Each object exists on the apiserver, annotated as the release's.
      const live = (await admin().objects.read({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
      })) as Obj;
      expect(live.metadata.annotations?.['meta.helm.sh/release-name']).toBe(release);
    }
    const crd = await adminConfig()
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'externalsecrets.external-secrets.io' });
    expect(crd.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const role = await admin().rbac.readClusterRole({ name: `${fullname}-controller` });
    const deployRole = parse(await kubectl(['kustomize', join(repo, 'deploy')])).find(
      (o) => o.kind === 'ClusterRole',
    ) as Obj & { rules: unknown };
    expect(JSON.parse(JSON.stringify(role.rules))).toEqual(
      (deployRole.rules as Record<string, unknown>[]).map((r) => JSON.parse(JSON.stringify(r))),
    );
    // The namespace enforces Pod Security restricted (a privileged pod is refused) ...
    const refused = await admin()
      .core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'privileged' },
          spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] },
        },
      })
      .then(
        () => 'created',
        (err: { code?: number; body?: unknown }) => `${err.code} ${String(err.body)}`,
      );
    expect(refused).toMatch(/^403 .*violates PodSecurity .*restricted:latest/);
    // ... and no node runs them, but the ReplicaSet's pods are created: the level admitted them.
    await eventually(
      async () => {
        const pods = await admin().core.listNamespacedPod({
          namespace: ns,
          labelSelector: 'app.kubernetes.io/name=secretsync',
        });
        expect(pods.items).toHaveLength(2);
      },
      { timeoutMs: 60_000, what: '2 pods of the Deployment created' },
    );
  });

  test('a controller with the chart ServiceAccount and arguments syncs an ExternalSecret', async () => {
    // The chart's identity: a token of the ServiceAccount the chart created, bound only by the
    // chart's RBAC; the Lease lives in the release namespace, as --leader-election-namespace=$(POD_NAMESPACE) says.
    const tr = await admin().core.createNamespacedServiceAccountToken({
      name: fullname,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = adminConfig().getCurrentCluster()!;
    const kc = newKubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'testbed', server: cluster.server, skipTLSVerify: true }],
      users: [{ name: 'chart', token: tr.status!.token }],
      contexts: [{ name: 'chart', cluster: 'testbed', user: 'chart' }],
      currentContext: 'chart',
    });
    ctl = await startController(
      ns,
      { leaderElectionNamespace: ns, leaderElectionId: 'secretsync-leader' },
      { kubeConfig: kc },
    );
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake', namespace: ns },
      spec: { provider: { fake: { data: [{ key: 'greeting', value: 'hello' }] } } },
    });
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'greeting', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake', kind: 'SecretStore' },
        target: { name: 'greeting' },
        data: [{ secretKey: 'value', remoteRef: { key: 'greeting' } }],
      },
    });
    // Leader election (retry period 500 ms) then one reconcile.
    await eventually(async () => expect(ready(await readEs(ns, 'greeting')).status).toBe('True'), {
      timeoutMs: 60_000,
      what: 'ExternalSecret Ready',
    });
    expect(decoded(await readSecret(ns, 'greeting'))).toEqual({ value: 'hello' });
    await ctl.stop();
    ctl = undefined;
  });

  test('helm upgrade with changed values changes the Deployment and removes what was turned off', async () => {
    const f = valuesFile(
      'upgrade.yaml',
      `replicaCount: 3
controller: {logLevel: debug, concurrency: 4}
podDisruptionBudget: {enabled: false}
networkPolicy: {enabled: false}
`,
    );
    ok(await helm('upgrade', release, chart, '-n', ns, '-f', f), 'helm upgrade');
    const d = await admin().apps.readNamespacedDeployment({ name: fullname, namespace: ns });
    expect(d.spec?.replicas).toBe(3);
    expect(d.spec?.template.spec?.containers[0]?.args).toEqual(
      expect.arrayContaining(['--log-level=debug', '--concurrency=4']),
    );
    const pdbs = await admin().policy.listNamespacedPodDisruptionBudget({ namespace: ns });
    expect(pdbs.items.map((p) => p.metadata?.name)).toEqual([]);
    const nps = await admin().networking.listNamespacedNetworkPolicy({ namespace: ns });
    expect(nps.items.map((p) => p.metadata?.name)).toEqual([]);
    const history = ok(await helm('history', release, '-n', ns, '-o', 'json'), 'helm history');
    expect((JSON.parse(history) as { status: string }[]).map((h) => h.status)).toEqual([
      'superseded',
      'deployed',
    ]);
  });

  test('helm uninstall leaves nothing of the release but the CRDs', async () => {
    ok(await helm('uninstall', release, '-n', ns, '--wait'), 'helm uninstall');
    const c = admin();
    const names = (l: { items: { metadata?: { name?: string } }[] }) => l.items.map((i) => i.metadata?.name);
    expect(names(await c.apps.listNamespacedDeployment({ namespace: ns }))).toEqual([]);
    expect(names(await c.core.listNamespacedService({ namespace: ns }))).toEqual([]);
    expect(names(await c.core.listNamespacedServiceAccount({ namespace: ns }))).toEqual(['default']);
    expect(names(await c.rbac.listNamespacedRole({ namespace: ns }))).toEqual([]);
    expect(names(await c.rbac.listNamespacedRoleBinding({ namespace: ns }))).toEqual([]);
    expect(names(await c.rbac.listClusterRole()).filter((n) => n?.startsWith(release))).toEqual([]);
    expect(names(await c.rbac.listClusterRoleBinding()).filter((n) => n?.startsWith(release))).toEqual([]);
    // Helm's own record of the release is gone too.
    expect(
      names(await c.core.listNamespacedSecret({ namespace: ns })).filter((n) => n?.startsWith('sh.helm')),
    ).toEqual([]);
    const ext = adminConfig().makeApiClient(k8s.ApiextensionsV1Api);
    for (const n of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'])
      expect(
        (await ext.readCustomResourceDefinition({ name: `${n}.external-secrets.io` })).metadata?.name,
      ).toBe(`${n}.external-secrets.io`);
  });
});
