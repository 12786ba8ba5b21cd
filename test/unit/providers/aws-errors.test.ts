// Mapping of AWS Secrets Manager failures to typed provider errors, from SDK-shaped errors (the
// SDK's own exception classes, built as its deserialiser builds them, with AWS's documented
// messages): what moto cannot produce (IAM denials, KMS, throttling, 5xx, expired credentials) is
// pinned here; the rest is exercised against moto in test/integration/providers/aws.test.ts.
import { inspect } from 'node:util';
import {
  DecryptionFailure,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mapAwsError, principalOf, type AwsErrorContext } from '../../../src/providers/aws/errors';
import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ThrottledError,
  UnavailableError,
} from '../../../src/providers/core/errors';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const ctx = (over: Partial<AwsErrorContext> = {}): AwsErrorContext => ({
  op: 'GetSecretValue',
  region: 'eu-west-1',
  secretId: 'db',
  key: 'db',
  storeCredentials: false,
  ...over,
});
// The SDK's deserialiser sets `$retryable` after construction, as done here with `extra`.
const unmodeled = (name: string, message: string, status = 400, extra: object = {}) =>
  Object.assign(
    new SecretsManagerServiceException({
      name,
      message,
      $fault: status >= 500 ? 'server' : 'client',
      ...meta(status),
    }),
    extra,
  );
const notFound = (message = "Secrets Manager can't find the specified secret.") =>
  new ResourceNotFoundException({ message, ...meta(400) });

test('ResourceNotFound → NoSecretError naming the secret, the region and what to check', () => {
  const e = mapAwsError(notFound(), ctx());
  expect(e).toBeInstanceOf(NoSecretError);
  expect(e.message).toBe(`secret "db" not found in eu-west-1 (check remoteRef.key and the store's region)`);
  expect(mapAwsError(notFound(), ctx({ secretId: 'team/db', prefix: 'team/' })).message).toBe(
    `secret "team/db" (the store's prefix "team/" + remoteRef.key "db") not found in eu-west-1 ` +
      "(check remoteRef.key, the store's region and prefix)",
  );
});

test('a missing version is told apart from a missing secret', () => {
  const awsSays = notFound("Secrets Manager can't find the specified secret value for staging label: blue");
  expect(mapAwsError(awsSays, ctx({ version: 'blue' })).message).toBe(
    `secret "db" in eu-west-1 has no version labelled "blue" (check remoteRef.version)`,
  );
  expect(mapAwsError(notFound(), ctx({ version: 'uuid/abc', secretExists: true })).message).toBe(
    `secret "db" in eu-west-1 has no version with VersionId "abc" (check remoteRef.version)`,
  );
  expect(mapAwsError(notFound(), ctx({ version: 'AWSPREVIOUS', secretExists: false })).message).toBe(
    `secret "db" not found in eu-west-1 (check remoteRef.key and the store's region)`,
  );
  expect(mapAwsError(notFound(), ctx({ version: 'AWSPREVIOUS' })).message).toBe(
    `secret "db" (or its version labelled "AWSPREVIOUS") not found in eu-west-1 ` +
      "(check remoteRef.key, remoteRef.version and the store's region)",
  );
});

test('a secret scheduled for deletion is NoSecretError, as in ESO', () => {
  const aws = new InvalidRequestException({
    message: "You can't perform this operation on the secret because it was marked for deletion.",
    ...meta(400),
  });
  const moto = new InvalidRequestException({
    message: "You tried to perform the operation on a secret that's currently marked deleted.",
    ...meta(400),
  });
  for (const err of [aws, moto]) {
    const e = mapAwsError(err, ctx());
    expect(e).toBeInstanceOf(NoSecretError);
    expect(e.message).toMatch(/^secret "db" in eu-west-1 is scheduled for deletion \(restore it/);
  }
});

test('AccessDenied → AuthError naming the IAM action and the principal AWS named', () => {
  const principal = 'arn:aws:sts::123456789012:assumed-role/app/i-0abc';
  const err = unmodeled(
    'AccessDeniedException',
    `User: ${principal} is not authorized to perform: secretsmanager:GetSecretValue on resource: db ` +
      'because no identity-based policy allows the secretsmanager:GetSecretValue action',
  );
  expect(principalOf(err.message)).toBe(principal);
  const e = mapAwsError(err, ctx());
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toBe(
    `access denied in eu-west-1: grant secretsmanager:GetSecretValue on secret "db" to ${principal} ` +
      '(AWS says: no identity-based policy allows the secretsmanager:GetSecretValue action)',
  );
  const bare = unmodeled('AccessDeniedException', 'Access denied');
  expect(mapAwsError(bare, ctx({ op: 'ListSecrets', secretId: undefined })).message).toBe(
    'access denied in eu-west-1: grant secretsmanager:ListSecrets (resource "*", needed by dataFrom.find) ' +
      "to the controller's AWS identity (default credential chain: IRSA, EKS Pod Identity or environment keys) " +
      "(in its IAM policy, and in the secret's resource policy if it has one)",
  );
  expect(
    mapAwsError(
      bare,
      ctx({ op: 'DescribeSecret', storeCredentials: true, identity: 'arn:aws:iam::1:role/r' }),
    ).message,
  ).toMatch(
    /grant secretsmanager:DescribeSecret on secret "db" \(used for change detection\) to arn:aws:iam::1:role\/r/,
  );
  expect(mapAwsError(bare, ctx({ op: 'BatchGetSecretValue', secretId: undefined })).message).toMatch(
    /secretsmanager:BatchGetSecretValue \(resource "\*"\) together with secretsmanager:GetSecretValue on each/,
  );
});

test('an HTTP 403 the SDK could not parse (a proxy page, moto) is access denied', () => {
  const err = Object.assign(new SyntaxError(`Unexpected token '<', "<?xml vers"... is not valid JSON`), {
    $metadata: { httpStatusCode: 403 },
  });
  const e = mapAwsError(err, ctx({ identity: 'arn:aws:iam::1:user/u' }));
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /^access denied in eu-west-1: grant secretsmanager:GetSecretValue on secret "db" to arn:aws:iam::1:user\/u/,
  );
});

test('a response the SDK could not parse is never quoted nor kept: it may hold a payload', () => {
  // As the SDK leaves it: V8's message quotes the JSON, the raw text sits in a hidden, fixed field.
  const err = Object.assign(
    new SyntaxError(`Unexpected token 's', "{"SecretString":s3cr3t"... is not valid JSON`),
    {
      $metadata: { httpStatusCode: 200 },
    },
  );
  Object.defineProperty(err, '$responseBodyText', { value: '{"SecretString":s3cr3t}' });
  const e = mapAwsError(err, ctx());
  expect(e).toBeInstanceOf(UnavailableError);
  expect(e.message).toBe(
    'Secrets Manager call GetSecretValue for secret "db" in eu-west-1 failed (SyntaxError): ' +
      'the response could not be parsed (HTTP 200); retrying with backoff',
  );
  expect(inspect(e, { showHidden: true, depth: 6 })).not.toContain('s3cr3t');
  expect((e.cause as Error).name).toBe('ResponseParseError');
});

test('KMS failures → AuthError naming kms:Decrypt', () => {
  for (const err of [
    new DecryptionFailure({
      message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      ...meta(400),
    }),
    unmodeled('AccessDeniedException', 'Access to KMS is not allowed'),
  ]) {
    const e = mapAwsError(err, ctx());
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toMatch(
      /could not decrypt secret "db" in eu-west-1 with its KMS key: grant kms:Decrypt/,
    );
  }
});

test('rejected or missing credentials → AuthError saying where credentials come from', () => {
  const cases: [string, RegExp][] = [
    ['UnrecognizedClientException', /does not recognise the access key/],
    ['InvalidClientTokenId', /does not recognise the access key/],
    ['ExpiredTokenException', /credentials have expired/],
    ['InvalidSignatureException', /wrong secret key/],
  ];
  for (const [name, re] of cases) {
    const e = mapAwsError(unmodeled(name, 'The security token included in the request is invalid.'), ctx());
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toMatch(re);
    expect(e.message).toMatch(/IRSA \(AWS_ROLE_ARN \+ AWS_WEB_IDENTITY_TOKEN_FILE/);
  }
  const store = mapAwsError(unmodeled('ExpiredTokenException', 'expired'), ctx({ storeCredentials: true }));
  expect(store.message).toMatch(/check the store's auth/);
  const chain = Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
  const e = mapAwsError(chain, ctx());
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /no AWS credentials could be obtained .*\(Could not load credentials from any providers\)$/,
  );
  const sts = unmodeled('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
  expect(mapAwsError(sts, ctx()).message).toMatch(/STS refused to assume the role .*trust policy/);
});

test('throttling (by code, HTTP 429 or the SDK trait) → ThrottledError', () => {
  for (const err of [
    unmodeled('ThrottlingException', 'Rate exceeded', 400, { $retryable: { throttling: true } }),
    unmodeled('TooManyRequestsException', 'slow down', 429),
    unmodeled('SomethingNew', 'x', 400, { $retryable: { throttling: true } }),
    unmodeled('Unknown', 'x', 429),
  ]) {
    const e = mapAwsError(err, ctx());
    expect(e).toBeInstanceOf(ThrottledError);
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/^Secrets Manager throttled GetSecretValue for secret "db" in eu-west-1/);
  }
});

test('5xx and network failures → UnavailableError; invalid requests → InvalidRefError', () => {
  const internal = new InternalServiceError({
    message: 'An error occurred on the server side.',
    ...meta(500),
  });
  expect(mapAwsError(internal, ctx())).toBeInstanceOf(UnavailableError);
  expect(mapAwsError(unmodeled('ServiceUnavailable', 'down', 503), ctx())).toBeInstanceOf(UnavailableError);
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const e = mapAwsError(refused, ctx({ endpoint: 'http://127.0.0.1:1' }));
  expect(e).toBeInstanceOf(UnavailableError);
  expect(e.message).toBe(
    'cannot reach Secrets Manager at http://127.0.0.1:1 for GetSecretValue (ECONNREFUSED): ' +
      'connect ECONNREFUSED 127.0.0.1:1; retrying with backoff',
  );
  // A Node error from another realm reaches the mapper wrapped by the SDK's retry, its code in the text.
  const wrapped = new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1');
  expect(mapAwsError(wrapped, ctx()).message).toMatch(/^cannot reach Secrets Manager .*\(ECONNREFUSED\)/);
  const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
  expect(mapAwsError(timeout, ctx()).message).toMatch(
    /at secretsmanager.eu-west-1.amazonaws.com .*TimeoutError/,
  );
  const invalid = new InvalidParameterException({ message: 'Invalid VersionId.', ...meta(400) });
  const i = mapAwsError(invalid, ctx({ version: 'uuid/x' }));
  expect(i).toBeInstanceOf(InvalidRefError);
  expect(i.message).toBe(
    'Secrets Manager rejected GetSecretValue for secret "db" as invalid (InvalidParameterException): ' +
      "Invalid VersionId. (check remoteRef.key, remoteRef.version and the store's region)",
  );
  expect(mapAwsError(unmodeled('ValidationException', 'bad'), ctx())).toBeInstanceOf(InvalidRefError);
  expect(mapAwsError(new Error('weird'), ctx())).toBeInstanceOf(UnavailableError);
});

test('messages are bounded and single-line; the cause is kept', () => {
  const long = unmodeled('InvalidParameterException', `line1\nline2 ${'x'.repeat(1000)}`);
  const e = mapAwsError(long, ctx());
  expect(e.message).not.toContain('\n');
  expect(e.message.length).toBeLessThan(500);
  expect(e.cause).toBe(long);
});
