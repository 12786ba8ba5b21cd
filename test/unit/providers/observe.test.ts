import { observed, observedPages } from '../../../src/providers/core/observe';

describe('observed provider calls (ESO provider_api_calls_count)', () => {
  test('one observation per call, failed or not', async () => {
    const seen: string[] = [];
    const observe = (p: string, c: string, failed: boolean) => seen.push(`${p} ${c} ${failed}`);
    const ok = observed(observe, 'GCP/SecretManager', 'AccessSecretVersion', async (x: number) => x + 1);
    const bad = observed(observe, 'GCP/SecretManager', 'GetSecret', async () => {
      throw new Error('denied');
    });
    expect(await ok(1)).toBe(2);
    await expect(bad()).rejects.toThrow('denied');
    expect(seen).toEqual(['GCP/SecretManager AccessSecretVersion false', 'GCP/SecretManager GetSecret true']);
  });

  test('a listing counts once: read to its end, stopped early, or failing', async () => {
    const seen: boolean[] = [];
    const observe = (_p: string, _c: string, failed: boolean) => seen.push(failed);
    const list = observedPages(observe, 'GCP/SecretManager', 'ListSecrets', async function* (fail: boolean) {
      yield 1;
      yield 2;
      if (fail) throw new Error('unavailable');
    });
    const all: number[] = [];
    for await (const x of list(false)) all.push(x);
    for await (const _ of list(false)) break;
    await expect(
      (async () => {
        for await (const _ of list(true));
      })(),
    ).rejects.toThrow('unavailable');
    expect(all).toEqual([1, 2]);
    expect(seen).toEqual([false, false, true]);
  });

  test('no observer: the function itself', () => {
    const fn = async () => 1;
    expect(observed(undefined, 'p', 'c', fn)).toBe(fn);
  });
});
