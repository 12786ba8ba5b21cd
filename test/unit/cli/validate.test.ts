// `secretsync validate`: good manifests pass, each kind of bad input gives one line per problem in
// the `file:doc: Kind/name: path: message` format, exit codes, stdin, directories — no stack traces.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkObject,
  formatProblem,
  loadCheckers,
  pointerToPath,
  runValidate,
  type Checkers,
} from '../../../src/cli/validate';

const repo = join(__dirname, '..', '..', '..');
let checkers: Checkers;

beforeAll(async () => {
  checkers = await loadCheckers();
});

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function run(inputs: string[], stdin = ''): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runValidate(
    inputs,
    { stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => stdin },
    { checkers },
  );
  return { code, out, err };
}

/** Problems of one YAML document read from stdin, as printed. */
async function lines(yaml: string): Promise<string[]> {
  return (await run(['-'], yaml)).out;
}

const es = (spec: string, extra = '') => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: app${extra}}
spec:
${spec}`;

const store = (
  provider: string,
  kind = 'ClusterSecretStore',
  version = 'v1',
) => `apiVersion: external-secrets.io/${version}
kind: ${kind}
metadata: {name: s}
spec:
  provider:
${provider}`;

/**
 * Files under examples/ and deploy/ that are not Kubernetes objects (no apiVersion/kind), which
 * validate reports as such: an Argo CD resource-action snippet, a kustomize transformer
 * configuration, the Grafana dashboard and promtool's rule tests.
 */
const NOT_OBJECTS = new Set([
  'examples/gitops/argocd/actions-externalsecret.yaml',
  'examples/gitops/kustomize/nameref/configuration.yaml',
  'deploy/monitoring/grafana-dashboard.json',
  'deploy/monitoring/rules.test.yaml',
]);

function manifests(dir: string): string[] {
  return readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !NOT_OBJECTS.has(f) && statSync(join(repo, f)).isFile())
    .map((f) => join(repo, f));
}

describe('good manifests', () => {
  test('the files kept out of the walk below are indeed not Kubernetes objects', async () => {
    const r = await run([...NOT_OBJECTS].map((f) => join(repo, f)));
    expect(r.out.filter((l) => !/: <no kind>\/<unnamed>: (apiVersion|kind): required$/.test(l))).toEqual([]);
    expect(new Set(r.out.map((l) => l.split(':')[0]!.replace(`${repo}/`, '')))).toEqual(NOT_OBJECTS);
  });

  test('every example and the deploy base pass (v1beta1 included), other kinds are skipped', async () => {
    const r = await run([...manifests('examples'), ...manifests('deploy'), join(repo, 'crds')]);
    expect(r.out).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).toMatch(
      /^\d+ external-secrets\.io objects checked, \d+ other objects skipped, 0 problems$/,
    );
    const [checked, skipped] = r.err[0]!.match(/\d+/g)!.map(Number);
    expect(checked).toBeGreaterThanOrEqual(4); // gcp + aws: store + ExternalSecret each
    expect(skipped).toBeGreaterThan(5);
  });

  test('v1 and v1beta1 of each kind, with every supported provider', async () => {
    for (const version of ['v1', 'v1beta1']) {
      for (const kind of ['SecretStore', 'ClusterSecretStore']) {
        for (const provider of [
          '    gcpsm: {projectID: p}',
          '    aws: {service: SecretsManager, region: eu-west-1}',
          '    fake: {data: [{key: a, value: b}]}',
        ]) {
          expect(await lines(store(provider, kind, version))).toEqual([]);
        }
      }
      expect(
        await lines(
          es(`  refreshInterval: 15m
  secretStoreRef: {name: s, kind: ClusterSecretStore}
  target: {creationPolicy: Owner, deletionPolicy: Delete}
  data:
    - {secretKey: user, remoteRef: {key: db, property: user}}
  dataFrom:
    - find: {name: {regexp: '^app-.*'}}
      rewrite: [{regexp: {source: '^app-', target: ''}}]`).replace('/v1\n', `/${version}\n`),
        ),
      ).toEqual([]);
    }
  });

  test('a refresh-schedule annotation, sync windows and a template', async () => {
    expect(
      await lines(
        es(
          `  secretStoreRef: {name: s}
  syncWindows: {kind: allow, windows: [{schedule: '0 9 * * MON-FRI', duration: 8h}]}
  target:
    template:
      data: {dsn: 'postgres://{{ .user }}:{{ .password | urlquery }}@db/app'}
  data:
    - {secretKey: user, remoteRef: {key: u}}
    - {secretKey: password, remoteRef: {key: p}}`,
          ', annotations: {secretsync.io/refresh-schedule: "*/5 * * * *"}',
        ),
      ),
    ).toEqual([]);
  });

  test('a kind: List is checked item by item', async () => {
    const list = `apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
  - {apiVersion: external-secrets.io/v1, kind: SecretStore, metadata: {name: s, namespace: a}, spec: {provider: {fake: {data: []}}}}`;
    const r = await run(['-'], list);
    expect(r.code).toBe(0);
    expect(r.err[0]).toBe('1 external-secrets.io object checked, 1 other object skipped, 0 problems');
  });
});

const ces = (spec: string, version = 'v1') => `apiVersion: external-secrets.io/${version}
kind: ClusterExternalSecret
metadata: {name: pull}
spec:
${spec}`;

describe('ClusterExternalSecret', () => {
  test('a ClusterExternalSecret as ESO documents it passes, at v1 and v1beta1', async () => {
    for (const version of ['v1', 'v1beta1']) {
      const r = await run(
        ['-'],
        ces(
          `  externalSecretName: registry
  externalSecretMetadata: {labels: {app: x}, annotations: {note: y}}
  namespaceSelectors: [{matchLabels: {team: a}}, {matchExpressions: [{key: tier, operator: In, values: [prod]}]}]
  namespaces: [extra]
  refreshTime: 1m
  externalSecretSpec:
    secretStoreRef: {name: s, kind: ClusterSecretStore}
    refreshInterval: 1h
    data: [{secretKey: token, remoteRef: {key: shared}}]`,
          version,
        ),
      );
      expect(r.out).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.err[0]).toBe('1 external-secrets.io object checked, 0 other objects skipped, 0 problems');
    }
  });

  test('the ExternalSecret it creates is checked as one, under spec.externalSecretSpec', async () => {
    expect(
      await lines(
        ces(`  refreshTime: soon
  namespaceSelectors: [{matchLabels: {team: a}}]
  externalSecretMetadata: {annotations: {secretsync.io/refresh-schedule: "not cron"}}
  externalSecretSpec:
    secretStoreRef: {name: s}
    data:
      - {secretKey: a, remoteRef: {key: x}}
      - {secretKey: a, remoteRef: {key: y}}`),
      ),
    ).toEqual([
      expect.stringMatching(
        /^<stdin>:1: ClusterExternalSecret\/pull: spec\.refreshTime: invalid duration "soon"/,
      ),
      expect.stringMatching(
        /^<stdin>:1: ClusterExternalSecret\/pull: spec\.externalSecretSpec\.data\[1\]\.secretKey: duplicate secretKey "a"/,
      ),
      expect.stringMatching(
        /^<stdin>:1: ClusterExternalSecret\/pull: spec\.externalSecretMetadata\.annotations\[secretsync\.io\/refresh-schedule\]: /,
      ),
    ]);
  });

  test('a namespace selector that could never match is refused', async () => {
    const spec = (
      expr: string,
    ) => `  externalSecretSpec: {secretStoreRef: {name: s}, data: [{secretKey: a, remoteRef: {key: x}}]}
  namespaceSelectors: [{matchExpressions: [${expr}]}]`;
    expect(await lines(ces(spec('{key: team, operator: In}')))).toEqual([
      '<stdin>:1: ClusterExternalSecret/pull: spec.namespaceSelectors[0].matchExpressions[0]: In and NotIn need at least one value',
    ]);
    expect(await lines(ces(spec('{key: team, operator: Exists, values: [a]}')))).toEqual([
      '<stdin>:1: ClusterExternalSecret/pull: spec.namespaceSelectors[0].matchExpressions[0]: Exists and DoesNotExist take no values',
    ]);
    expect((await lines(ces(spec('{key: team, operator: Equals, values: [a]}'))))[0]).toMatch(
      /^<stdin>:1: ClusterExternalSecret\/pull: spec\.namespaceSelectors\[0\]\.matchExpressions\[0\]\.operator: must be one of In, NotIn, Exists, DoesNotExist$/,
    );
  });

  test('externalSecretSpec is required and follows the ExternalSecret schema and rules', async () => {
    expect(await lines(ces('  namespaces: [a]'))).toEqual([
      '<stdin>:1: ClusterExternalSecret/pull: spec.externalSecretSpec: required',
    ]);
    expect(await lines(ces('  externalSecretSpec: {secretStoreRef: {name: s}}'))).toEqual([
      '<stdin>:1: ClusterExternalSecret/pull: spec.externalSecretSpec: either data or dataFrom must be set',
    ]);
  });
});

describe('bad manifests: one line per problem, located', () => {
  test.each<[string, string, string[]]>([
    [
      'duplicate secretKey',
      es(`  secretStoreRef: {name: s}
  data:
    - {secretKey: password, remoteRef: {key: a}}
    - {secretKey: password, remoteRef: {key: b}}`),
      [
        '<stdin>:1: ExternalSecret/db: spec.data[1].secretKey: duplicate secretKey "password" (also spec.data[0]): each key of the Secret may come from one entry only',
      ],
    ],
    [
      'deletionPolicy Delete with creationPolicy Merge (CEL rule of the CRD)',
      es(`  secretStoreRef: {name: s}
  target: {creationPolicy: Merge, deletionPolicy: Delete}
  data: [{secretKey: a, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.target: deletionPolicy Delete needs a Secret the controller creates: use creationPolicy Owner or Orphan',
      ],
    ],
    [
      'deletionPolicy Merge with creationPolicy None',
      es(`  secretStoreRef: {name: s}
  target: {creationPolicy: None, deletionPolicy: Merge}
  data: [{secretKey: a, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.target: deletionPolicy Merge cannot be used with creationPolicy None: there is no Secret to merge into',
      ],
    ],
    [
      'neither data nor dataFrom',
      es(`  secretStoreRef: {name: s}`),
      ['<stdin>:1: ExternalSecret/db: spec: either data or dataFrom must be set'],
    ],
    [
      'bad duration',
      es(`  refreshInterval: 1hour
  secretStoreRef: {name: s}
  data: [{secretKey: a, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.refreshInterval: invalid duration "1hour": unknown unit "hour" (use ns, us, µs, ms, s, m or h); use a Go duration such as "1h0m0s", "30s", "1h30m" or "500ms", or a whole number of seconds such as 3600',
      ],
    ],
    [
      'bad cron in the refresh-schedule annotation',
      es(
        `  secretStoreRef: {name: s}
  data: [{secretKey: a, remoteRef: {key: a}}]`,
        ', annotations: {secretsync.io/refresh-schedule: "every day"}',
      ),
      [
        '<stdin>:1: ExternalSecret/db: metadata.annotations[secretsync.io/refresh-schedule]: invalid cron schedule "every day": has 2 field(s), not 5; expected 5 fields "minute hour day-of-month month day-of-week" such as "0 2 * * *" or "*/15 9-17 * * MON-FRI", or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
      ],
    ],
    [
      'empty remote key and a missing one',
      es(`  secretStoreRef: {name: s}
  data:
    - {secretKey: a, remoteRef: {key: ''}}
    - {secretKey: b, remoteRef: {}}`),
      [
        '<stdin>:1: ExternalSecret/db: spec.data[0].remoteRef.key: must NOT have fewer than 1 characters',
        '<stdin>:1: ExternalSecret/db: spec.data[1].remoteRef.key: required',
      ],
    ],
    [
      'unknown field and bad enum',
      es(`  secretStoreRef: {name: s, kind: Store}
  refreshPeriod: 1h
  data: [{secretKey: a, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.refreshPeriod: unknown field',
        '<stdin>:1: ExternalSecret/db: spec.secretStoreRef.kind: must be one of SecretStore, ClusterSecretStore',
      ],
    ],
    [
      'a template that does not parse',
      es(`  secretStoreRef: {name: s}
  target: {template: {data: {dsn: '{{ .user '}}}
  data: [{secretKey: user, remoteRef: {key: a}}]`),
      ['<stdin>:1: ExternalSecret/db: spec.target.template.data[dsn]: template: template.data.dsn:1:'],
    ],
    [
      'a label template that does not parse',
      es(`  secretStoreRef: {name: s}
  target: {template: {metadata: {labels: {app: '{{ .user '}}}}
  data: [{secretKey: user, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.target.template.metadata.labels[app]: template: template.metadata.labels.app:1:',
      ],
    ],
    [
      'a templateFrom literal that does not parse',
      es(`  secretStoreRef: {name: s}
  target: {template: {templateFrom: [{literal: 'a: b'}, {literal: '{{ .user '}]}}
  data: [{secretKey: user, remoteRef: {key: a}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.target.template.templateFrom[1].literal: template: templateFrom[1].literal:1:',
      ],
    ],
    [
      'an invalid regular expression',
      es(`  secretStoreRef: {name: s}
  dataFrom: [{find: {name: {regexp: 'app-(['}}}]`),
      [
        '<stdin>:1: ExternalSecret/db: spec.dataFrom[0].find.name.regexp: invalid regular expression (RE2 syntax):',
      ],
    ],
    [
      'an unsupported provider',
      store('    vault: {server: "https://vault:8200"}'),
      [
        '<stdin>:1: ClusterSecretStore/s: spec.provider.vault: provider vault is not supported by secretsync; supported providers: gcpsm, aws, fake',
      ],
    ],
    [
      'a provider nobody knows',
      store('    acme: {}'),
      [
        '<stdin>:1: ClusterSecretStore/s: spec.provider.acme: provider acme is not supported by secretsync; supported providers: gcpsm, aws, fake',
      ],
    ],
    [
      'two providers',
      store('    gcpsm: {projectID: p}\n    fake: {data: []}'),
      [
        '<stdin>:1: ClusterSecretStore/s: spec.provider: only one provider may be set per store (found gcpsm, fake)',
      ],
    ],
    [
      'aws ParameterStore',
      store('    aws: {service: ParameterStore, region: us-east-1}'),
      [
        '<stdin>:1: ClusterSecretStore/s: spec.provider.aws: secretsync supports only service SecretsManager for aws',
      ],
    ],
    [
      'a kind secretsync does not serve',
      'apiVersion: external-secrets.io/v1alpha1\nkind: PushSecret\nmetadata: {name: p}\n',
      [
        '<stdin>:1: PushSecret/p: kind: kind PushSecret is not served by secretsync (it serves ExternalSecret, SecretStore, ClusterSecretStore, ClusterExternalSecret)',
      ],
    ],
    [
      'a version secretsync does not serve',
      'apiVersion: external-secrets.io/v1alpha1\nkind: ExternalSecret\nmetadata: {name: e}\n',
      [
        '<stdin>:1: ExternalSecret/e: apiVersion: external-secrets.io/v1alpha1 is not served: use external-secrets.io/v1 or external-secrets.io/v1beta1',
      ],
    ],
    [
      'generators',
      'apiVersion: generators.external-secrets.io/v1alpha1\nkind: Password\nmetadata: {name: pw}\n',
      [
        '<stdin>:1: Password/pw: generators.external-secrets.io/v1alpha1 Password is not served by secretsync (it serves external-secrets.io ExternalSecret, SecretStore, ClusterSecretStore, ClusterExternalSecret only)',
      ],
    ],
    [
      'a bad name and an unquoted annotation',
      `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: My_Store, namespace: app, annotations: {secretsync.io/pubsub-subscription: 12}}
spec: {provider: {fake: {data: []}}}`,
      [
        `<stdin>:1: SecretStore/My_Store: metadata.name: "My_Store" is not a valid name: lower-case letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit`,
        '<stdin>:1: SecretStore/My_Store: metadata.annotations[secretsync.io/pubsub-subscription]: must be a string (quote it: "12")',
      ],
    ],
    [
      'missing apiVersion and kind',
      'metadata: {name: x}\n',
      ['<stdin>:1: <no kind>/x: apiVersion: required', '<stdin>:1: <no kind>/x: kind: required'],
    ],
    [
      'not an object',
      '- a\n- b\n',
      ['<stdin>:1: not a Kubernetes object: expected a mapping with apiVersion and kind'],
    ],
  ])('%s', async (_what, yaml, expected) => {
    const r = await run(['-'], yaml);
    expect(r.code).toBe(1);
    // Each expected entry is the start of its line (long messages are checked up to there).
    expect(r.out.map((line, i) => line.slice(0, expected[i]?.length ?? line.length))).toEqual(expected);
    for (const line of [...r.out, ...r.err]) {
      expect(line).not.toMatch(/\n| {4}at |Error:/);
    }
  });

  test('a YAML syntax error names the document and line; the other documents are still checked', async () => {
    const r = await run(
      ['-'],
      `${es('  secretStoreRef: {name: s}\n  data: [{secretKey: a, remoteRef: {key: a}}]')}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c
---
${store('    vault: {}')}`,
    );
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toMatch(/^<stdin>:2: YAML syntax error at line \d+, column \d+: /);
    expect(r.out[1]).toMatch(
      /^<stdin>:3: ClusterSecretStore\/s: spec\.provider\.vault: provider vault is not supported/,
    );
  });

  test('problems name the file and the document index within it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-'));
    writeFileSync(
      join(dir, 'a.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n${es('  secretStoreRef: {name: s}')}\n`,
    );
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [a.yaml]\n'); // not a manifest
    writeFileSync(join(dir, 'notes.txt'), 'not yaml: [');
    const r = await run([dir]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `${join(dir, 'a.yaml')}:2: ExternalSecret/db: spec: either data or dataFrom must be set`,
    ]);
    expect(r.err).toEqual(['1 external-secrets.io object checked, 1 other object skipped, 1 problem']);
  });
});

describe('usage', () => {
  test('no argument: usage error, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/nothing to validate/);
  });

  test('a missing file is one problem line, exit 1', async () => {
    const r = await run(['/nonexistent/file.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toEqual(['/nonexistent/file.yaml: no such file or directory']);
  });

  test('empty input is an error, not a silent pass', async () => {
    const r = await run(['-'], '---\n# nothing\n');
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/no YAML documents found/);
  });

  test('the CRDs have CEL rules, and every one of them compiled', async () => {
    // A rule that failed to compile would have thrown in loadCheckers; spot-check that they run.
    const r = checkObject(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 's' },
        spec: { provider: {} },
      },
      { schema: checkers.schema, cel: checkers.cel },
    );
    expect(r).toMatchObject({ kind: 'checked', problems: [{ path: 'spec.provider' }] });
    expect(readdirSync(join(repo, 'crds')).length).toBeGreaterThanOrEqual(3);
  });
});

test('formatting helpers', () => {
  expect(pointerToPath('/spec/data/0/remoteRef/key')).toBe('spec.data[0].remoteRef.key');
  expect(pointerToPath('/metadata/annotations/a.b~1c')).toBe('metadata.annotations[a.b/c]');
  expect(
    formatProblem({ file: 'f.yaml', doc: 2, object: 'ExternalSecret/x', path: 'spec', message: 'a\n  b' }),
  ).toBe('f.yaml:2: ExternalSecret/x: spec: a b');
  expect(formatProblem({ file: 'f.yaml', doc: 0, message: 'gone' })).toBe('f.yaml: gone');
});

describe('accepted but not honoured: warnings, exit code unchanged', () => {
  test('a store with retrySettings and refreshInterval validates with two warnings', async () => {
    const r = await run(
      ['-'],
      `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: s, namespace: app}
spec:
  retrySettings: {maxRetries: 3, retryInterval: 10s}
  refreshInterval: 60
  provider:
    fake: {data: []}
`,
    );
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      expect.stringMatching(
        /^<stdin>:1: SecretStore\/s: spec\.retrySettings: warning: not honoured by secretsync, synced anyway: failures back off per key/,
      ),
      expect.stringMatching(
        /^<stdin>:1: SecretStore\/s: spec\.refreshInterval: warning: not honoured by secretsync/,
      ),
    ]);
    expect(r.err).toEqual([
      '1 external-secrets.io object checked, 0 other objects skipped, 0 problems, 2 warnings',
    ]);
  });

  test('aws STS session tags are a problem', async () => {
    const out = await lines(
      store(`    aws:
      service: SecretsManager
      region: eu-west-1
      role: arn:aws:iam::123456789012:role/r
      sessionTags: [{key: team, value: a}]`),
    );
    expect(out).toEqual([
      expect.stringMatching(
        /^<stdin>:1: ClusterSecretStore\/s: spec\.provider\.aws\.sessionTags: STS session tags are not supported/,
      ),
    ]);
  });

  test('a workload with a Reloader annotation secretsync does not honour is warned about, wherever it is', async () => {
    const r = await run(
      ['-'],
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {secretproviderclass.reloader.stakater.com/reload: vault-db}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: app}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {annotations: {secretproviderclass.reloader.stakater.com/auto: "true"}}
        spec: {containers: [{name: app, image: app}], restartPolicy: Never}
`,
    );
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      expect.stringMatching(
        /^<stdin>:1: Deployment\/web: metadata\.annotations\[secretproviderclass\.reloader\.stakater\.com\/reload\]: warning: Reloader annotation not honoured by secretsync/,
      ),
      expect.stringMatching(
        /^<stdin>:2: CronJob\/nightly: spec\.jobTemplate\.spec\.template\.metadata\.annotations\[secretproviderclass\.reloader\.stakater\.com\/auto\]: warning: /,
      ),
    ]);
    expect(r.err).toEqual([
      '0 external-secrets.io objects checked, 2 other objects skipped, 0 problems, 2 warnings',
    ]);
  });
});

test('an OpenShift DeploymentConfig with Reloader annotations is warned about (not watched)', async () => {
  const r = await run(
    ['-'],
    `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy, annotations: {reloader.stakater.com/auto: "true"}}
spec: {replicas: 1}
`,
  );
  expect(r.code).toBe(0);
  expect(r.out).toEqual([
    expect.stringMatching(
      /^<stdin>:1: DeploymentConfig\/legacy: kind: warning: DeploymentConfigs are not watched by secretsync/,
    ),
  ]);
});
