// PlannedClient against the real fake provider: shared in-flight fetches, batching through
// getSecrets, version tags reused when fresh enough and reported when they move, listings used
// when cheaper, naive mode doing none of it.
import {
  PlannedClient,
  SHARE_HOLD_MS,
  SWEEP_RETRY_AFTER_REFUSAL_MS,
} from '../../../src/controllers/externalsecret/plan';
import { AuthError, NoSecretError } from '../../../src/providers/core/errors';
import { createFakeClient } from '../../../src/providers/fake';
import type { RemoteKey, SecretsClient } from '../../../src/providers/core/types';
import { ManualClock } from '../../../src/runtime/clock';

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
  const { c, calls } = counted(fake(), false);
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

describe('sharing a read with the ExternalSecrets that came due with it', () => {
  it('serves as many later requests as shareWith named, then reads again', async () => {
    const { c, calls } = counted(fake(), false);
    const asked: string[] = [];
    let shared = 0;
    const p = new PlannedClient(c, {
      mode: 'planned',
      clock: new ManualClock(),
      shareWith: (key) => (asked.push(key), 2),
      onShared: () => shared++,
    });
    await p.getSecret({ key: 'a' });
    expect(asked).toEqual(['a']);
    const later = [await p.getSecret({ key: 'a' }), await p.getSecret({ key: 'a' })];
    expect(later.map((v) => Buffer.from(v).toString())).toEqual(['1', '1']);
    expect(calls.getSecret).toBe(1);
    expect(shared).toBe(2);
    await p.getSecret({ key: 'a' });
    expect(calls.getSecret).toBe(2);
    expect(shared).toBe(2);
  });

  it('holds a value at most SHARE_HOLD_MS, and not at all once its key is invalidated', async () => {
    const clock = new ManualClock();
    const { c, calls } = counted(fake(), false);
    const p = new PlannedClient(c, { mode: 'planned', clock, shareWith: () => 5 });
    await p.getSecret({ key: 'a' });
    clock.advance(SHARE_HOLD_MS - 1);
    await p.getSecret({ key: 'a' });
    expect(calls.getSecret).toBe(1);
    clock.advance(1);
    await p.getSecret({ key: 'a' });
    expect(calls.getSecret).toBe(2);
    p.invalidate('a');
    await p.getSecret({ key: 'a' });
    expect(calls.getSecret).toBe(3);
  });

  it('never holds a failure, and naive mode never shares', async () => {
    const { c, calls } = counted(fake(), false);
    let shareAsked = 0;
    const share = () => (shareAsked++, 3);
    const p = new PlannedClient(c, { mode: 'planned', clock: new ManualClock(), shareWith: share });
    await expect(p.getSecret({ key: 'missing' })).rejects.toThrow();
    await expect(p.getSecret({ key: 'missing' })).rejects.toThrow();
    expect(calls.getSecret).toBe(2);
    expect(shareAsked).toBe(0);
    const naive = new PlannedClient(c, { mode: 'naive', clock: new ManualClock(), shareWith: share });
    await naive.getSecret({ key: 'a' });
    await naive.getSecret({ key: 'a' });
    expect(calls.getSecret).toBe(4);
    expect(shareAsked).toBe(0);
  });
});

test('providers that batch get one getSecrets call for requests made together', async () => {
  const { c, calls } = counted(fake(), true);
  const clock = new ManualClock();
  const p = new PlannedClient(c, { mode: 'planned', clock, batchWindowMs: 5 });
  const both = Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'b' })]);
  clock.advance(5);
  const got = await both;
  expect(got.map((v) => Buffer.from(v).toString())).toEqual(['1', '2']);
  expect(calls).toMatchObject({ getSecrets: 1, getSecret: 0 });
  const failing = Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'missing' })]);
  clock.advance(5);
  await expect(failing).rejects.toThrow(/missing/);
});

test('a provider that throws instead of rejecting fails the batched read, not the process', async () => {
  // A batch answer without the key falls back to getSecret, which here throws synchronously.
  const c: SecretsClient = {
    getSecret: () => {
      throw new Error('getSecret threw');
    },
    getSecrets: async () => new Map(),
    findSecrets: async () => new Map(),
    close: async () => undefined,
  };
  for (const keys of [['a'], ['a', 'b']]) {
    const clock = new ManualClock();
    const p = new PlannedClient(c, { mode: 'planned', clock, batchWindowMs: 0 });
    const reads = keys.map((key) => p.getSecret({ key }));
    clock.advance(0);
    for (const r of reads) await expect(r).rejects.toThrow('getSecret threw');
  }
});

test('a version tag is reused only when fetched after the asker last looked, or until invalidate', async () => {
  const clock = new ManualClock(1000);
  const { c, calls } = counted(fake(), false);
  const p = new PlannedClient(c, { mode: 'planned', clock });
  const t1 = await p.currentVersion({ key: 'a' }, 500);
  // Fetched at 1000: good for anyone who last looked before then…
  expect(await p.currentVersion({ key: 'a' }, 999)).toBe(t1);
  expect(calls.currentVersion).toBe(1);
  // …but not for one who looked at 1000 or later.
  clock.advance(10);
  await p.currentVersion({ key: 'a' }, 1000);
  expect(calls.currentVersion).toBe(2);
  p.invalidate('a');
  await p.currentVersion({ key: 'a' }, 0);
  expect(calls.currentVersion).toBe(3);
});

/** A store whose tags the test moves; it can list every tag at once when `pages` is set. */
function taggedStore(opts: { pages?: number; refuseSweep?: boolean } = {}) {
  const tags = new Map<string, string>([
    ['a', 'v1'],
    ['b', 'v1'],
    ['c', 'v1'],
  ]);
  const calls = { currentVersion: 0, sweep: 0 };
  const c: SecretsClient = {
    getSecret: () => Promise.reject(new Error('payloads are not part of this test')),
    findSecrets: () => Promise.resolve(new Map()),
    currentVersion: (r) => {
      calls.currentVersion++;
      const t = tags.get(r.key);
      return t ? Promise.resolve(t) : Promise.reject(new NoSecretError(`${r.key} not found`));
    },
    close: () => Promise.resolve(),
  };
  if (opts.pages !== undefined) {
    c.sweepVersions = () => {
      calls.sweep++;
      if (opts.refuseSweep) return Promise.reject(new AuthError('ListSecrets denied'));
      const snapshot = new Map(tags);
      return Promise.resolve({ calls: opts.pages!, tagOf: (r: RemoteKey) => snapshot.get(r.key) });
    };
  }
  return { c, calls, tags };
}

test('a fresh tag that moved reports the key, so its other readers refresh at once', async () => {
  const clock = new ManualClock(1000);
  const { c, tags } = taggedStore();
  const moved: string[] = [];
  const p = new PlannedClient(c, { mode: 'planned', clock, onMoved: (k) => moved.push(k) });
  await p.currentVersion({ key: 'a' }, 0);
  clock.advance(100);
  await p.currentVersion({ key: 'a' }, 1000);
  expect(moved).toEqual([]);
  tags.set('a', 'v2');
  clock.advance(100);
  expect(await p.currentVersion({ key: 'a' }, 1100)).toBe('v2');
  expect(moved).toEqual(['a']);
});

test('one listing answers for every key when it costs fewer calls, and reports each key that moved', async () => {
  const clock = new ManualClock(1000);
  const { c, calls, tags } = taggedStore({ pages: 1 });
  const moved: string[] = [];
  const p = new PlannedClient(c, { mode: 'planned', clock, onMoved: (k) => moved.push(k) });
  expect(await Promise.all(['a', 'b', 'c'].map((key) => p.currentVersion({ key }, 0)))).toEqual([
    'v1',
    'v1',
    'v1',
  ]);
  expect(calls).toEqual({ currentVersion: 0, sweep: 1 });
  tags.set('b', 'v2');
  tags.set('c', 'v2');
  clock.advance(100);
  // One asker's due refresh lists again; b and c are reported without anyone asking for them.
  expect(await p.currentVersion({ key: 'a' }, 1000)).toBe('v1');
  expect(calls).toEqual({ currentVersion: 0, sweep: 2 });
  expect(moved.sort()).toEqual(['b', 'c']);
  // The others, asking after that listing, reuse it.
  expect(await p.currentVersion({ key: 'b' }, 1000)).toBe('v2');
  expect(calls.sweep).toBe(2);
  // A key the listing does not know is asked for directly (which reports a missing secret).
  await expect(p.currentVersion({ key: 'gone' }, 1000)).rejects.toBeInstanceOf(NoSecretError);
  expect(calls.currentVersion).toBe(1);
});

test('a listing costing more calls than the keys it would answer is not used', async () => {
  const { c, calls } = taggedStore({ pages: 50 });
  const p = new PlannedClient(c, { mode: 'planned', clock: new ManualClock(1000) });
  await p.currentVersion({ key: 'a' }, 0); // the first listing finds out what it costs
  await p.currentVersion({ key: 'b' }, 2000);
  await p.currentVersion({ key: 'c' }, 2000);
  expect(calls).toEqual({ sweep: 1, currentVersion: 2 });
});

test('a refused listing falls back to asking per key', async () => {
  const { c, calls } = taggedStore({ pages: 1, refuseSweep: true });
  const p = new PlannedClient(c, { mode: 'planned', clock: new ManualClock(1000) });
  expect(await p.currentVersion({ key: 'a' }, 0)).toBe('v1');
  expect(await p.currentVersion({ key: 'b' }, 0)).toBe('v1');
  expect(calls).toEqual({ sweep: 1, currentVersion: 2 });
});

test('a refused listing is not asked again on every refresh, only after SWEEP_RETRY_AFTER_REFUSAL_MS', async () => {
  const clock = new ManualClock(1000);
  const { c, calls } = taggedStore({ pages: 1, refuseSweep: true });
  const p = new PlannedClient(c, { mode: 'planned', clock });
  await p.currentVersion({ key: 'a' }, 0);
  // Idle refreshes every minute for just under the retry interval: tags per key, no listing.
  for (let t = 60_000; t < SWEEP_RETRY_AFTER_REFUSAL_MS; t += 60_000) {
    clock.advance(60_000);
    await p.currentVersion({ key: 'a' }, clock.now() - 1);
  }
  expect(calls.sweep).toBe(1);
  expect(calls.currentVersion).toBe(SWEEP_RETRY_AFTER_REFUSAL_MS / 60_000);
  clock.advance(60_000);
  await p.currentVersion({ key: 'a' }, clock.now() - 1);
  expect(calls.sweep).toBe(2);
});

test('naive mode makes one call per request', async () => {
  const { c, calls } = counted(fake(), true);
  const p = new PlannedClient(c, { mode: 'naive', clock: new ManualClock() });
  await Promise.all([p.getSecret({ key: 'a' }), p.getSecret({ key: 'a' })]);
  await p.currentVersion({ key: 'a' }, 10_000);
  await p.currentVersion({ key: 'a' }, 10_000);
  expect(calls).toMatchObject({ getSecret: 2, getSecrets: 0, currentVersion: 2 });
});
