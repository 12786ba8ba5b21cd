// AwsClient.validate and the batch fallback with least-privilege policies, against a fake
// Secrets Manager behind the narrow SmApi that refuses actions as AWS does (AccessDeniedException,
// HTTP 400): a refused ListSecrets or BatchGetSecretValue is a note (the store works, with less),
// remembered by the client; what proves nothing (a 403 the SDK could not read, an outage) is not.
// The same against moto with IAM enforced: test/integration/providers/aws-least-privilege.test.ts.
import type {
  BatchGetSecretValueRequest,
  GetSecretValueRequest,
  ListSecretsRequest,
} from '@aws-sdk/client-secrets-manager';
import { AwsClient, type SmApi } from '../../../src/providers/aws/client';
import {
  BATCH_PROBE_ID,
  LIST_DENIED_NOTE,
  batchNote,
  batchStateAfter,
  deniedByAws,
} from '../../../src/providers/aws/permissions';
import { AuthError, UnavailableError } from '../../../src/providers/core/errors';

const sdkError = (name: string, message: string, status: number) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
const denied = (action: string) =>
  sdkError(
    'AccessDeniedException',
    `User: arn:aws:iam::123456789012:user/app is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
    400,
  );

type Op = 'ListSecrets' | 'BatchGetSecretValue' | 'GetSecretValue';

class Sm implements SmApi {
  readonly calls: Op[] = [];
  readonly batchIds: string[][] = [];
  /** Per operation: the error it fails with. */
  readonly fails = new Map<Op, Error>();

  private check(op: Op): void {
    this.calls.push(op);
    const err = this.fails.get(op);
    if (err) throw err;
  }

  async listSecrets(_: ListSecretsRequest) {
    this.check('ListSecrets');
    return { SecretList: [] };
  }

  async batchGetSecretValue({ SecretIdList }: BatchGetSecretValueRequest) {
    this.check('BatchGetSecretValue');
    this.batchIds.push(SecretIdList ?? []);
    return {
      SecretValues: (SecretIdList ?? [])
        .filter((id) => id !== BATCH_PROBE_ID)
        .map((Name) => ({ Name, SecretString: `v-${Name}` })),
      Errors: (SecretIdList ?? [])
        .filter((id) => id === BATCH_PROBE_ID)
        .map((SecretId) => ({ SecretId, ErrorCode: 'ResourceNotFoundException', Message: 'not found' })),
    };
  }

  async getSecretValue({ SecretId }: GetSecretValueRequest) {
    this.check('GetSecretValue');
    return { Name: SecretId, SecretString: `v-${SecretId}`, VersionId: 'v1' };
  }

  async describeSecret(): Promise<never> {
    throw new Error('unexpected DescribeSecret');
  }

  destroy(): void {}
}

const client = (sm: Sm) => new AwsClient(sm, { region: 'eu-west-1', prefix: '', storeCredentials: false });
const text = (v: Uint8Array | Error | undefined) => Buffer.from(v as Uint8Array).toString('utf8');

test("deniedByAws: only AWS's own AccessDenied proves the credentials (not a bare 403, not KMS)", () => {
  expect(deniedByAws(denied('secretsmanager:ListSecrets'))).toBe(true);
  expect(deniedByAws(sdkError('AccessDenied', 'User: x is not authorized', 403))).toBe(true);
  expect(deniedByAws(sdkError('SyntaxError', 'Unexpected token <', 403))).toBe(false);
  expect(deniedByAws(sdkError('AccessDeniedException', 'Access to KMS is not allowed', 400))).toBe(false);
  expect(deniedByAws(sdkError('UnrecognizedClientException', 'bad key', 400))).toBe(false);
});

test('batchStateAfter / batchNote: denied and unimplemented are remembered with a note; an outage is not', () => {
  expect(batchStateAfter(denied('secretsmanager:BatchGetSecretValue'))).toBe('denied');
  expect(batchStateAfter(sdkError('UnknownOperationException', '', 400))).toBe('unimplemented');
  expect(batchStateAfter(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('unknown');
  expect(batchNote('denied')).toMatch(
    /^secretsmanager:BatchGetSecretValue is not granted, so values are read with one GetSecretValue per secret$/,
  );
  expect(batchNote('unimplemented')).toMatch(/does not implement BatchGetSecretValue/);
  expect(batchNote('granted')).toBeUndefined();
  expect(batchNote('unknown')).toBeUndefined();
});

test('everything granted: validate notes nothing; the batch probe runs once per client', async () => {
  const sm = new Sm();
  const c = client(sm);
  expect(await c.validate()).toEqual([]);
  expect(sm.batchIds).toEqual([[BATCH_PROBE_ID]]);
  expect(await c.validate()).toEqual([]);
  expect(sm.calls).toEqual(['ListSecrets', 'BatchGetSecretValue', 'ListSecrets']);
});

test('ListSecrets denied: validate resolves with the note (credentials accepted), it does not reject', async () => {
  const sm = new Sm();
  sm.fails.set('ListSecrets', denied('secretsmanager:ListSecrets'));
  const notes = await client(sm).validate();
  expect(notes).toEqual([LIST_DENIED_NOTE]);
  expect(notes[0]).toMatch(
    /^credentials accepted, but secretsmanager:ListSecrets is not granted, so dataFrom\.find/,
  );
});

test('a ListSecrets refusal that proves nothing still fails validation', async () => {
  for (const err of [
    sdkError('SyntaxError', 'Unexpected token < in JSON', 403),
    sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400),
  ]) {
    const sm = new Sm();
    sm.fails.set('ListSecrets', err);
    await expect(client(sm).validate()).rejects.toBeInstanceOf(AuthError);
  }
  const sm = new Sm();
  sm.fails.set('ListSecrets', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  await expect(client(sm).validate()).rejects.toBeInstanceOf(UnavailableError);
});

test('BatchGetSecretValue denied (probe): noted, and getSecrets goes straight to GetSecretValue each', async () => {
  const sm = new Sm();
  sm.fails.set('BatchGetSecretValue', denied('secretsmanager:BatchGetSecretValue'));
  const c = client(sm);
  expect(await c.validate()).toEqual([batchNote('denied')]);
  const out = await c.getSecrets([{ key: 'a' }, { key: 'b' }]);
  expect(text(out.get('a@'))).toBe('v-a');
  expect(text(out.get('b@'))).toBe('v-b');
  expect(sm.calls).toEqual(['ListSecrets', 'BatchGetSecretValue', 'GetSecretValue', 'GetSecretValue']);
  // Remembered: the next validation does not probe again and still says it.
  expect(await c.validate()).toEqual([batchNote('denied')]);
  expect(sm.calls.filter((op) => op === 'BatchGetSecretValue')).toHaveLength(1);
});

test('BatchGetSecretValue denied in use: tried once, remembered, then noted by validate', async () => {
  const sm = new Sm();
  sm.fails.set('BatchGetSecretValue', denied('secretsmanager:BatchGetSecretValue'));
  const c = client(sm);
  for (let i = 0; i < 3; i++) {
    const out = await c.getSecrets([{ key: 'a' }, { key: 'b' }]);
    expect(text(out.get('a@'))).toBe('v-a');
  }
  expect(sm.calls.filter((op) => op === 'BatchGetSecretValue')).toHaveLength(1);
  expect(sm.calls.filter((op) => op === 'GetSecretValue')).toHaveLength(6);
  expect(await c.validate()).toEqual([batchNote('denied')]);
  expect(sm.calls.filter((op) => op === 'BatchGetSecretValue')).toHaveLength(1);
});

test('both optional actions denied: two notes; an outage of the probe is neither a note nor a failure', async () => {
  const sm = new Sm();
  sm.fails.set('ListSecrets', denied('secretsmanager:ListSecrets'));
  sm.fails.set('BatchGetSecretValue', denied('secretsmanager:BatchGetSecretValue'));
  expect(await client(sm).validate()).toEqual([LIST_DENIED_NOTE, batchNote('denied')]);

  const down = new Sm();
  down.fails.set('BatchGetSecretValue', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const c = client(down);
  expect(await c.validate()).toEqual([]);
  down.fails.delete('BatchGetSecretValue');
  expect(await c.validate()).toEqual([]);
  // Still unknown after the outage, so the second validation probed again.
  expect(down.calls.filter((op) => op === 'BatchGetSecretValue')).toHaveLength(2);
});
