// The aws provider's pure parts: store spec parsing, remoteRef versions (stage or ESO's uuid/),
// the store prefix, getSecrets result keys, chunking, and the ListSecrets filters derived from a
// dataFrom.find query.
import { InvalidRefError } from '../../../src/providers/core/errors';
import { endpointOverride, storeRegion } from '../../../src/providers/aws';
import {
  chunks,
  listFilters,
  parseAwsSpec,
  parseVersion,
  regexpPrefix,
  resultKey,
  secretId,
} from '../../../src/providers/aws/config';

test('parseAwsSpec: defaults, fields and what to fix', () => {
  expect(parseAwsSpec({ service: 'SecretsManager', region: 'eu-west-1' })).toEqual({
    region: 'eu-west-1',
    prefix: '',
    additionalRoles: [],
  });
  expect(
    parseAwsSpec({
      service: 'SecretsManager',
      prefix: 'team-a/',
      role: 'arn:aws:iam::1:role/r',
      additionalRoles: ['arn:aws:iam::1:role/a'],
      externalID: 'x',
      auth: { jwt: { serviceAccountRef: { name: 'sa' } } },
    }),
  ).toEqual({
    prefix: 'team-a/',
    role: 'arn:aws:iam::1:role/r',
    additionalRoles: ['arn:aws:iam::1:role/a'],
    externalID: 'x',
    auth: { jwt: { serviceAccountRef: { name: 'sa' } } },
  });
  expect(parseAwsSpec({ auth: {} }).auth).toBeUndefined();
  expect(() => parseAwsSpec({ service: 'ParameterStore' })).toThrow(
    new InvalidRefError(
      'aws.service "ParameterStore" is not supported; secretsync serves service: SecretsManager only',
    ),
  );
  expect(() => parseAwsSpec({ region: 'Ireland' })).toThrow(/aws.region "Ireland" is not an AWS region name/);
  expect(() => parseAwsSpec({ additionalRoles: 'arn' })).toThrow(/additionalRoles must be a list/);
  expect(() => parseAwsSpec({ prefix: 3 })).toThrow('aws.prefix must be a string');
  expect(() => parseAwsSpec([])).toThrow(InvalidRefError);
  expect(() => parseAwsSpec({ auth: 'x' })).toThrow('aws.auth must be an object (jwt or secretRef)');
});

test('parseVersion: AWSCURRENT by default, stages, and uuid/<VersionId> as ESO reads them', () => {
  expect(parseVersion(undefined)).toEqual({ stage: 'AWSCURRENT', isDefault: true });
  expect(parseVersion('')).toEqual({ stage: 'AWSCURRENT', isDefault: true });
  expect(parseVersion('AWSCURRENT')).toEqual({ stage: 'AWSCURRENT', isDefault: true });
  expect(parseVersion('AWSPREVIOUS')).toEqual({ stage: 'AWSPREVIOUS', isDefault: false });
  expect(parseVersion('blue')).toEqual({ stage: 'blue', isDefault: false });
  expect(parseVersion('uuid/01234567-89ab-cdef-0123-456789abcdef')).toEqual({
    versionId: '01234567-89ab-cdef-0123-456789abcdef',
  });
  expect(() => parseVersion('uuid/')).toThrow(/names no VersionId/);
  expect(() => parseVersion('x'.repeat(257))).toThrow(/longer than 256/);
});

test('secretId: the prefix is prepended as ESO does; ARNs are sent as written', () => {
  expect(secretId('', 'db')).toBe('db');
  expect(secretId('team-a/', 'db')).toBe('team-a/db');
  expect(secretId('team-a/', 'arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf')).toBe(
    'arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf',
  );
  expect(() => secretId('p/', '')).toThrow(new InvalidRefError('remoteRef.key is empty'));
});

test('resultKey and chunks', () => {
  expect(resultKey({ key: 'db' })).toBe('db@');
  expect(resultKey({ key: 'db', version: 'AWSPREVIOUS' })).toBe('db@AWSPREVIOUS');
  expect(resultKey({ key: 'a@b', version: 'uuid/x' })).toBe('a@b@uuid/x');
  expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  expect(chunks([], 20)).toEqual([]);
  expect(
    chunks(
      Array.from({ length: 41 }, (_, i) => i),
      20,
    ).map((c) => c.length),
  ).toEqual([20, 20, 1]);
});

test('regexpPrefix: the literal name prefix an anchored RE2 pattern implies', () => {
  expect(regexpPrefix('^app/prod/.*')).toBe('app/prod/');
  expect(regexpPrefix('^app\\.prod-db$')).toBe('app.prod-db');
  expect(regexpPrefix('^abc?')).toBe('ab');
  expect(regexpPrefix('^abc*')).toBe('ab');
  expect(regexpPrefix('^abc{0,1}')).toBe('ab');
  expect(regexpPrefix('^ab+')).toBe('ab');
  expect(regexpPrefix('^a(b)?')).toBe('a');
  expect(regexpPrefix('^a[bc]')).toBe('a');
  expect(regexpPrefix('^ab|cd')).toBe('');
  expect(regexpPrefix('app/.*')).toBe('');
  expect(regexpPrefix('(?i)^app')).toBe('');
  expect(regexpPrefix('^\\d+')).toBe('');
  expect(regexpPrefix('^é')).toBe('');
  expect(regexpPrefix(undefined)).toBe('');
});

test('listFilters: name for path (or an anchored regexp), tag-key and tag-value per tag, as ESO sends', () => {
  expect(listFilters({})).toEqual([]);
  expect(listFilters({ path: 'app/prod/' })).toEqual([{ Key: 'name', Values: ['app/prod/'] }]);
  expect(listFilters({ nameRegexp: '^app/' })).toEqual([{ Key: 'name', Values: ['app/'] }]);
  expect(listFilters({ path: 'x/', nameRegexp: '^app/' })).toEqual([{ Key: 'name', Values: ['x/'] }]);
  expect(listFilters({ nameRegexp: 'db' })).toEqual([]);
  expect(listFilters({ tags: { env: 'prod', team: 'a b' } })).toEqual([
    { Key: 'tag-key', Values: ['env'] },
    { Key: 'tag-value', Values: ['prod'] },
    { Key: 'tag-key', Values: ['team'] },
    { Key: 'tag-value', Values: ['a b'] },
  ]);
  // A leading `!` would negate; characters AWS rejects, or an empty value, are left to the client-side check.
  expect(listFilters({ path: '!x', tags: { 'k*': '', ok: 'é' } })).toEqual([
    { Key: 'tag-key', Values: ['ok'] },
  ]);
});

test('storeRegion and endpointOverride read the spec, then the environment', () => {
  expect(storeRegion({ region: 'eu-west-1', prefix: '', additionalRoles: [] }, { AWS_REGION: 'x' })).toBe(
    'eu-west-1',
  );
  expect(storeRegion({ prefix: '', additionalRoles: [] }, { AWS_REGION: 'us-east-2' })).toBe('us-east-2');
  expect(storeRegion({ prefix: '', additionalRoles: [] }, { AWS_DEFAULT_REGION: 'us-west-2' })).toBe(
    'us-west-2',
  );
  expect(() => storeRegion({ prefix: '', additionalRoles: [] }, {})).toThrow(/aws.region is not set/);
  expect(endpointOverride({})).toBeUndefined();
  expect(endpointOverride({ AWS_ENDPOINT_URL: 'http://a' })).toBe('http://a');
  expect(
    endpointOverride({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://b' }),
  ).toBe('http://b');
});

test('parseAwsSpec refuses STS session tags (never assumes a role without the tags asked for)', () => {
  expect(() =>
    parseAwsSpec({
      service: 'SecretsManager',
      role: 'arn:aws:iam::1:role/r',
      sessionTags: [{ key: 'k', value: 'v' }],
    }),
  ).toThrow(/aws\.sessionTags: STS session tags are not supported/);
  expect(() => parseAwsSpec({ service: 'SecretsManager', sessionTagsPolicy: 'Custom' })).toThrow(
    /aws\.sessionTagsPolicy=Custom/,
  );
  expect(() => parseAwsSpec({ service: 'SecretsManager', sessionTagsPolicy: 'None' })).not.toThrow();
});
