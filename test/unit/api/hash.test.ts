// The content hash is a contract between the two controllers and anyone reading the annotation:
// these tests rebuild the documented encoding byte by byte and check that no two different
// inputs can share an encoding.

import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { contentHash, digestKeyId, digestsHash, keyDigest, keyedDigest } from '../../../src/api/hash';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const sha = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');
const u32 = (n: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};
const field = (x: Buffer): Buffer => Buffer.concat([u32(x.length), x]);

describe('contentHash', () => {
  it('is SHA-256 over the documented encoding (without type)', () => {
    const expected = sha(Buffer.concat([Buffer.of(0x01), field(b('a')), field(b('bc'))]));
    expect(contentHash({ a: b('bc') })).toBe(expected);
  });

  it('is SHA-256 over the documented encoding (with type, keys in byte order)', () => {
    const expected = sha(
      Buffer.concat([
        Buffer.of(0x02),
        field(b('Opaque')),
        field(b('B')),
        field(b('2')),
        field(b('a')),
        field(b('1')),
      ]),
    );
    expect(contentHash({ a: b('1'), B: b('2') }, 'Opaque')).toBe(expected);
  });

  it('sorts keys by UTF-8 bytes, not by JS (UTF-16) string order', () => {
    const halfwidth = '\uff61'; // UTF-8 EF BD A1, UTF-16 FF61
    const emoji = '\u{1f600}'; // UTF-8 F0 9F 98 80, UTF-16 D83D DE00
    expect([halfwidth, emoji].sort()).toEqual([emoji, halfwidth]); // JS order
    const expected = sha(
      Buffer.concat([Buffer.of(0x01), field(b(halfwidth)), field(b('x')), field(b(emoji)), field(b('y'))]),
    );
    expect(contentHash({ [emoji]: b('y'), [halfwidth]: b('x') })).toBe(expected);
  });

  it('does not depend on insertion order', () => {
    expect(contentHash({ a: b('1'), b: b('2'), c: b('3') })).toBe(
      contentHash({ c: b('3'), a: b('1'), b: b('2') }),
    );
  });

  it('separates key from value and entry from entry', () => {
    expect(contentHash({ a: b('bc') })).not.toBe(contentHash({ ab: b('c') }));
    expect(contentHash({ a: b(''), b: b('') })).not.toBe(contentHash({ ab: b('') }));
    // A value that contains what a second entry would look like is still one entry.
    const forged = Buffer.concat([b('b'), field(b('c')), field(b('d'))]);
    expect(contentHash({ a: b('b'), c: b('d') })).not.toBe(contentHash({ a: forged }));
  });

  it('gives every split of the same characters into key and value its own hash', () => {
    const text = 'abcdefgh';
    const hashes = new Set<string>();
    for (let i = 1; i <= text.length; i++) hashes.add(contentHash({ [text.slice(0, i)]: b(text.slice(i)) }));
    expect(hashes.size).toBe(text.length);
  });

  it('distinguishes no type, the empty type and a type; and empty data from an empty key', () => {
    const all = [
      contentHash({}),
      contentHash({}, ''),
      contentHash({}, 'Opaque'),
      contentHash({ '': b('') }),
      contentHash({ a: b('') }),
      contentHash({ a: b('') }, ''),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('depends on every byte of every value (binary-safe)', () => {
    const base = Buffer.from([0, 1, 2, 255]);
    const h = contentHash({ k: base });
    for (let i = 0; i < base.length; i++) {
      const changed = Buffer.from(base);
      changed[i] = (changed[i] ?? 0) ^ 1;
      expect(contentHash({ k: changed })).not.toBe(h);
    }
    expect(contentHash({ k: new Uint8Array(base) })).toBe(h); // Uint8Array and Buffer alike
  });

  it('is injective on random data (distinct inputs → distinct hashes)', () => {
    const data = fc.dictionary(fc.string({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), { maxKeys: 4 });
    const canonical = (d: Record<string, Uint8Array>): string =>
      JSON.stringify(
        Object.entries(d)
          .map(([k, v]) => [k, Buffer.from(v).toString('hex')])
          .sort(),
      );
    fc.assert(
      fc.property(
        data,
        data,
        (x, y) => (canonical(x) === canonical(y)) === (contentHash(x) === contentHash(y)),
      ),
    );
  });
});

describe('keyDigest', () => {
  it('is plain SHA-256 hex of the value', () => {
    expect(keyDigest(b(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(keyDigest(b('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('digestsHash', () => {
  const d1 = keyDigest(b('one'));
  const d2 = keyDigest(b('two'));

  it('is SHA-256 over the same framing with its own tag', () => {
    const expected = sha(
      Buffer.concat([Buffer.of(0x03), field(b('s/a')), field(b(d1)), field(b('s/b')), field(b(d2))]),
    );
    expect(
      digestsHash([
        ['s/b', d2],
        ['s/a', d1],
      ]),
    ).toBe(expected);
  });

  it('accepts any iterable (e.g. a Map) and ignores order', () => {
    const m = new Map([
      ['x', d1],
      ['y', d2],
    ]);
    expect(digestsHash(m)).toBe(
      digestsHash([
        ['y', d2],
        ['x', d1],
      ]),
    );
  });

  it('never equals a contentHash of the same strings (domain separated)', () => {
    expect(digestsHash([['k', d1]])).not.toBe(contentHash({ k: b(d1) }));
  });

  it('separates names from digests', () => {
    expect(digestsHash([['a', 'bc']])).not.toBe(digestsHash([['ab', 'c']]));
  });

  it('rejects a repeated name', () => {
    expect(() =>
      digestsHash([
        ['a', d1],
        ['a', d2],
      ]),
    ).toThrow(/duplicate key "a"/);
  });
});

describe('keyedDigest', () => {
  const key = Buffer.alloc(32, 3);
  it('is HMAC-SHA-256 under the key over the documented encoding', () => {
    const digest = 'ab'.repeat(32);
    const expected = createHmac('sha256', key)
      .update(Buffer.concat([Buffer.of(0x04), field(b(digest))]))
      .digest('hex');
    expect(keyedDigest(key, digest)).toBe(expected);
    expect(keyedDigest(Buffer.alloc(32, 4), digest)).not.toBe(expected);
  });

  it('names the key with 8 hex digits of HMAC(key, 0x05)', () => {
    expect(digestKeyId(key)).toBe(
      createHmac('sha256', key).update(Buffer.of(0x05)).digest('hex').slice(0, 8),
    );
  });
});
