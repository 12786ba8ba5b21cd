// spec.ts: ESO's defaults applied to an ExternalSecret; api/unsupported-fields.ts: the fields
// secretsync reports as not supported (Ready=False naming the field) rather than silently ignoring.
import { ANNOTATION } from '../../../src/api/constants';
import type { ExternalSecretSpec } from '../../../src/api/generated';
import { normalize } from '../../../src/controllers/externalsecret/spec';
import { unsupportedFields } from '../../../src/api/unsupported-fields';
import { DurationError } from '../../../src/gocompat/duration';
import { externalSecret } from './helpers';

describe('normalize', () => {
  test("ESO's defaults: Owner, Retain, 1h0m0s, Periodic, target name = metadata.name, kind SecretStore", () => {
    const n = normalize(externalSecret({ secretStoreRef: { name: 'gcp' } }, { name: 'app-secrets' }));
    expect(n).toEqual({
      targetName: 'app-secrets',
      creationPolicy: 'Owner',
      deletionPolicy: 'Retain',
      immutable: false,
      refreshPolicy: 'Periodic',
      refreshIntervalMs: 3_600_000,
      refreshSchedule: undefined,
      syncWindows: undefined,
      storeRef: { name: 'gcp', kind: 'SecretStore' },
    });
  });

  test('explicit values are kept', () => {
    const n = normalize(
      externalSecret({
        secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' },
        refreshPolicy: 'OnChange',
        refreshInterval: '15m30s',
        target: { name: 'db', creationPolicy: 'Merge', deletionPolicy: 'Merge', immutable: true },
      }),
    );
    expect(n).toMatchObject({
      targetName: 'db',
      creationPolicy: 'Merge',
      deletionPolicy: 'Merge',
      immutable: true,
      refreshPolicy: 'OnChange',
      refreshIntervalMs: 930_000,
      storeRef: { name: 'shared', kind: 'ClusterSecretStore' },
    });
  });

  test('an empty target name also defaults to metadata.name', () => {
    expect(normalize(externalSecret({ target: { name: '' } }, { name: 'es1' })).targetName).toBe('es1');
  });

  test('refreshInterval 0s → 0 (fetch once); a bare number is seconds', () => {
    expect(normalize(externalSecret({ refreshInterval: '0s' })).refreshIntervalMs).toBe(0);
    expect(normalize(externalSecret({ refreshInterval: '90' })).refreshIntervalMs).toBe(90_000);
  });

  test('an invalid refreshInterval throws a DurationError', () => {
    expect(() => normalize(externalSecret({ refreshInterval: '1 hour' }))).toThrow(DurationError);
  });

  test('no secretStoreRef name → no storeRef (entries must bring their own)', () => {
    expect(normalize(externalSecret({ secretStoreRef: undefined })).storeRef).toBeUndefined();
    expect(
      normalize(externalSecret({ secretStoreRef: { kind: 'ClusterSecretStore' } })).storeRef,
    ).toBeUndefined();
  });

  test('the refresh-schedule annotation and syncWindows are carried over', () => {
    const n = normalize(
      externalSecret(
        { syncWindows: { kind: 'deny', windows: [{ schedule: '0 2 * * *', duration: '1h' }] } },
        { annotations: { [ANNOTATION.refreshSchedule]: '*/10 * * * *' } },
      ),
    );
    expect(n.refreshSchedule).toBe('*/10 * * * *');
    expect(n.syncWindows).toEqual([{ kind: 'deny', windows: [{ schedule: '0 2 * * *', duration: '1h' }] }]);
  });
});

describe('unsupportedFields', () => {
  test('a spec using only supported fields → none', () => {
    const spec: ExternalSecretSpec = {
      secretStoreRef: { name: 's' },
      refreshInterval: '1h',
      target: {
        name: 't',
        creationPolicy: 'Owner',
        template: {
          type: 'kubernetes.io/basic-auth',
          engineVersion: 'v2',
          mergePolicy: 'Merge',
          metadata: { labels: { a: 'b' }, annotations: { c: 'd' } },
          data: { u: '{{ .user }}' },
        },
      },
      data: [
        {
          secretKey: 'user',
          remoteRef: {
            key: 'k',
            property: 'p',
            version: '1',
            metadataPolicy: 'None',
            conversionStrategy: 'Default',
            decodingStrategy: 'Base64',
            nullBytePolicy: 'Fail',
          },
          sourceRef: { storeRef: { name: 'other' } },
        },
      ],
      dataFrom: [
        {
          extract: { key: 'k', conversionStrategy: 'Default' },
          rewrite: [{ regexp: { source: 'a', target: 'b' } }],
        },
        {
          find: { name: { regexp: '.*' }, path: 'p/' },
          rewrite: [{ transform: { template: '{{ .value }}' } }],
        },
      ],
    };
    expect(unsupportedFields(spec)).toEqual([]);
  });

  test('each unsupported field is reported with its path, in spec order', () => {
    const spec: ExternalSecretSpec = {
      target: {
        manifest: { apiVersion: 'v1', kind: 'ConfigMap' },
        template: {
          engineVersion: 'v1',
          templateFrom: [{ literal: '{{ .a }}' }],
        },
      },
      data: [
        { secretKey: 'ok', remoteRef: { key: 'k' } },
        {
          secretKey: 'gen',
          remoteRef: { key: 'k', metadataPolicy: 'Fetch', conversionStrategy: 'Unicode' },
          sourceRef: { generatorRef: { kind: 'Password', name: 'pw' } },
        },
      ],
      dataFrom: [
        { extract: { key: 'k', metadataPolicy: 'Fetch', conversionStrategy: 'Unicode' } },
        {
          find: { name: { regexp: 'x' }, conversionStrategy: 'Unicode' },
          rewrite: [{ regexp: { source: 'a', target: 'b' } }, { merge: { strategy: 'JSON', into: 'all' } }],
        },
        { sourceRef: { generatorRef: { kind: 'ECRAuthorizationToken', name: 'ecr' } } },
      ],
    };
    expect(unsupportedFields(spec)).toEqual([
      'spec.target.manifest',
      'spec.target.template.engineVersion=v1',
      'spec.data[1].sourceRef.generatorRef',
      'spec.data[1].remoteRef.metadataPolicy=Fetch',
      'spec.data[1].remoteRef.conversionStrategy=Unicode',
      'spec.dataFrom[0].extract.metadataPolicy=Fetch',
      'spec.dataFrom[0].conversionStrategy=Unicode',
      'spec.dataFrom[1].conversionStrategy=Unicode',
      'spec.dataFrom[1].rewrite[1].merge',
      'spec.dataFrom[2].sourceRef.generatorRef',
    ]);
  });

  test('templateFrom is supported: not reported, empty or not', () => {
    expect(unsupportedFields({ target: { template: { templateFrom: [] } } })).toEqual([]);
    expect(unsupportedFields({ target: { template: { templateFrom: [{ literal: 'a: b' }] } } })).toEqual([]);
  });

  test('template.metadata.finalizers is applied (write-plan), so it is not reported', () => {
    expect(
      unsupportedFields({ target: { template: { metadata: { finalizers: ['example.com/keep'] } } } }),
    ).toEqual([]);
  });
});
