// Go strings are byte strings: binary values (a PKCS#12 bundle, random bytes, invalid UTF-8) go
// through templates byte for byte, and the byte-level functions (b64enc, b64dec, len, index,
// substr, sha256sum, printf %x, urlquery) see the exact bytes — as ESO's Go engine does.
import { createHash } from 'node:crypto';

import fc from 'fast-check';

import { buildDesired } from '../../../../src/controllers/externalsecret/desired';
import { byteLength, fromBytes, toBytes } from '../../../../src/gocompat/template/gostring';
import { externalSecret } from '../../externalsecret/helpers';

/** Deterministic pseudo-random bytes (xorshift), every byte value included. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = i < 256 ? i : x & 0xff;
  }
  return out;
}

/** A PKCS#12-sized binary value (the reported bundle was 2,949 bytes). */
const P12 = bytes(2949, 7);

function render(value: Uint8Array, template: string, extra: Record<string, Uint8Array> = {}): Buffer {
  const es = externalSecret({ target: { template: { data: { out: template } } } });
  const d = buildDesired(es, 'target', new Map([['key', value], ...Object.entries(extra)]));
  return Buffer.from(d.data.get('out')!);
}

const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0x80, 0x41]),
  Buffer.from([0xc3]), // truncated 2-byte sequence
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0xe2, 0x82, 0x41, 0xe2, 0x82, 0xac]), // bad sequence, then a valid €
  Buffer.from([0xef, 0xbb, 0xbf, 0x61]), // a BOM is kept
  Buffer.from('\udc80', 'utf16le'), // the bytes 0x80 0xdc
];

describe('binary values through templates', () => {
  test('without a template the bytes copy exactly', () => {
    const d = buildDesired(externalSecret(), 'target', new Map([['p12', P12]]));
    expect(Buffer.from(d.data.get('p12')!).equals(P12)).toBe(true);
  });

  test('{{ .key }} emits the exact bytes of a 2,949-byte binary value', () => {
    const out = render(P12, '{{ .key }}');
    expect(out.length).toBe(2949);
    expect(out.equals(P12)).toBe(true);
  });

  test('{{ .key | b64enc }} is the base64 of the bytes; b64dec gives them back', () => {
    expect(render(P12, '{{ .key | b64enc }}').toString()).toBe(P12.toString('base64'));
    expect(render(P12, '{{ .key | b64enc | b64dec }}').equals(P12)).toBe(true);
    const b64 = Buffer.from(P12.toString('base64'));
    expect(render(b64, '{{ .key | b64dec }}').equals(P12)).toBe(true);
    expect(render(P12, '{{ .key | toString }}').equals(P12)).toBe(true);
  });

  test.each(INVALID_UTF8.map((b) => [b.toString('hex'), b]))('invalid UTF-8 %s round-trips', (_hex, b) => {
    expect(render(b, '{{ .key }}').equals(b)).toBe(true);
    expect(
      render(b, 'x{{ .key }}y{{ .key }}').equals(Buffer.concat([Buffer.from('x'), b, Buffer.from('y'), b])),
    ).toBe(true);
    expect(render(b, '{{ .key | b64enc }}').toString()).toBe(b.toString('base64'));
  });

  test('byte-level functions see the bytes', () => {
    const sha = createHash('sha256').update(P12).digest('hex');
    expect(render(P12, '{{ .key | sha256sum }}').toString()).toBe(sha);
    expect(render(P12, '{{ len .key }}').toString()).toBe('2949');
    expect(render(P12, '{{ index .key 255 }} {{ index .key 300 }}').toString()).toBe(`255 ${P12[300]}`);
    expect(render(P12, '{{ substr 100 228 .key }}').equals(P12.subarray(100, 228))).toBe(true);
    expect(render(P12, '{{ trunc 300 .key }}').equals(P12.subarray(0, 300))).toBe(true);
    expect(render(P12, '{{ printf "%x" .key }}').toString()).toBe(P12.toString('hex'));
    const q = render(Buffer.from([0xff, 0x20, 0x41]), '{{ urlquery .key }}').toString();
    expect(q).toBe('%FF+A');
    expect(render(P12, '{{ .key | b32enc | b32dec }}').equals(P12)).toBe(true);
  });

  test('quoting an invalid byte writes \\x escapes, as strconv.Quote does', () => {
    expect(render(Buffer.from([0x61, 0xff]), '{{ quote .key }}').toString()).toBe('"a\\xff"');
  });

  test('string literals with \\x escapes are bytes too', () => {
    expect(render(Buffer.alloc(0), '{{ "\\xff\\xfe" }}').equals(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(render(Buffer.alloc(0), '{{ "\\xc3\\xa9" }}').toString()).toBe('é');
  });

  test('valid UTF-8 text still works rune by rune', () => {
    const v = Buffer.from('grüße €');
    expect(render(v, '{{ .key | upper }}').toString()).toBe('GRÜSSE €'.replace('SS', 'ß'));
    expect(render(v, '{{ len .key }}').toString()).toBe(String(v.length));
    expect(render(v, '{{ .key | b64enc }}').toString()).toBe(v.toString('base64'));
  });

  test('any bytes: {{ .key }}, b64enc and b64dec are exact (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        const b = Buffer.from(arr);
        expect(render(b, '{{ .key }}').equals(b)).toBe(true);
        expect(render(b, '{{ .key | b64enc }}').toString()).toBe(b.toString('base64'));
        expect(render(Buffer.from(b.toString('base64')), '{{ .key | b64dec }}').equals(b)).toBe(true);
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });
});

describe('gostring codec', () => {
  test('byteLength agrees with toBytes on mixed text, pairs, escapes and stray surrogates', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 50 }),
        (arr, str) => {
          const s = fromBytes(arr) + str + '\ud800' + fromBytes(arr);
          expect(byteLength(s)).toBe(toBytes(s).length);
          expect(toBytes(fromBytes(arr)).equals(Buffer.from(arr))).toBe(true);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('fromJson', () => {
  test('invalid bytes and lone-surrogate escapes in JSON strings become U+FFFD, as in Go', () => {
    const v = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff]), Buffer.from('y","b":"\\udc80"}')]);
    expect(render(v, '{{ (fromJson .key).a }}|{{ (fromJson .key).b }}').toString()).toBe('x\ufffdy|\ufffd');
  });
});
