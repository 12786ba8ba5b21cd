import {
  awsSecretName,
  gcpShortName,
  normalizeRemoteName,
  parsePubSubNotification,
  parseSecretsManagerEvent,
} from '../../../src/events/parse';

test('GCP notifications name the short secret; other event types are ignored; bad ones malformed', () => {
  expect(
    parsePubSubNotification({ eventType: 'SECRET_VERSION_ADD', secretId: 'projects/p/secrets/db' }),
  ).toEqual({
    kind: 'secret',
    name: 'db',
    eventType: 'SECRET_VERSION_ADD',
  });
  expect(
    parsePubSubNotification({ eventType: 'SECRET_DELETE', secretId: 'projects/123/locations/eu/secrets/x' }),
  ).toMatchObject({ name: 'x' });
  expect(parsePubSubNotification({ eventType: 'SECRET_ROTATE', secretId: 'projects/p/secrets/db' })).toEqual({
    kind: 'ignored',
    eventType: 'SECRET_ROTATE',
  });
  expect(parsePubSubNotification({ eventType: 'SECRET_VERSION_ADD' }).kind).toBe('malformed');
  expect(parsePubSubNotification({ eventType: 'SECRET_VERSION_ADD', secretId: 'db' }).kind).toBe('malformed');
  expect(parsePubSubNotification(undefined).kind).toBe('malformed');
});

test('AWS events: secret id by name or ARN (random suffix removed), ignored and malformed bodies', () => {
  const evt = (eventName: string, requestParameters: object) =>
    JSON.stringify({ source: 'aws.secretsmanager', detail: { eventName, requestParameters } });
  expect(parseSecretsManagerEvent(evt('PutSecretValue', { secretId: 'app/db' }))).toEqual({
    kind: 'secret',
    name: 'app/db',
    eventType: 'PutSecretValue',
  });
  expect(
    parseSecretsManagerEvent(
      evt('UpdateSecretVersionStage', {
        secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbC123',
      }),
    ),
  ).toMatchObject({ name: 'app/db' });
  expect(parseSecretsManagerEvent(evt('GetSecretValue', { secretId: 'x' })).kind).toBe('ignored');
  expect(parseSecretsManagerEvent('garbage').kind).toBe('malformed');
  expect(parseSecretsManagerEvent(JSON.stringify({ source: 'aws.s3' })).kind).toBe('malformed');
  expect(parseSecretsManagerEvent(evt('PutSecretValue', {})).kind).toBe('malformed');
});

test('one spelling for remote names on both sides', () => {
  expect(gcpShortName('projects/p/secrets/db/versions/3')).toBe('db');
  expect(awsSecretName('arn:aws:secretsmanager:r:1:secret:name-with-dash-AbCdEf')).toBe('name-with-dash');
  expect(normalizeRemoteName('db')).toBe('db');
  expect(normalizeRemoteName('projects/p/secrets/db')).toBe('db');
});
