// fetchValues / applyRewrites against the real fake provider: dataFrom (extract, find, rewrite)
// then data[], which wins on conflicts; property, decoding and null-byte policies; and each
// distinct (store, key, version) fetched once per reconcile.
import type { ExternalSecretSpec, SecretStoreRef } from '../../../src/api/generated';
import { applyRewrites, fetchValues, type ClientFor } from '../../../src/controllers/externalsecret/fetch';
import { TemplateError } from '../../../src/gocompat/template';
import { InvalidRefError, NoSecretError } from '../../../src/providers/core/errors';
import { createFakeClient } from '../../../src/providers/fake';
import type { SecretsClient } from '../../../src/providers/core/types';
import { enc, text, values } from './helpers';

type FakeData = { key: string; value: string; version?: string }[];

const PRIMARY: FakeData = [
  { key: 'db-user', value: 'alice' },
  { key: 'db-password', value: 's3cret' },
  { key: 'db-password', value: 'old-secret', version: '1' },
  { key: 'db-password', value: 'new-secret', version: '2' },
  { key: 'db-json', value: '{"user":"bob","password":"hunter2","port":5432,"opts":{"ssl": true}}' },
  { key: 'tls', value: '{"crt":"Q0VSVA==","key":"a2V5LWJ5dGVz","bad":"not base64!"}' },
  { key: 'app/db/user', value: 'u1' },
  { key: 'app/db/pass', value: 'p1' },
  { key: 'app/cache/url', value: 'redis://' },
  { key: 'other/db/user', value: 'u2' },
  { key: 'with-null', value: 'a\u0000b' },
  { key: 'json-null', value: '{"k":"a\\u0000b"}' },
];
const SECONDARY: FakeData = [{ key: 'db-password', value: 'from-secondary' }];

/** ClientFor over real fake clients, counting getSecret calls per (store, key, version). */
function harness(stores: Record<string, FakeData> = { primary: PRIMARY, secondary: SECONDARY }) {
  const calls: string[] = [];
  const clientRequests: string[] = [];
  const clients = new Map(Object.entries(stores).map(([name, data]) => [name, createFakeClient({ data })]));
  const clientFor: ClientFor = async (ref: SecretStoreRef | undefined) => {
    clientRequests.push(`${ref?.kind ?? ''}/${ref?.name ?? ''}`);
    const inner = clients.get(ref?.name ?? '');
    if (!inner) throw new Error(`test: no store ${ref?.name}`);
    const counted: SecretsClient = {
      getSecret: (r) => {
        calls.push(`${ref?.name}|${r.key}|${r.version ?? ''}`);
        return inner.getSecret(r);
      },
      findSecrets: (q) => inner.findSecrets(q),
      close: () => inner.close(),
    };
    return counted;
  };
  const count = (id: string) => calls.filter((c) => c === id).length;
  return { clientFor, calls, clientRequests, count };
}

const base = (s: Partial<ExternalSecretSpec>): ExternalSecretSpec => ({
  secretStoreRef: { name: 'primary' },
  ...s,
});

async function fetchText(spec: ExternalSecretSpec, h = harness()): Promise<Record<string, string>> {
  return text(await fetchValues(spec, h.clientFor));
}

describe('data[]', () => {
  test('each entry is written under its secretKey; version selects the exact version', async () => {
    const out = await fetchText(
      base({
        data: [
          { secretKey: 'user', remoteRef: { key: 'db-user' } },
          { secretKey: 'password', remoteRef: { key: 'db-password' } },
          { secretKey: 'v1', remoteRef: { key: 'db-password', version: '1' } },
        ],
      }),
    );
    expect(out).toEqual({ user: 'alice', password: 's3cret', v1: 'old-secret' });
  });

  test('sourceRef.storeRef reads from another store', async () => {
    const out = await fetchText(
      base({
        data: [
          { secretKey: 'a', remoteRef: { key: 'db-password' } },
          {
            secretKey: 'b',
            remoteRef: { key: 'db-password' },
            sourceRef: { storeRef: { name: 'secondary' } },
          },
        ],
      }),
    );
    expect(out).toEqual({ a: 's3cret', b: 'from-secondary' });
  });

  test('a missing remote key is a NoSecretError', async () => {
    await expect(
      fetchValues(base({ data: [{ secretKey: 'x', remoteRef: { key: 'nope' } }] }), harness().clientFor),
    ).rejects.toBeInstanceOf(NoSecretError);
  });

  test('property picks a JSON field; nested paths and non-string values as JSON text', async () => {
    const out = await fetchText(
      base({
        data: [
          { secretKey: 'user', remoteRef: { key: 'db-json', property: 'user' } },
          { secretKey: 'port', remoteRef: { key: 'db-json', property: 'port' } },
          { secretKey: 'ssl', remoteRef: { key: 'db-json', property: 'opts.ssl' } },
        ],
      }),
    );
    expect(out).toEqual({ user: 'bob', port: '5432', ssl: 'true' });
  });

  test("a property or payload gjson cannot serve → InvalidRefError with gjson's message", async () => {
    const unsupported =
      'property "opts|ssl" of db-json uses gjson pipes (|), which secretsync does not support; ' +
      'use a dotted path (a.b.c), array indexes (items.0), # and \\ escapes';
    const cases: [ExternalSecretSpec, string][] = [
      [
        base({ data: [{ secretKey: 'x', remoteRef: { key: 'db-json', property: 'nope' } }] }),
        'property "nope" not found in db-json',
      ],
      [
        base({ data: [{ secretKey: 'x', remoteRef: { key: 'db-user', property: 'user' } }] }),
        'payload of db-user is not JSON (unexpected character at byte 0), so property "user" cannot be read',
      ],
      [
        base({ data: [{ secretKey: 'x', remoteRef: { key: 'db-json', property: 'opts|ssl' } }] }),
        unsupported,
      ],
      [
        base({ dataFrom: [{ extract: { key: 'db-json', property: 'port' } }] }),
        'payload of db-json is a JSON number, not an object, so dataFrom.extract cannot split it into keys',
      ],
      [
        base({ dataFrom: [{ extract: { key: 'db-json', property: 'nope' } }] }),
        'property "nope" not found in db-json',
      ],
    ];
    for (const [spec, message] of cases) {
      const err = await fetchValues(spec, harness().clientFor).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRefError);
      expect((err as Error).message).toBe(message);
    }
  });

  test('property + decodingStrategy Base64 decodes the picked field', async () => {
    const out = await fetchText(
      base({
        data: [
          { secretKey: 'tls.crt', remoteRef: { key: 'tls', property: 'crt', decodingStrategy: 'Base64' } },
          { secretKey: 'tls.key', remoteRef: { key: 'tls', property: 'key', decodingStrategy: 'Base64' } },
        ],
      }),
    );
    expect(out).toEqual({ 'tls.crt': 'CERT', 'tls.key': 'key-bytes' });
  });

  test('decodingStrategy Base64 on a value that is not base64 → InvalidRefError', async () => {
    const spec = base({
      data: [{ secretKey: 'x', remoteRef: { key: 'tls', property: 'bad', decodingStrategy: 'Base64' } }],
    });
    await expect(fetchValues(spec, harness().clientFor)).rejects.toBeInstanceOf(InvalidRefError);
  });

  test('nullBytePolicy Fail rejects a value with a NUL byte; the default (Ignore) keeps it', async () => {
    const failing = base({
      data: [{ secretKey: 'x', remoteRef: { key: 'with-null', nullBytePolicy: 'Fail' } }],
    });
    await expect(fetchValues(failing, harness().clientFor)).rejects.toThrow(InvalidRefError);
    await expect(fetchValues(failing, harness().clientFor)).rejects.toThrow(/null byte/);
    const ignored = base({ data: [{ secretKey: 'x', remoteRef: { key: 'with-null' } }] });
    expect((await fetchValues(ignored, harness().clientFor)).get('x')).toEqual(enc('a\u0000b'));
    const explicit = base({
      data: [{ secretKey: 'x', remoteRef: { key: 'with-null', nullBytePolicy: 'Ignore' } }],
    });
    expect((await fetchValues(explicit, harness().clientFor)).get('x')).toEqual(enc('a\u0000b'));
  });

  test('nullBytePolicy Fail applies after decoding (a NUL inside base64 is caught)', async () => {
    const h = harness({ primary: [{ key: 'b64', value: Buffer.from('a\u0000b').toString('base64') }] });
    const spec = base({
      data: [
        { secretKey: 'x', remoteRef: { key: 'b64', decodingStrategy: 'Base64', nullBytePolicy: 'Fail' } },
      ],
    });
    await expect(fetchValues(spec, h.clientFor)).rejects.toThrow(InvalidRefError);
  });
});

describe('dataFrom', () => {
  test('extract splits a JSON object: strings decoded, other values as written', async () => {
    const out = await fetchText(base({ dataFrom: [{ extract: { key: 'db-json' } }] }));
    expect(out).toEqual({ user: 'bob', password: 'hunter2', port: '5432', opts: '{"ssl": true}' });
  });

  test('extract of a value that is not a JSON object → InvalidRefError', async () => {
    await expect(
      fetchValues(base({ dataFrom: [{ extract: { key: 'db-user' } }] }), harness().clientFor),
    ).rejects.toBeInstanceOf(InvalidRefError);
  });

  test('extract with nullBytePolicy Fail rejects a key whose value has a NUL byte', async () => {
    const spec = base({ dataFrom: [{ extract: { key: 'json-null', nullBytePolicy: 'Fail' } }] });
    await expect(fetchValues(spec, harness().clientFor)).rejects.toThrow(InvalidRefError);
    expect(await fetchText(base({ dataFrom: [{ extract: { key: 'json-null' } }] }))).toEqual({
      k: 'a\u0000b',
    });
  });

  test('find by name regexp (unanchored); without rewrites, "/" in names becomes "_" as in ESO', async () => {
    const out = await fetchText(base({ dataFrom: [{ find: { name: { regexp: '/db/' } } }] }));
    expect(out).toEqual({ app_db_user: 'u1', app_db_pass: 'p1', other_db_user: 'u2' });
  });

  test('find by path prefix, and path + regexp together', async () => {
    expect(await fetchText(base({ dataFrom: [{ find: { path: 'app/' } }] }))).toEqual({
      app_db_user: 'u1',
      app_db_pass: 'p1',
      app_cache_url: 'redis://',
    });
    expect(
      await fetchText(base({ dataFrom: [{ find: { path: 'app/', name: { regexp: 'user$' } } }] })),
    ).toEqual({
      app_db_user: 'u1',
    });
  });

  test('find with nullBytePolicy Fail rejects a matching value with a NUL byte', async () => {
    const spec = base({ dataFrom: [{ find: { name: { regexp: '^with-null$' }, nullBytePolicy: 'Fail' } }] });
    await expect(fetchValues(spec, harness().clientFor)).rejects.toThrow(InvalidRefError);
  });

  test('an entry with neither extract nor find → InvalidRefError naming its index', async () => {
    const spec = base({ dataFrom: [{ extract: { key: 'db-json' } }, {}] });
    await expect(fetchValues(spec, harness().clientFor)).rejects.toThrow(/spec\.dataFrom\[1\]/);
  });

  test('later dataFrom entries override earlier ones', async () => {
    const out = await fetchText(
      base({
        dataFrom: [
          { extract: { key: 'db-json' } },
          {
            find: { path: 'app/db/' },
            rewrite: [{ regexp: { source: '^app/db/(.*)$', target: '$1' } }],
          },
        ],
      }),
    );
    expect(out.user).toBe('u1');
    expect(out.password).toBe('hunter2');
    expect(out.pass).toBe('p1');
  });

  test('data[] overrides dataFrom on the same key', async () => {
    const out = await fetchText(
      base({
        dataFrom: [{ extract: { key: 'db-json' } }],
        data: [{ secretKey: 'password', remoteRef: { key: 'db-password' } }],
      }),
    );
    expect(out).toEqual({ user: 'bob', password: 's3cret', port: '5432', opts: '{"ssl": true}' });
  });
});

describe('rewrite', () => {
  test('regexp with $1 strips a common path; unmatched keys are kept', async () => {
    const out = await fetchText(
      base({
        dataFrom: [
          { find: { path: 'app/' }, rewrite: [{ regexp: { source: '^app/db/(.*)$', target: 'db-$1' } }] },
        ],
      }),
    );
    expect(out).toEqual({ 'db-user': 'u1', 'db-pass': 'p1', 'app/cache/url': 'redis://' });
  });

  test('rewrites are applied in order, each to the output of the previous one', () => {
    const out = applyRewrites(values({ 'app/db/user': 'u' }), [
      { regexp: { source: '^app/', target: '' } },
      { regexp: { source: '/', target: '_' } },
      { transform: { template: '{{ .value | upper }}' } },
    ]);
    expect(text(out)).toEqual({ DB_USER: 'u' });
  });

  test('regexp replaces every match in a key', () => {
    expect([
      ...applyRewrites(values({ 'a/b/c': 'v' }), [{ regexp: { source: '/', target: '-' } }]).keys(),
    ]).toEqual(['a-b-c']);
  });

  test('transform renders a template with .value = the key; values are untouched', () => {
    const out = applyRewrites(values({ user: 'alice', password: 's3cret' }), [
      { transform: { template: 'DB_{{ .value | upper }}' } },
    ]);
    expect(text(out)).toEqual({ DB_USER: 'alice', DB_PASSWORD: 's3cret' });
  });

  test('no rewrites → the same keys and values', () => {
    expect(text(applyRewrites(values({ a: '1' }), []))).toEqual({ a: '1' });
  });

  test('an invalid RE2 source → InvalidRefError naming the rewrite', () => {
    expect(() =>
      applyRewrites(values({ a: '1' }), [{ regexp: { source: '(unclosed', target: 'x' } }]),
    ).toThrow(/rewrite\[0\]\.regexp\.source/);
    expect(() =>
      applyRewrites(values({ a: '1' }), [{ regexp: { source: '(?=look)', target: 'x' } }]),
    ).toThrow(InvalidRefError);
  });

  test('a transform template error is a TemplateError', () => {
    expect(() => applyRewrites(values({ a: '1' }), [{ transform: { template: '{{ .missing }}' } }])).toThrow(
      TemplateError,
    );
  });

  // BUG (fetch.ts applyRewrites): ESO applies rewrite.regexp with Go's Regexp.ReplaceAllString,
  // where ${1} is the explicit form of $1 (ESO's own full ExternalSecret example uses
  // "rewriting-${1}-with-groups"). RE2JS's replaceAll leaves "${1}" literally in the key.
  test('regexp target ${1} refers to group 1, as in Go', () => {
    const out = applyRewrites(values({ 'exp-db-ression': 'v' }), [
      { regexp: { source: 'exp-(.*?)-ression', target: 'rewriting-${1}-with-groups' } },
    ]);
    expect([...out.keys()]).toEqual(['rewriting-db-with-groups']);
  });

  // Go's ReplaceAllString does not replace an empty match right after a match: `a*` → `X` over
  // `aaa` is `X` (Go and ESO), not `XX`; over `baaac` it is `XbXcX`.
  test.each([
    ['a*', 'X', 'aaa', 'X'],
    ['a*', 'X', 'baaac', 'XbXcX'],
    ['x*', '-', 'abc', '-a-b-c-'],
    ['(a)(b)?', '[$2$1]', 'aab', '[a][ba]'],
  ])('regexp %s → %s over %s gives %s, as in Go', (source, target, key, want) => {
    expect([...applyRewrites(values({ [key]: 'v' }), [{ regexp: { source, target } }]).keys()]).toEqual([
      want,
    ]);
  });
});

describe('one fetch per distinct (store, key, version) per reconcile', () => {
  test('identical refs in data[] and dataFrom.extract are fetched once', async () => {
    const h = harness();
    const out = await fetchText(
      base({
        dataFrom: [{ extract: { key: 'db-json' } }, { extract: { key: 'db-json' } }],
        data: [
          { secretKey: 'u', remoteRef: { key: 'db-json', property: 'user' } },
          { secretKey: 'p', remoteRef: { key: 'db-json', property: 'password' } },
          { secretKey: 'pw1', remoteRef: { key: 'db-password' } },
          { secretKey: 'pw2', remoteRef: { key: 'db-password' } },
        ],
      }),
      h,
    );
    expect(out.u).toBe('bob');
    expect(out.p).toBe('hunter2');
    expect(out.pw2).toBe('s3cret');
    expect(h.count('primary|db-json|')).toBe(1);
    expect(h.count('primary|db-password|')).toBe(1);
    expect(h.calls).toHaveLength(2);
  });

  test('a different version or a different store is a different fetch', async () => {
    const h = harness();
    await fetchValues(
      base({
        data: [
          { secretKey: 'a', remoteRef: { key: 'db-password' } },
          { secretKey: 'b', remoteRef: { key: 'db-password', version: '1' } },
          { secretKey: 'c', remoteRef: { key: 'db-password', version: '2' } },
          {
            secretKey: 'd',
            remoteRef: { key: 'db-password' },
            sourceRef: { storeRef: { name: 'secondary' } },
          },
          { secretKey: 'e', remoteRef: { key: 'db-password', version: '1' } },
        ],
      }),
      h.clientFor,
    );
    expect([...h.calls].sort()).toEqual([
      'primary|db-password|',
      'primary|db-password|1',
      'primary|db-password|2',
      'secondary|db-password|',
    ]);
  });

  test('a new reconcile (a new fetchValues call) fetches again', async () => {
    const h = harness();
    const spec = base({ data: [{ secretKey: 'a', remoteRef: { key: 'db-user' } }] });
    await fetchValues(spec, h.clientFor);
    await fetchValues(spec, h.clientFor);
    expect(h.count('primary|db-user|')).toBe(2);
  });

  // BUG (fetch.ts FetchSession.get, cache id): the id uses `store?.kind ?? ''`, so the default store
  // written as {name} and the same store written as {name, kind: SecretStore} (the default kind)
  // get different ids and the same (store, key, version) is fetched twice.
  test('the same store with and without the default kind spelled out is fetched once', async () => {
    const h = harness();
    await fetchValues(
      base({
        data: [
          { secretKey: 'a', remoteRef: { key: 'db-user' } },
          {
            secretKey: 'b',
            remoteRef: { key: 'db-user' },
            sourceRef: { storeRef: { name: 'primary', kind: 'SecretStore' } },
          },
        ],
      }),
      h.clientFor,
    );
    expect(h.count('primary|db-user|')).toBe(1);
  });
});

test('when several reads fail, the first in spec order is reported, however fast the others fail', async () => {
  const slowFail: SecretsClient = {
    getSecret: (r) =>
      new Promise((_, reject) =>
        setTimeout(() => reject(new NoSecretError(`${r.key} not found`)), r.key === 'first' ? 30 : 0),
      ),
    findSecrets: () => Promise.resolve(new Map()),
    close: () => Promise.resolve(),
  };
  const spec: ExternalSecretSpec = {
    secretStoreRef: { name: 'primary' },
    data: [
      { secretKey: 'a', remoteRef: { key: 'first' } },
      { secretKey: 'b', remoteRef: { key: 'second' } },
    ],
  };
  for (let attempt = 0; attempt < 3; attempt++)
    await expect(fetchValues(spec, () => Promise.resolve(slowFail))).rejects.toThrow('first not found');
});
