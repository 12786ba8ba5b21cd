// Go's base64 DecodeString (src/gocompat/base64.ts), checked with Go's own vectors (base64_test.go:
// RFC 4648 pairs, TestDecodeCorrupt's offsets) through the one implementation and both of its
// callers: the templates' b64dec (Sprig returns Go's error text) and ESO's decodingStrategy.
import fc from 'fast-check';
import { decode } from '../../../src/controllers/externalsecret/decoding';
import { decodeBase64 } from '../../../src/gocompat/base64';
import { renderTemplate } from '../../../src/gocompat/template';
import { InvalidRefError } from '../../../src/providers/core/errors';

const enc = (s: string) => new TextEncoder().encode(s);
const text = (r: Uint8Array | number) => (typeof r === 'number' ? r : Buffer.from(r).toString('latin1'));

const RFC4648: [decoded: string, encoded: string][] = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
  ['sure.', 'c3VyZS4='],
  ['\x14\xfb\x9c\x03\xd9\x7e', 'FPucA9l+'],
  ['\x14\xfb\x9c\x03\xd9', 'FPucA9k='],
  ['\x14\xfb\x9c\x03', 'FPucAw=='],
];

/** -1: valid. */
const CORRUPT: [input: string, offset: number][] = [
  ['', -1],
  ['\n', -1],
  ['AAA=\n', -1],
  ['AAAA\n', -1],
  ['!!!!', 0],
  ['====', 0],
  ['x===', 1],
  ['=AAA', 0],
  ['A=AA', 1],
  ['AA=A', 2],
  ['AA==A', 4],
  ['AAA=AAAA', 4],
  ['AAAAA', 4],
  ['AAAAAA', 4],
  ['A=', 1],
  ['A==', 1],
  ['AA=', 3],
  ['AA==', -1],
  ['AAA=', -1],
  ['AAAA', -1],
  ['AAAAAA=', 7],
  ['YWJjZA=====', 8],
  ['A!\n', 1],
  ['A=\n', 1],
];

describe('decodeBase64 (gocompat/base64.ts)', () => {
  test.each(RFC4648)('%j from %j (std)', (decoded, encoded) => {
    expect(text(decodeBase64(enc(encoded), 'std'))).toBe(decoded);
  });

  test.each(CORRUPT)('%j: corrupt at %d (-1: valid)', (input, offset) => {
    const r = decodeBase64(enc(input), 'std');
    expect(typeof r === 'number' ? r : -1).toBe(offset);
  });

  test('the URL alphabet is - and _, and each alphabet refuses the other', () => {
    expect(text(decodeBase64(enc('FPucA9l-'), 'url'))).toBe('\x14\xfb\x9c\x03\xd9\x7e');
    expect(text(decodeBase64(enc('_-8='), 'url'))).toBe('\xff\xef');
    expect(decodeBase64(enc('FPucA9l+'), 'url')).toBe(7);
    expect(decodeBase64(enc('FPucA9l-'), 'std')).toBe(7);
  });

  test('CR and LF are skipped anywhere, also inside the padding', () => {
    expect(text(decodeBase64(enc('Zm\r\n9v\nYg=\r\n='), 'std'))).toBe('foob');
  });

  test('any bytes come back from their padded encoding (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const std = Buffer.from(b).toString('base64');
        const url = std.replace(/\+/g, '-').replace(/\//g, '_');
        expect(Buffer.from(decodeBase64(enc(std), 'std') as Uint8Array)).toEqual(Buffer.from(b));
        expect(Buffer.from(decodeBase64(enc(url), 'url') as Uint8Array)).toEqual(Buffer.from(b));
      }),
    );
  });
});

describe("the templates' b64dec", () => {
  const b64dec = (a: string) => renderTemplate('t', '{{ .a | b64dec }}', { a });
  test.each(RFC4648.filter(([d]) => /^[ -~]*$/.test(d)))('%j from %j', (decoded, encoded) => {
    expect(b64dec(encoded)).toBe(decoded);
  });
  test.each(CORRUPT)('%j: corrupt at %d (-1: valid)', (input, offset) => {
    const out = b64dec(input);
    if (offset >= 0) expect(out).toBe(`illegal base64 data at input byte ${offset}`);
    else expect(out).not.toMatch(/illegal/);
  });
});

describe('decodingStrategy Base64 and Base64URL', () => {
  test.each(RFC4648)('%j from %j', (decoded, encoded) => {
    expect(text(decode(enc(encoded), 'Base64'))).toBe(decoded);
    expect(text(decode(enc(encoded.replace(/\+/g, '-').replace(/\//g, '_')), 'Base64URL'))).toBe(decoded);
  });
  test.each(CORRUPT)('%j: corrupt at %d (-1: valid)', (input, offset) => {
    if (offset >= 0) expect(() => decode(enc(input), 'Base64', 'k')).toThrow(InvalidRefError);
    else expect(() => decode(enc(input), 'Base64', 'k')).not.toThrow();
  });
});
