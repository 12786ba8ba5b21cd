// Identity costs nothing until a store uses it: importing it (through the registry) loads neither
// google-auth nor the STS SDK. And server text quoted in messages is stripped of tokens and keys.
import { redact } from '../../../../src/providers/credentials/errors';
import { createClient } from '../../../../src/providers/registry';

jest.mock('google-auth-library', () => {
  const g = globalThis as { mockGoogleAuthLoads?: number };
  g.mockGoogleAuthLoads = (g.mockGoogleAuthLoads ?? 0) + 1;
  return jest.requireActual('google-auth-library');
});
jest.mock('@aws-sdk/client-sts', () => {
  const g = globalThis as { mockStsLoads?: number };
  g.mockStsLoads = (g.mockStsLoads ?? 0) + 1;
  return jest.requireActual('@aws-sdk/client-sts');
});
const loads = () => {
  const g = globalThis as { mockGoogleAuthLoads?: number; mockStsLoads?: number };
  return { googleAuth: g.mockGoogleAuthLoads ?? 0, sts: g.mockStsLoads ?? 0 };
};

test('a fake store loads neither google-auth nor the STS SDK', async () => {
  const c = await createClient(
    { fake: { data: [{ key: 'k', value: 'v' }] } },
    { namespace: 'default', readSecretKey: () => Promise.reject(new Error('unused')) },
  );
  await c.close();
  expect(loads()).toEqual({ googleAuth: 0, sts: 0 });
});

test('redact masks JWTs, Google access tokens, AWS key ids and PEM blocks, and bounds the length', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.c2lnbmF0dXJl';
  const text =
    `bad token ${jwt} and ya29.a0AfH6SMBx-secret, key ASIAABCDEFGHIJKLMNOP,\n` +
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY----- end';
  expect(redact(text)).toBe('bad token [token] and [token], key [key id], [key] end');
  expect(redact('x'.repeat(400))).toHaveLength(301);
});
