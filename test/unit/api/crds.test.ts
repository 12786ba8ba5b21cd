import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  KIND,
  PLURAL,
  SHORT_NAME,
  SUPPORTED_PROVIDERS,
  crdValidationRules,
  findCrdDir,
  loadCrds,
  type ApiKind,
  type JsonSchema,
} from '../../../src/api';
import { parseDurationNs } from '../../../src/gocompat/duration';

const crds = loadCrds();
const kinds = Object.keys(KIND) as ApiKind[];
const v1Schema = (kind: ApiKind): JsonSchema =>
  crds[kind].spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema;
const at = (schema: JsonSchema, ...keys: string[]): JsonSchema =>
  keys.reduce<JsonSchema>(
    (s, k) => (k === '[]' ? (s.items as JsonSchema) : (s.properties as Record<string, JsonSchema>)[k]!),
    schema,
  );

describe('crds/', () => {
  it('lists the CRDs in kustomization.yaml', () => {
    const dir = findCrdDir();
    const kustomization = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    expect(kustomization.resources.sort()).toEqual([
      'clusterexternalsecrets.yaml',
      'clustersecretstores.yaml',
      'externalsecrets.yaml',
      'secretstores.yaml',
    ]);
  });

  it.each(kinds)('%s: names, scope and conversion', (kind) => {
    const { metadata, spec } = crds[kind];
    expect(metadata.name).toBe(`${PLURAL[kind]}.external-secrets.io`);
    expect(spec.group).toBe('external-secrets.io');
    expect(spec.names).toEqual({
      kind,
      listKind: `${kind}List`,
      plural: PLURAL[kind],
      singular: kind.toLowerCase(),
      shortNames: [SHORT_NAME[kind]],
      categories: ['external-secrets'],
    });
    expect(spec.scope).toBe(kind.startsWith('Cluster') ? 'Cluster' : 'Namespaced');
    expect(spec.conversion).toEqual({ strategy: 'None' });
  });

  it.each(kinds)('%s: v1 and v1beta1 served, v1 the storage version, one schema', (kind) => {
    const versions = crds[kind].spec.versions;
    expect(versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1', true, true],
      ['v1beta1', true, false],
    ]);
    const [v1, v1beta1] = versions;
    expect(v1beta1!.schema).toEqual(v1!.schema);
    expect(v1beta1!.additionalPrinterColumns).toEqual(v1!.additionalPrinterColumns);
    expect(v1beta1!.subresources).toEqual(v1!.subresources);
    expect(v1!.subresources).toEqual({ status: {} });
    expect(v1beta1!.deprecated).toBeUndefined();
  });

  it('ExternalSecret printer columns match ESO', () => {
    expect(crds.ExternalSecret.spec.versions[0]!.additionalPrinterColumns).toEqual([
      { name: 'StoreType', type: 'string', jsonPath: '.spec.secretStoreRef.kind' },
      { name: 'Store', type: 'string', jsonPath: '.spec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshInterval' },
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Last Sync', type: 'date', jsonPath: '.status.refreshTime' },
    ]);
  });

  it.each(['SecretStore', 'ClusterSecretStore'] as const)('%s printer columns match ESO', (kind) => {
    expect(crds[kind].spec.versions[0]!.additionalPrinterColumns!.map((c) => c.name)).toEqual([
      'AGE',
      'Status',
      'Capabilities',
      'Ready',
    ]);
  });

  it('ClusterExternalSecret printer columns match ESO', () => {
    expect(crds.ClusterExternalSecret.spec.versions[0]!.additionalPrinterColumns).toEqual([
      { name: 'Store', type: 'string', jsonPath: '.spec.externalSecretSpec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshTime' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    ]);
  });

  it('ClusterExternalSecret: externalSecretSpec is the ExternalSecret spec, with ESO fields around it', () => {
    const spec = at(v1Schema('ClusterExternalSecret'), 'spec');
    const { description: _a, ...esSpec } = at(v1Schema('ExternalSecret'), 'spec');
    const { description: _b, ...inner } = at(spec, 'externalSecretSpec');
    expect(inner).toEqual(esSpec);
    expect(spec.required).toEqual(['externalSecretSpec']);
    expect(Object.keys(spec.properties as object).sort()).toEqual([
      'externalSecretMetadata',
      'externalSecretName',
      'externalSecretSpec',
      'namespaceSelector',
      'namespaceSelectors',
      'namespaces',
      'refreshTime',
    ]);
    const { description: _c, ...selector } = at(spec, 'namespaceSelector');
    expect(at(spec, 'namespaceSelectors', '[]')).toMatchObject(selector);
    expect(Object.keys(at(v1Schema('ClusterExternalSecret'), 'status').properties as object).sort()).toEqual([
      'conditions',
      'externalSecretName',
      'failedNamespaces',
      'provisionedNamespaces',
    ]);
  });

  it('SecretStore and ClusterSecretStore share spec and status', () => {
    expect(v1Schema('ClusterSecretStore').properties).toEqual(v1Schema('SecretStore').properties);
  });

  it('ExternalSecret defaults follow ESO', () => {
    const spec = at(v1Schema('ExternalSecret'), 'spec');
    expect(at(spec, 'refreshInterval').default).toBe('1h0m0s');
    expect(at(spec, 'refreshPolicy').default).toBeUndefined();
    expect(at(spec, 'refreshPolicy').enum).toEqual(['CreatedOnce', 'Periodic', 'OnChange']);
    expect(at(spec, 'target').default).toEqual({ creationPolicy: 'Owner', deletionPolicy: 'Retain' });
    expect(at(spec, 'target', 'creationPolicy').enum).toEqual([
      'Owner',
      'Orphan',
      'Merge',
      'None',
      'CreateOrMerge',
    ]);
    expect(at(spec, 'target', 'deletionPolicy').enum).toEqual(['Delete', 'Merge', 'Retain']);
    expect(at(spec, 'target', 'template', 'engineVersion').default).toBe('v2');
    expect(at(spec, 'secretStoreRef', 'kind').enum).toEqual(['SecretStore', 'ClusterSecretStore']);
    expect(at(spec, 'data', '[]', 'secretKey')).toMatchObject({
      minLength: 1,
      maxLength: 253,
      pattern: '^[-._a-zA-Z0-9]+$',
    });
    expect(at(spec, 'data', '[]', 'remoteRef', 'key').minLength).toBe(1);
    expect(at(spec, 'data')).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['secretKey'],
    });
  });

  it('the provider admits gcpsm, aws and fake, and names them when rejecting any other', () => {
    const provider = at(v1Schema('SecretStore'), 'spec', 'provider');
    const props = provider.properties as Record<string, JsonSchema>;
    for (const name of SUPPORTED_PROVIDERS) expect(props[name]!.properties).toBeDefined();
    const others = Object.keys(props).filter((n) => !(SUPPORTED_PROVIDERS as readonly string[]).includes(n));
    expect(others).toEqual(
      expect.arrayContaining(['vault', 'azurekv', 'kubernetes', 'onepassword', 'webhook']),
    );
    for (const name of others) {
      expect(props[name]!['x-kubernetes-validations']).toEqual([
        {
          rule: 'false',
          message: `provider ${name} is not supported by secretsync; supported providers: gcpsm, aws, fake`,
        },
      ]);
    }
    // "a provider is required" must not also fire when an unsupported one is present.
    const required = (provider['x-kubernetes-validations'] as { rule: string }[])[0]!.rule;
    for (const name of Object.keys(props)) expect(required).toContain(`has(self.${name})`);
  });

  it('carries the admission rules', () => {
    const messages = (kind: ApiKind) =>
      crdValidationRules(v1Schema(kind)).map((r) => `${r.path}: ${r.message ?? r.messageExpression}`);
    expect(messages('ExternalSecret')).toEqual(
      expect.arrayContaining([
        'spec: either data or dataFrom must be set',
        'spec: secretStoreRef.name is required unless every data and dataFrom entry sets sourceRef.storeRef.name',
        'spec.target: deletionPolicy Delete needs a Secret the controller creates: use creationPolicy Owner or Orphan',
        'spec.target: deletionPolicy Merge cannot be used with creationPolicy None: there is no Secret to merge into',
        'spec.refreshInterval: must be a duration such as 30s, 10m, 1h or 1h30m0s (units: ns, us, ms, s, m, h)',
        'spec.syncWindows.windows[].duration: must be a duration such as 30s, 10m, 1h or 1h30m0s (units: ns, us, ms, s, m, h)',
        'spec.dataFrom[]: each dataFrom entry needs extract or find',
      ]),
    );
    expect(messages('SecretStore')).toEqual(
      expect.arrayContaining([
        'spec.provider: a provider is required; secretsync supports gcpsm, aws and fake',
        'spec.provider: only one provider may be set per store',
        'spec.refreshInterval: must be a number of seconds or a duration such as 30s, 10m, 1h (not negative)',
      ]),
    );
  });

  it('bounds the lists and strings that CEL rules iterate over', () => {
    const spec = at(v1Schema('ExternalSecret'), 'spec');
    expect(at(spec, 'data').maxItems).toBe(1000);
    expect(at(spec, 'dataFrom').maxItems).toBe(1000);
    expect(at(spec, 'target', 'template', 'templateFrom').maxItems).toBeDefined();
    expect(at(spec, 'target', 'template', 'templateFrom', '[]', 'target').maxLength).toBeDefined();
    expect(at(spec, 'syncWindows', 'windows').maxItems).toBeDefined();
    expect(at(spec, 'refreshInterval').maxLength).toBeDefined();
  });
});

describe('the duration rule', () => {
  const rule = crdValidationRules(v1Schema('ExternalSecret')).find(
    (r) => r.path === 'spec.refreshInterval',
  )!.rule;
  const pattern = new RegExp(/^self\.matches\('(.*)'\)$/.exec(rule)![1]!, 'u');

  it.each(['1h', '1h0m0s', '30s', '0s', '0', '1.5h', '100ms', '2h45m', '1µs', '1μs', '.5s', '+1h', '1.h'])(
    'accepts %s',
    (d) => expect(pattern.test(d)).toBe(true),
  );
  it.each(['', '1 hour', '1d', '-1h', 'h', '10', '1h 30m', '1H', '.s', ' 1h'])('rejects %j', (d) =>
    expect(pattern.test(d)).toBe(false),
  );

  it('agrees with the runtime parser on Go durations', () => {
    // The runtime parser also takes a bare number of seconds ("10") for a store's integer field;
    // as a string ExternalSecret duration that is not a Go duration, so it is left out here.
    for (const d of [
      '1h',
      '1h0m0s',
      '30s',
      '0s',
      '0',
      '1.5h',
      '100ms',
      '1µs',
      '.5s',
      '+1h',
      '1 hour',
      '1d',
      '-1h',
      'h',
      '',
    ]) {
      let parses = true;
      try {
        parseDurationNs(d);
      } catch {
        parses = false;
      }
      expect([d, pattern.test(d)]).toEqual([d, parses]);
    }
  });
});
