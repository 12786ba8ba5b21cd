import { parse } from 'yaml';
import {
  createAjv,
  createManifestValidator,
  loadCrdSchemas,
  stripKubernetesExtensions,
  type JsonSchema,
} from '../../../src/api';

const EXAMPLE = `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: database-credentials, namespace: app}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp-secret-store, kind: ClusterSecretStore}
  target: {name: database-credentials}
  data:
    - {secretKey: username, remoteRef: {key: projects/my-project/secrets/db-username}}
    - {secretKey: password, remoteRef: {key: projects/my-project/secrets/db-password}}
`;

const example = (): Record<string, unknown> & { spec: Record<string, unknown> } =>
  parse(EXAMPLE) as Record<string, unknown> & { spec: Record<string, unknown> };

const keysDeep = (v: unknown, out: string[] = []): string[] => {
  if (Array.isArray(v)) v.forEach((x) => keysDeep(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      keysDeep(x, out);
    }
  }
  return out;
};

describe('loadCrdSchemas', () => {
  const schemas = loadCrdSchemas();

  it('returns the served versions of every kind without x-kubernetes-* keywords', () => {
    for (const kind of ['ExternalSecret', 'SecretStore', 'ClusterSecretStore'] as const) {
      expect(Object.keys(schemas[kind]).sort()).toEqual(['v1', 'v1beta1']);
      expect(keysDeep(schemas[kind]).filter((k) => k.startsWith('x-kubernetes-'))).toEqual([]);
    }
  });

  it('compiles every schema with Ajv in strict mode', () => {
    const ajv = createAjv();
    for (const versions of Object.values(schemas)) {
      for (const schema of Object.values(versions)) expect(() => ajv.compile(schema)).not.toThrow();
    }
  });

  it.each(['v1beta1', 'v1'])('accepts the example ExternalSecret as %s', (version) => {
    const ajv = createAjv();
    const validate = ajv.compile(schemas.ExternalSecret[version] as JsonSchema);
    const obj = { ...example(), apiVersion: `external-secrets.io/${version}` };
    expect(validate(obj) ? [] : validate.errors).toEqual([]);
  });

  it('keeps field names that look like keywords and marks unknown fields when asked', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        'x-kubernetes-foo': { type: 'string' },
        m: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      'x-kubernetes-validations': [{ rule: 'true' }],
    };
    expect(stripKubernetesExtensions(schema, { rejectUnknownFields: true })).toEqual({
      type: 'object',
      properties: { 'x-kubernetes-foo': { type: 'string' }, m: { type: 'object' } },
      additionalProperties: false,
    });
    expect(stripKubernetesExtensions(schema)).not.toHaveProperty('additionalProperties');
  });
});

describe('createManifestValidator', () => {
  const validate = createManifestValidator();
  const problems = (obj: unknown): string[] => validate(obj).problems.map((p) => `${p.path}: ${p.message}`);

  it('accepts the example manifest in both versions', () => {
    expect(validate(example())).toEqual({ valid: true, problems: [] });
    expect(validate({ ...example(), apiVersion: 'external-secrets.io/v1' })).toEqual({
      valid: true,
      problems: [],
    });
  });

  it('accepts stores of the supported providers', () => {
    const store = (provider: unknown, kind = 'SecretStore') => ({
      apiVersion: 'external-secrets.io/v1',
      kind,
      metadata: { name: 's' },
      spec: { provider },
    });
    expect(problems(store({ gcpsm: { projectID: 'p' } }))).toEqual([]);
    expect(
      problems(store({ aws: { service: 'SecretsManager', region: 'us-east-1' } }, 'ClusterSecretStore')),
    ).toEqual([]);
    expect(problems(store({ fake: { data: [{ key: 'a', value: 'b' }] } }))).toEqual([]);
  });

  it('reports what OpenAPI can check', () => {
    const bad = example();
    bad.spec.data = [
      { secretKey: 'a/b', remoteRef: { key: 'k' } },
      { secretKey: 'ok', remoteRef: { key: '' } },
    ];
    bad.spec.target = { creationPolicy: 'Sometimes' };
    bad.spec.bogus = true;
    expect(problems(bad)).toEqual(
      expect.arrayContaining([
        '/spec/data/0/secretKey: must match pattern "^[-._a-zA-Z0-9]+$"',
        '/spec/data/1/remoteRef/key: must NOT have fewer than 1 characters',
        '/spec/target/creationPolicy: must be one of Owner, Orphan, Merge, None, CreateOrMerge',
        '/spec/bogus: unknown field',
      ]),
    );
  });

  it('rejects objects of other APIs', () => {
    expect(problems({ apiVersion: 'external-secrets.io/v1alpha1', kind: 'ExternalSecret' })).toEqual([
      ': not an external-secrets.io object this version serves: external-secrets.io/v1alpha1 ExternalSecret',
    ]);
  });
});
