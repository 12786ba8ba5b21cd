// Sprig functions ESO's engine exposes that were missing: path functions (and their os* forms),
// hexdec, decryptAES, the deterministic "sha" htpasswd, hello. Expected values come from Go's path and
// encoding/hex packages and crypto/sha1 (computed with Go 1.26).
import { render, renderError } from './helpers';

interface Row {
  In: string;
  Base: string;
  Dir: string;
  Clean: string;
  Ext: string;
  IsAbs: boolean;
}
const GO_PATHS: Row[] = [
  { In: '', Base: '.', Dir: '.', Clean: '.', Ext: '', IsAbs: false },
  { In: '.', Base: '.', Dir: '.', Clean: '.', Ext: '.', IsAbs: false },
  { In: '/', Base: '/', Dir: '/', Clean: '/', Ext: '', IsAbs: true },
  { In: '//', Base: '/', Dir: '/', Clean: '/', Ext: '', IsAbs: true },
  { In: 'a', Base: 'a', Dir: '.', Clean: 'a', Ext: '', IsAbs: false },
  { In: 'a/', Base: 'a', Dir: 'a', Clean: 'a', Ext: '', IsAbs: false },
  { In: 'a//b/../c/.', Base: '.', Dir: 'a/c', Clean: 'a/c', Ext: '.', IsAbs: false },
  { In: '/../x', Base: 'x', Dir: '/', Clean: '/x', Ext: '', IsAbs: true },
  { In: '../../a/b', Base: 'b', Dir: '../../a', Clean: '../../a/b', Ext: '', IsAbs: false },
  { In: '/a/b.tar.gz', Base: 'b.tar.gz', Dir: '/a', Clean: '/a/b.tar.gz', Ext: '.gz', IsAbs: true },
  { In: 'dir.d/file', Base: 'file', Dir: 'dir.d', Clean: 'dir.d/file', Ext: '', IsAbs: false },
  { In: 'x/.hidden', Base: '.hidden', Dir: 'x', Clean: 'x/.hidden', Ext: '.hidden', IsAbs: false },
  { In: 'a/b/', Base: 'b', Dir: 'a/b', Clean: 'a/b', Ext: '', IsAbs: false },
  { In: './a/./b/..', Base: '..', Dir: 'a/b', Clean: 'a', Ext: '.', IsAbs: false },
  { In: '/a/..', Base: '..', Dir: '/a', Clean: '/', Ext: '.', IsAbs: true },
  { In: 'é/ü.txt', Base: 'ü.txt', Dir: 'é', Clean: 'é/ü.txt', Ext: '.txt', IsAbs: false },
];

describe('base, dir, clean, ext, isAbs and os*', () => {
  test.each(GO_PATHS)('%j', (row) => {
    const data = { p: row.In };
    for (const prefix of ['', 'os']) {
      const f = (name: string) => (prefix ? prefix + name[0]!.toUpperCase() + name.slice(1) : name);
      expect(
        render(
          `{{ ${f('base')} .p }}|{{ ${f('dir')} .p }}|{{ ${f('clean')} .p }}|{{ ${f('ext')} .p }}|{{ ${f('isAbs')} .p }}`,
          data,
        ),
      ).toBe([row.Base, row.Dir, row.Clean, row.Ext, String(row.IsAbs)].join('|'));
    }
  });
});

describe('hexdec', () => {
  test.each([
    ['', ''],
    ['48656c6c6f', 'Hello'],
    ['4A4b', 'JK'],
    ['abc', 'encoding/hex: odd length hex string'],
    ['zz', "encoding/hex: invalid byte: U+007A 'z'"],
    ['a\u0001', 'encoding/hex: invalid byte: U+0001'],
    ['0g', "encoding/hex: invalid byte: U+0067 'g'"],
  ])('%j → %j (Sprig returns the error text)', (input, want) => {
    expect(render('{{ hexdec .h }}', { h: input })).toBe(want);
  });

  test('non-UTF-8 input and output bytes are exact', () => {
    expect(render('{{ hexdec .h }}', { h: Buffer.from([0x61, 0x62, 0xff]) })).toBe(
      "encoding/hex: invalid byte: U+00FF 'ÿ'",
    );
    expect(render('{{ hexdec "ff00fe" | b64enc }}')).toBe(Buffer.from([0xff, 0, 0xfe]).toString('base64'));
  });
});

describe('htpasswd', () => {
  test('"sha": user:{SHA}base64(sha1(password)), as Go computes it', () => {
    expect(render('{{ htpasswd "alice" .p "sha" }}', { p: 'test-only-pässword' })).toBe(
      'alice:{SHA}5GIHyvoKbLF+uXt1VItA1hDql50=',
    );
    expect(render('{{ htpasswd "a:b" "x" "sha" }}')).toBe('invalid username: a:b');
  });

  test('bcrypt (random salt) is refused with a message naming the deterministic form, not the value', () => {
    const err = renderError('{{ htpasswd "alice" .p "bcrypt" }}', { p: 'CANARY' });
    expect(err.message).toContain('use "sha"');
    expect(err.message).not.toContain('CANARY');
    expect(renderError('{{ htpasswd "alice" "x" }}').message).toContain('wrong number of args');
  });
});

test('hello', () => {
  expect(render('{{ hello }}')).toBe('Hello!');
});

describe('decryptAES', () => {
  // IV 000102…0f prepended to `openssl enc -aes-256-cbc` output; key "test-only-key" zero-padded to 32.
  test.each([
    ['hello secret', 'AAECAwQFBgcICQoLDA0OD9Lo+aSjrWFX9ljPPsNdLK0='],
    ['exactly16bytes!!', 'AAECAwQFBgcICQoLDA0ODwGCifDoA0gOc8DfnRiUjWTMfaMp69hAzIiawFe3HE6U'],
    ['', 'AAECAwQFBgcICQoLDA0ODzbU9VpTj8B8eg/Px80yQ3I='],
  ])('%j', (plain, crypt) => {
    expect(render('{{ decryptAES "test-only-key" .c }}', { c: crypt })).toBe(plain);
  });

  test('a password longer than 32 bytes is cut to 32; an empty input is empty', () => {
    expect(
      render('{{ decryptAES .k .c }}', {
        k: 'k'.repeat(40),
        c: 'AAECAwQFBgcICQoLDA0OD2bbp/1b/q9j0v2knFLiu4k=',
      }),
    ).toBe('long key');
    expect(render('{{ decryptAES "x" "" }}')).toBe('');
  });

  test('bad base64, a short or ragged ciphertext: template errors without the value', () => {
    for (const c of ['CANARY!', 'AAEC', 'AAECAwQFBgcICQoLDA0OD9Lo+aSjrWFX9ljPPsNdLA==']) {
      expect(renderError('{{ decryptAES "CANARYKEY" .c }}', { c }).message).not.toContain('CANARY');
    }
  });
});
