// validateStore: a store whose identity lacks optional permissions is Ready=True (Valid) with one
// line saying what could not be checked or used; only a rejected validate() is Ready=False.
import type { StoreObject } from '../../../src/controllers/externalsecret/reconcile';
import { validateStore } from '../../../src/controllers/externalsecret/store-status';
import { AuthError } from '../../../src/providers/errors';
import type { SecretsClient } from '../../../src/providers/types';

const store: StoreObject = {
  kind: 'SecretStore',
  name: 's',
  namespace: 'n',
  generation: 1,
  spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } } },
};

const clientWith = (validate: () => Promise<string[]>) => async (): Promise<SecretsClient> => ({
  getSecret: () => Promise.reject(new Error('unused')),
  findSecrets: () => Promise.reject(new Error('unused')),
  validate,
  close: () => Promise.resolve(),
});

test('notes from validate() are appended to Ready=True, on one line', async () => {
  const cond = await validateStore(
    store,
    clientWith(async () => ['credentials accepted, but X is not granted, so\nfind is unavailable', 'Y too']),
  );
  expect(cond).toEqual({
    type: 'Ready',
    status: 'True',
    reason: 'Valid',
    message: 'store validated; credentials accepted, but X is not granted, so find is unavailable; Y too',
  });
});

test('no notes: the message is unchanged', async () => {
  const cond = await validateStore(
    store,
    clientWith(async () => []),
  );
  expect(cond.message).toBe('store validated');
});

test('a rejected validate() is Ready=False ValidationFailed with its message', async () => {
  const cond = await validateStore(
    store,
    clientWith(() => Promise.reject(new AuthError('access denied: grant x'))),
  );
  expect(cond).toMatchObject({
    status: 'False',
    reason: 'ValidationFailed',
    message: 'access denied: grant x',
  });
});
