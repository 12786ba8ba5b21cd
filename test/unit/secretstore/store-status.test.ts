// What a store's Ready condition says, given what its client's validate() reports: notes on
// optional permissions keep it Ready=True in one line; a rejection is ValidationFailed.
import { AuthError, UnavailableError } from '../../../src/providers/core/errors';
import type { SecretsClient } from '../../../src/providers/core/types';
import {
  oneLine,
  shouldRecheckStore,
  STORE_RECHECK_GAP_MS,
  storeReadyLabels,
  validateStore,
  withCondition,
} from '../../../src/controllers/secretstore/store-status';
import type { StoreObject } from '../../../src/controllers/secretstore/store';

const store = (spec: Record<string, unknown> = {}): StoreObject => ({
  kind: 'ClusterSecretStore',
  name: 's',
  generation: 1,
  spec: { provider: { gcpsm: { projectID: 'p' } }, ...spec } as StoreObject['spec'],
});

const clientThat = (validate?: SecretsClient['validate']) => async (): Promise<SecretsClient> => ({
  getSecret: async () => new Uint8Array(),
  findSecrets: async () => new Map(),
  close: async () => undefined,
  ...(validate && { validate }),
});

test('nothing to note: Ready=True Valid "store validated"', async () => {
  expect(
    await validateStore(
      store(),
      clientThat(async () => []),
    ),
  ).toEqual({
    type: 'Ready',
    status: 'True',
    reason: 'Valid',
    message: 'store validated',
  });
});

test('a missing optional permission keeps the store Ready=True and is said in the same line', async () => {
  const note = 'Secret Manager accepted the credentials but denied secretmanager.secrets.list on projects/p';
  const c = await validateStore(
    store({ retrySettings: { maxRetries: 3 } }),
    clientThat(async () => [note]),
  );
  expect(c).toMatchObject({ status: 'True', reason: 'Valid' });
  expect(c.message).toBe(
    `store validated; ${note}; retrySettings is not used (failures back off per key, 1 s to 5 min)`,
  );
});

test('a provider without validate() is Valid', async () => {
  expect(await validateStore(store(), clientThat())).toMatchObject({ status: 'True', reason: 'Valid' });
});

test.each([
  new UnavailableError('Secret Manager unavailable (UNAVAILABLE) for projects/p/secrets: ECONNREFUSED'),
  new AuthError("Secret Manager rejected the controller's credentials (UNAUTHENTICATED)"),
])('a rejection is Ready=False ValidationFailed with its message: %s', async (e) => {
  expect(
    await validateStore(
      store(),
      clientThat(() => Promise.reject(e)),
    ),
  ).toEqual({
    type: 'Ready',
    status: 'False',
    reason: 'ValidationFailed',
    message: e.message,
  });
});

test('messages are one line, whatever a provider puts in them', async () => {
  expect(oneLine('a\n  b\r\nc')).toBe('a b c');
  const c = await validateStore(
    store(),
    clientThat(async () => ['two\nlines']),
  );
  expect(c.message).toBe('store validated; two lines');
  const f = await validateStore(
    store(),
    clientThat(() => Promise.reject(new Error('x\ny'))),
  );
  expect(f.message).toBe('x y');
});

describe('withCondition', () => {
  const now = new Date('2026-12-05T12:00:00.123Z');
  const ready = { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok' } as const;
  const events = { type: 'RotationEvents', status: 'True', reason: 'Subscribed', message: 'on' } as const;

  test('the same condition again: nothing to write', () => {
    expect(withCondition([{ ...ready, lastTransitionTime: 'x' }], ready, now)).toBeUndefined();
  });

  test('replaces its own type, keeps the others, stamps the change to the second', () => {
    expect(withCondition([events, { ...ready, message: 'old' }], ready, now)).toEqual([
      events,
      { ...ready, lastTransitionTime: '2026-12-05T12:00:00Z' },
    ]);
    expect(withCondition(undefined, ready, now)).toEqual([
      { ...ready, lastTransitionTime: '2026-12-05T12:00:00Z' },
    ]);
  });
});

describe('shouldRecheckStore', () => {
  const failed = [{ type: 'Ready', status: 'False', reason: 'ValidationFailed', message: 'down' }] as const;
  const cond = (c: readonly { type: string; status: string; reason: string; message: string }[]) =>
    c as unknown as Parameters<typeof shouldRecheckStore>[0];

  test('a store whose validation failed is rechecked when its client answers', () => {
    expect(shouldRecheckStore(cond(failed), undefined, 1_000)).toBe(true);
  });

  test('at most once per gap', () => {
    expect(shouldRecheckStore(cond(failed), 1_000, 1_000 + STORE_RECHECK_GAP_MS - 1)).toBe(false);
    expect(shouldRecheckStore(cond(failed), 1_000, 1_000 + STORE_RECHECK_GAP_MS)).toBe(true);
  });

  test('not a Ready store, an invalid config (a client answering changes nothing there), or no condition yet', () => {
    expect(shouldRecheckStore(cond([{ ...failed[0], status: 'True', reason: 'Valid' }]), undefined, 0)).toBe(
      false,
    );
    expect(shouldRecheckStore(cond([{ ...failed[0], reason: 'InvalidProviderConfig' }]), undefined, 0)).toBe(
      false,
    );
    expect(shouldRecheckStore(undefined, undefined, 0)).toBe(false);
  });
});

test('the readiness gauge labels name the store and its provider, never its spec', () => {
  expect(storeReadyLabels(store(), 'ValidationFailed')).toEqual({
    store_kind: 'ClusterSecretStore',
    store_namespace: '',
    store: 's',
    provider: 'gcpsm',
    reason: 'ValidationFailed',
  });
  expect(storeReadyLabels({ ...store(), kind: 'SecretStore', namespace: 'team' }, 'Valid')).toMatchObject({
    store_kind: 'SecretStore',
    store_namespace: 'team',
  });
});
