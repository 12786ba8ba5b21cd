// closeAfterCalls: the inner client is closed only once every call in flight has settled (a call
// that fails because its SDK was closed under it is what once took the process down); later calls
// are refused with a retryable error; closing twice closes once.
import { closeAfterCalls } from '../../../src/controllers/secretstore/closing-client';
import { UnavailableError } from '../../../src/providers/core/errors';
import type { SecretsClient } from '../../../src/providers/core/types';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const drain = () => new Promise((r) => setImmediate(r));

function world() {
  const log: string[] = [];
  const pending: { op: string; d: ReturnType<typeof deferred<unknown>> }[] = [];
  let isClosed = false;
  const inFlight = <T>(op: string): Promise<T> => {
    if (isClosed) return Promise.reject(new Error('The client has already been closed.'));
    const d = deferred<unknown>();
    pending.push({ op, d });
    return d.promise as Promise<T>;
  };
  const inner: SecretsClient = {
    getSecret: () => inFlight('getSecret'),
    findSecrets: () => inFlight('findSecrets'),
    validate: () => inFlight('validate'),
    close: async () => {
      log.push('closed');
      isClosed = true;
    },
  };
  return { inner, log, pending, client: closeAfterCalls(inner, 'SecretStore/team/gsm') };
}

test('close waits for the calls in flight, whether they succeed or fail', async () => {
  const w = world();
  const read = w.client.getSecret({ key: 'a' });
  const check = w.client.validate!();
  let closedAt = '';
  const closing = w.client.close().then(() => (closedAt = w.log.join()));
  await drain();
  expect(w.log).toEqual([]);
  w.pending[0]!.d.resolve(new Uint8Array([1]));
  await drain();
  expect(w.log).toEqual([]);
  // A call that started while close waited still runs on the open client.
  const late = w.client.findSecrets({});
  await drain();
  w.pending[1]!.d.reject(new Error('denied'));
  await expect(check).rejects.toThrow('denied');
  await drain();
  expect(w.log).toEqual([]);
  w.pending[2]!.d.resolve(new Map());
  await closing;
  expect(closedAt).toBe('closed');
  expect(await read).toEqual(new Uint8Array([1]));
  expect(await late).toEqual(new Map());
});

test('with nothing in flight it closes at once; later calls are refused as retryable; closing twice closes once', async () => {
  const w = world();
  await Promise.all([w.client.close(), w.client.close()]);
  expect(w.log).toEqual(['closed']);
  const err = await w.client.getSecret({ key: 'a' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnavailableError);
  expect((err as UnavailableError).retryable).toBe(true);
  expect((err as Error).message).toBe(
    'the client of SecretStore/team/gsm was closed (the store changed or was deleted); retrying',
  );
  expect(w.pending).toEqual([]);
});
