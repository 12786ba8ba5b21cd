// The fake provider honours the SecretsClient contract with ESO's fake semantics: exact
// (key, version) matches, valueMap as JSON, find by regexp/path, tags unsupported.
import { InvalidRefError, NoSecretError } from '../../../src/providers/core/errors';
import { createFakeClient, FakeClient } from '../../../src/providers/fake';

const dec = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function client(): FakeClient {
  return createFakeClient({
    data: [
      { key: 'db/password', value: 'unversioned' },
      { key: 'db/password', value: 'v1-value', version: 'v1' },
      { key: 'db/password', value: 'v2-value', version: 'v2' },
      { key: 'db/user', value: 'alice' },
      { key: 'api-key', value: 'k' },
      { key: 'map', valueMap: { z: '1', a: '2' } },
      { key: 'dup', value: 'first' },
      { key: 'dup', value: 'second' },
      { key: 'n', value: 'nine', version: '9' },
      { key: 'n', value: 'ten', version: '10' },
    ],
  });
}

describe('getSecret', () => {
  test('no version matches only the entry without version; a version matches exactly', async () => {
    const c = client();
    expect(dec(await c.getSecret({ key: 'db/password' }))).toBe('unversioned');
    expect(dec(await c.getSecret({ key: 'db/password', version: '' }))).toBe('unversioned');
    expect(dec(await c.getSecret({ key: 'db/password', version: 'v2' }))).toBe('v2-value');
    expect(dec(await c.getSecret({ key: 'dup' }))).toBe('second');
  });

  test('valueMap is JSON with sorted keys', async () => {
    expect(dec(await client().getSecret({ key: 'map' }))).toBe('{"a":"2","z":"1"}');
  });

  test('missing key or version → NoSecretError saying which', async () => {
    const c = client();
    await expect(c.getSecret({ key: 'nope' })).rejects.toThrow(
      new NoSecretError('fake store has no key "nope"'),
    );
    await expect(c.getSecret({ key: 'db/user', version: 'v1' })).rejects.toThrow(
      new NoSecretError('fake store has no key "db/user" at version "v1"'),
    );
    await expect(c.getSecret({ key: 'nope' })).rejects.toBeInstanceOf(NoSecretError);
  });

  test('returned bytes are a copy', async () => {
    const c = client();
    const a = await c.getSecret({ key: 'db/user' });
    a.fill(0);
    expect(dec(await c.getSecret({ key: 'db/user' }))).toBe('alice');
  });
});

describe('findSecrets', () => {
  test('unanchored RE2 name regexp; newest version per key', async () => {
    const found = await client().findSecrets({ nameRegexp: 'db/' });
    expect(Object.fromEntries([...found].map(([k, v]) => [k, dec(v)]))).toEqual({
      'db/password': 'v2-value',
      'db/user': 'alice',
    });
    expect(dec((await client().findSecrets({ nameRegexp: '^n$' })).get('n')!)).toBe('ten');
  });

  test('path prefix, alone or with a regexp', async () => {
    expect([...(await client().findSecrets({ path: 'db/' })).keys()].sort()).toEqual([
      'db/password',
      'db/user',
    ]);
    expect([...(await client().findSecrets({ path: 'db/', nameRegexp: 'user' })).keys()]).toEqual([
      'db/user',
    ]);
    expect((await client().findSecrets({ path: 'zzz' })).size).toBe(0);
  });

  test('tags are not supported; a bad regexp is an InvalidRefError', async () => {
    await expect(client().findSecrets({ tags: { env: 'prod' } })).rejects.toBeInstanceOf(InvalidRefError);
    await expect(client().findSecrets({ nameRegexp: '(' })).rejects.toThrow(/not a valid RE2 expression/);
    // RE2 has no backreferences: rejected rather than silently different from ESO.
    await expect(client().findSecrets({ nameRegexp: '(a)\\1' })).rejects.toBeInstanceOf(InvalidRefError);
  });
});

describe('currentVersion', () => {
  test('changes with the value, stable otherwise, and does not reveal it', async () => {
    const a = createFakeClient({ data: [{ key: 'k', value: 'one' }] });
    const b = createFakeClient({ data: [{ key: 'k', value: 'one' }] });
    const c = createFakeClient({ data: [{ key: 'k', value: 'two' }] });
    const va = await a.currentVersion({ key: 'k' });
    expect(va).toBe(await b.currentVersion({ key: 'k' }));
    expect(va).not.toBe(await c.currentVersion({ key: 'k' }));
    expect(va).not.toContain('one');
    await expect(a.currentVersion({ key: 'x' })).rejects.toBeInstanceOf(NoSecretError);
  });
});

describe('spec validation', () => {
  test.each([
    [null, /must be an object/],
    [{ data: 'x' }, /data must be a list/],
    [{ data: [{ value: 'v' }] }, /data\[0\]\.key/],
    [{ data: [{ key: 'k', value: 1 }] }, /data\[0\]\.value/],
    [{ data: [{ key: 'k', version: 2 }] }, /data\[0\]\.version/],
    [{ data: [{ key: 'k', valueMap: { a: 1 } }] }, /valueMap\.a/],
  ])('%j is rejected', (spec, msg) => {
    expect(() => createFakeClient(spec)).toThrow(msg);
  });

  test('an empty store is valid', async () => {
    expect((await createFakeClient({}).findSecrets({})).size).toBe(0);
  });
});
