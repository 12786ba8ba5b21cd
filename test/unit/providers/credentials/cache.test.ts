// The credential cache bounds token calls: shared in-flight fetches, reuse until 5 minutes before
// expiry (half the life of short-lived ones), failures remembered for 10 s.
import {
  CredentialCache,
  FAILURE_TTL_MS,
  REFRESH_MARGIN_MS,
} from '../../../../src/providers/credentials/cache';
import { ManualClock } from '../../../../src/runtime/clock';

const HOUR = 3600_000;

function setup() {
  const clock = new ManualClock(1_000_000);
  const cache = new CredentialCache(clock);
  let calls = 0;
  const fetch =
    (ttl = HOUR) =>
    async () => ({ n: ++calls, expiresAt: clock.now() + ttl });
  return { clock, cache, fetch, calls: () => calls };
}

test('concurrent callers share one fetch; the result is reused until 5 minutes before expiry', async () => {
  const { clock, cache, fetch, calls } = setup();
  const got = await Promise.all(Array.from({ length: 100 }, () => cache.get('k', fetch())));
  expect(new Set(got.map((g) => g.n))).toEqual(new Set([1]));
  expect(calls()).toBe(1);
  clock.advance(HOUR - REFRESH_MARGIN_MS - 1);
  expect((await cache.get('k', fetch())).n).toBe(1);
  clock.advance(1);
  expect((await cache.get('k', fetch())).n).toBe(2);
  expect(calls()).toBe(2);
});

test('short-lived credentials are refreshed at half their life', async () => {
  const { clock, cache, fetch } = setup();
  await cache.get('k', fetch(4 * 60_000));
  clock.advance(2 * 60_000 - 1);
  expect((await cache.get('k', fetch(4 * 60_000))).n).toBe(1);
  clock.advance(1);
  expect((await cache.get('k', fetch(4 * 60_000))).n).toBe(2);
});

test('a failure is served for 10 s, then retried; keys are independent', async () => {
  const { clock, cache, fetch } = setup();
  let attempts = 0;
  const failing = async () => {
    attempts++;
    throw new Error('refused');
  };
  await expect(cache.get('bad', failing)).rejects.toThrow('refused');
  await expect(cache.get('bad', failing)).rejects.toThrow('refused');
  expect(attempts).toBe(1);
  expect((await cache.get('good', fetch())).n).toBe(1);
  clock.advance(FAILURE_TTL_MS);
  await expect(cache.get('bad', failing)).rejects.toThrow('refused');
  expect(attempts).toBe(2);
});

test('clear(prefix) forgets matching entries; expired ones are pruned on the next fetch', async () => {
  const { clock, cache, fetch } = setup();
  await cache.get('a|1', fetch());
  await cache.get('b|1', fetch());
  cache.clear('a|');
  expect(cache.size()).toBe(1);
  clock.advance(2 * HOUR);
  await cache.get('c', fetch());
  expect(cache.size()).toBe(1);
});
