// PlannedClient against the real fake provider: shared in-flight fetches, batching through
// getSecrets, version tags reused within their age, naive mode doing none of it.
import { PlannedClient } from '../../../src/controllers/externalsecret/plan';
import { createFakeClient } from '../../../src/providers/fake';
import type { RemoteKey, SecretsClient } from '../../../src/providers/types';
import { ManualClock } from '../../../src/util/clock';

function counted(inner: SecretsClient, withBatch: boolean) {
  const calls = { getSecret: 0, getSecrets: 0, currentVersion: 0 };
  const c: SecretsClient = {
    getSecret: (r) => (calls.getSecret++, inner.getSecret(r)),
    findSecrets: (q) => inner.findSecrets(q),
    currentVersion: (r) => (calls.currentVersion++, inner.currentVersion!(r)),
    close: () => inner.close(),
  };
  if (withBatch) {
    c.getSecrets = async (refs: RemoteKey[]) => {
      calls.getSecrets++;
      const out = new Map<string, Uint8Array | Error>();
      for (const r of refs)
        out.set(`${r.key}@${r.version ?? ''}`, await inner.getSecret(r).catch((e: Error) => e));
      return out;
    };
  }
  return { c, calls };
}

const fake = () =>
  createFakeClient({
    data: [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ],
  });

test('concurrent requests for one key share one call; payloads are not kept afterwards', async () => {
  const { c, calls } = counted(await fake(), false);
  const p = new PlannedClient(c, { mode: 'planned', clock: new ManualClock() });
  const got = await Promise.all([
    p.getSecret({ key: 'a' }),
    p.getSecret({ key: 'a' }),
    p.getSecret({ key: 'b' }),
  ]);
  expect(got.map((v) => Buffer.from(v).toString())).toEqual(['1', '1', '2']);
  expect(calls.getSecret).toBe(2);
  await p.getSecret({ key: 'a' });
  expect(calls.getSecret).toBe(3);
});

test('providers that batch get one getSecrets call for requests made together', async () => {
  const { c, calls } = counted(await fake(), true);
  const p = new PlannedClient(c, { mode: 'planned', clock: new ManualClock(), batchWindowMs: 5 });
  const got = await Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'b' })]);
  expect(got.map((v) => Buffer.from(v).toString())).toEqual(['1', '2']);
  expect(calls).toMatchObject({ getSecrets: 1, getSecret: 0 });
  await expect(Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'missing' })])).rejects.toThrow(
    /missing/,
  );
});

test('version tags are reused within maxAge, refetched after it or after invalidate', async () => {
  const clock = new ManualClock(1000);
  const { c, calls } = counted(await fake(), false);
  const p = new PlannedClient(c, { mode: 'planned', clock });
  const t1 = await p.currentVersion({ key: 'a' }, 500);
  expect(await p.currentVersion({ key: 'a' }, 500)).toBe(t1);
  expect(calls.currentVersion).toBe(1);
  clock.advance(501);
  await p.currentVersion({ key: 'a' }, 500);
  expect(calls.currentVersion).toBe(2);
  p.invalidate('a');
  await p.currentVersion({ key: 'a' }, 500);
  expect(calls.currentVersion).toBe(3);
});

test('naive mode makes one call per request', async () => {
  const { c, calls } = counted(await fake(), true);
  const p = new PlannedClient(c, { mode: 'naive', clock: new ManualClock() });
  await Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'a' })]);
  await p.currentVersion({ key: 'a' }, 10_000);
  await p.currentVersion({ key: 'a' }, 10_000);
  expect(calls).toMatchObject({ getSecret: 2, getSecrets: 0, currentVersion: 2 });
});
