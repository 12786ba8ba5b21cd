import {
  UNHONOURED_RELOADER_ANNOTATIONS,
  ignoredStoreFields,
  unsupportedAwsFields,
} from '../../../src/api/unsupported-fields';

describe('fields accepted but not honoured', () => {
  test('store fields ignored with a warning, each saying what happens instead', () => {
    expect(ignoredStoreFields({ provider: { fake: {} } } as never)).toEqual([]);
    expect(
      ignoredStoreFields({
        retrySettings: { maxRetries: 3, retryInterval: '10s' },
        refreshInterval: 60,
        provider: { aws: { service: 'SecretsManager', secretsManager: { recoveryWindowInDays: 7 } } },
      }).map((f) => f.path),
    ).toEqual(['spec.retrySettings', 'spec.refreshInterval', 'spec.provider.aws.secretsManager']);
    // 0 (or empty) is ESO's "controller default": nothing to warn about.
    expect(ignoredStoreFields({ refreshInterval: 0, provider: {} })).toEqual([]);
    expect(ignoredStoreFields({ provider: { aws: { secretsManager: {} } } })).toEqual([]);
  });

  test('aws session tags are refused; the CRD default sessionTagsPolicy None is not', () => {
    expect(unsupportedAwsFields({ service: 'SecretsManager', sessionTagsPolicy: 'None' })).toEqual([]);
    expect(
      unsupportedAwsFields({
        sessionTags: [{ key: 'team', value: 'a' }],
        transitiveTagKeys: ['team'],
        customSessionTags: { x: 'y' },
        sessionTagsPolicy: 'Simple',
      }),
    ).toEqual([
      'aws.sessionTags',
      'aws.transitiveTagKeys',
      'aws.customSessionTags',
      'aws.sessionTagsPolicy=Simple',
    ]);
    expect(unsupportedAwsFields({ sessionTags: [], transitiveTagKeys: [] })).toEqual([]);
  });

  test('the unhonoured Reloader annotations are the SecretProviderClass ones', () => {
    expect(Object.keys(UNHONOURED_RELOADER_ANNOTATIONS).sort()).toEqual([
      'secretproviderclass.reloader.stakater.com/auto',
      'secretproviderclass.reloader.stakater.com/reload',
      'secretproviderclasses.exclude.reloader.stakater.com/reload',
    ]);
  });
});
