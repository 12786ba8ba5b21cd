// The registry builds aws clients and loads the AWS SDK (~127 MB on disk) only when the first aws
// client is created; the aws factory refuses, before loading it, store specs it cannot honour.
import { createAwsClient } from '../../../src/providers/aws';
import { InvalidRefError } from '../../../src/providers/core/errors';
import { createClient } from '../../../src/providers/registry';
import type { ProviderContext } from '../../../src/providers/core/types';

// Counts requires of the SDK through jest's module registry (see registry.test.ts for the GCP twin).
jest.mock('@aws-sdk/client-secrets-manager', () => {
  const g = globalThis as { mockAwsSdkLoads?: number };
  g.mockAwsSdkLoads = (g.mockAwsSdkLoads ?? 0) + 1;
  return jest.requireActual('@aws-sdk/client-secrets-manager');
});
const sdkLoads = () => (globalThis as { mockAwsSdkLoads?: number }).mockAwsSdkLoads ?? 0;

const ctx: ProviderContext = {
  namespace: 'default',
  readSecretKey: () => Promise.reject(new Error('unused')),
};
const env = { AWS_REGION: 'us-east-1' };

test('fake stores and invalid aws specs do not load the AWS SDK', async () => {
  const c = await createClient({ fake: { data: [{ key: 'k', value: 'v' }] } }, ctx);
  await c.close();
  await expect(createClient({ aws: { service: 'ParameterStore' } }, ctx, { aws: { env } })).rejects.toThrow(
    /aws.service "ParameterStore" is not supported/,
  );
  await expect(createAwsClient({ service: 'SecretsManager' }, { env: {} })).rejects.toThrow(
    new InvalidRefError("aws.region is not set (and AWS_REGION is not either): set the store's region"),
  );
  // Without injected credentials the factory never falls back to the controller's identity.
  await expect(
    createAwsClient({ service: 'SecretsManager', role: 'arn:aws:iam::1:role/r' }, { env }),
  ).rejects.toThrow(/^aws.role is not supported yet; remove it to use the controller's own identity/);
  await expect(
    createAwsClient(
      {
        service: 'SecretsManager',
        auth: { jwt: { serviceAccountRef: { name: 'sa' } } },
        additionalRoles: ['arn:aws:iam::1:role/a'],
      },
      { env },
    ),
  ).rejects.toThrow(/^aws.auth \(jwt\), aws.additionalRoles are not supported yet; remove them/);
  expect(sdkLoads()).toBe(0);
});

test('creating aws clients loads the SDK, once; injected credentials are taken as the store identity', async () => {
  const a = await createClient({ aws: { service: 'SecretsManager', region: 'eu-west-1' } }, ctx, {
    aws: { env },
  });
  expect(sdkLoads()).toBe(1);
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };
  const b = await createAwsClient(
    { service: 'SecretsManager', role: 'arn:aws:iam::1:role/r' },
    { env, credentials, identity: 'arn:aws:iam::1:role/r' },
  );
  expect(sdkLoads()).toBe(1);
  await Promise.all([a.close(), b.close()]);
});
