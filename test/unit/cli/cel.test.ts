// The CRDs' CEL rules evaluated offline: every rule in crds/ is exercised by a manifest that breaks
// it (so none is silently skipped because the evaluator cannot run it), and valid manifests pass.
import { crdValidationRules, loadCrds } from '../../../src/api/schema';
import { createCelChecker, parseRulePath, toCel, type CelChecker } from '../../../src/cli/cel';

let cel: CelChecker;
beforeAll(async () => {
  cel = await createCelChecker();
});

const es = (spec: Record<string, unknown>, version = 'v1') => ({
  apiVersion: `external-secrets.io/${version}`,
  kind: 'ExternalSecret',
  metadata: { name: 'e', namespace: 'n' },
  spec: { secretStoreRef: { name: 's' }, data: [{ secretKey: 'a', remoteRef: { key: 'a' } }], ...spec },
});
const store = (spec: Record<string, unknown>, kind = 'SecretStore', version = 'v1') => ({
  apiVersion: `external-secrets.io/${version}`,
  kind,
  metadata: { name: 's' },
  spec: { provider: { fake: { data: [] } }, ...spec },
});

const gen = {
  generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'p' },
};

const ES_BREAKERS: Record<string, unknown>[] = [
  { data: undefined },
  { secretStoreRef: undefined },
  { target: { creationPolicy: 'Merge', deletionPolicy: 'Delete' } },
  { target: { creationPolicy: 'None', deletionPolicy: 'Merge' } },
  { target: { manifest: { apiVersion: 'v1', kind: 'ConfigMap' } } },
  { target: { template: { type: 'bootstrap.kubernetes.io/token' } } },
  {
    target: {
      template: {
        type: 'kubernetes.io/service-account-token',
        metadata: { annotations: { 'kubernetes.io/service-account.name': 'x' } },
      },
    },
  },
  { target: { template: { templateFrom: [{ target: 'Spec' }] } } },
  { refreshInterval: '1x' },
  { syncWindows: { kind: 'allow', windows: [{ schedule: '* * * * *', duration: 'soon' }] } },
  { data: [{ secretKey: 'a', remoteRef: { key: 'a' }, sourceRef: gen }] },
  { dataFrom: [{}] },
  { dataFrom: [{ extract: { key: 'a' }, find: { path: 'a' } }] },
  { dataFrom: [{ extract: { key: 'a' }, sourceRef: gen }] },
];

const STORE_BREAKERS: Record<string, unknown>[] = [
  { provider: {} },
  { provider: { gcpsm: { projectID: 'p' }, fake: { data: [] } } },
  { provider: { aws: { service: 'ParameterStore' } } },
  { provider: { aws: { service: 'SecretsManager', customSessionTags: { esoNamespace: 'x' } } } },
  { retrySettings: { retryInterval: 'often' } },
  { refreshInterval: -5 },
  { refreshInterval: 'hourly' },
];

describe.each([
  ['ExternalSecret', 'v1'],
  ['ExternalSecret', 'v1beta1'],
  ['SecretStore', 'v1'],
  ['SecretStore', 'v1beta1'],
  ['ClusterSecretStore', 'v1'],
  ['ClusterSecretStore', 'v1beta1'],
] as const)('%s %s', (kind, version) => {
  const crd = loadCrds()[kind];
  const rules = crdValidationRules(crd.spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema);

  test('every CEL rule of the CRD fires on a manifest that breaks it', () => {
    expect(rules.length).toBeGreaterThan(5);
    const seen = new Set<string>();
    const samples =
      kind === 'ExternalSecret'
        ? ES_BREAKERS.map((s) => es(s, version))
        : [
            ...STORE_BREAKERS.map((s) => store(s, kind, version)),
            // one per unsupported provider (rules `false` under spec.provider.<name>)
            ...rules
              .filter((r) => r.rule === 'false')
              .map((r) => store({ provider: { [r.path.split('.').pop()!]: {} } }, kind, version)),
          ];
    for (const s of samples) for (const p of cel(s)) seen.add(`${p.message}`);
    const missing = rules.map((r) => r.message).filter((m) => !seen.has(m!));
    expect(missing).toEqual([]);
  });

  test('a valid manifest breaks no rule', () => {
    const ok =
      kind === 'ExternalSecret'
        ? es(
            { refreshInterval: '1h30m', target: { creationPolicy: 'Owner', deletionPolicy: 'Delete' } },
            version,
          )
        : store(
            { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } }, refreshInterval: 3600 },
            kind,
            version,
          );
    expect(cel(ok)).toEqual([]);
  });
});

test('problems carry concrete paths with list indices', () => {
  expect(cel(es({ dataFrom: [{ find: { path: 'a' } }, {}] })).map((p) => p.path)).toEqual([
    'spec.dataFrom[1]',
  ]);
  expect(parseRulePath('spec.data[].sourceRef')).toEqual([
    { field: 'spec' },
    { field: 'data' },
    { each: 'list' },
    { field: 'sourceRef' },
  ]);
  expect(toCel({ a: [1, 1.5, 'x'] })).toEqual({ a: [1n, 1.5, 'x'] });
});
