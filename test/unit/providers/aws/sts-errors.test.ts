// STS calls that never reached STS are "unreachable, retrying", not refusals: found by cutting the
// STS endpoint (test/resilience/identity-outage.test.ts), where Ready said "AWS STS refused
// AssumeRoleWithWebIdentity" for a connection refused.
import { assumeRoleError, webIdentityError } from '../../../../src/providers/aws/sts';
import { AuthError, UnavailableError } from '../../../../src/providers/core/errors';

const w = {
  roleArn: 'arn:aws:iam::123456789012:role/app',
  subject: 'system:serviceaccount:ns:app',
  audiences: ['sts.amazonaws.com'],
};
const a = { roleArn: 'arn:aws:iam::123456789012:role/chained', by: 'the ServiceAccount role' };

/** What Node's net module throws, as the SDK's HTTP handler passes it on. */
const systemError = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
/** The SDK's wrapper for a thrown value it cannot take as an Error (one from another realm). */
const wrapped = () => new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:4566');

test.each([
  ['a system error', systemError],
  ['the SDK wrapper of one', wrapped],
])('%s is unreachable, retried, and says so', (_, make) => {
  for (const e of [webIdentityError(make(), w), assumeRoleError(make(), a)]) {
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.message).toMatch(
      /^cannot reach AWS STS for (AssumeRoleWithWebIdentity|AssumeRole) \(ECONNREFUSED\); retrying/,
    );
  }
});

test('a refusal stays a refusal', () => {
  const denied = Object.assign(new Error('Not authorized'), { name: 'AccessDenied' });
  expect(webIdentityError(denied, w)).toBeInstanceOf(AuthError);
});
