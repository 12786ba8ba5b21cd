// Go strings are byte strings; the engine's strings are JavaScript strings, so that the rune-aware
// functions (upper, title, regular expressions, quoting, JSON) work on text as Go's do. The two
// meet losslessly here: valid UTF-8 decodes to its characters, and each byte that is not part of
// a valid UTF-8 sequence (always 0x80–0xFF) becomes the lone low surrogate U+DC80–U+DCFF, which
// valid UTF-8 can never produce. Encoding reverses it, so any bytes — a PKCS#12 bundle, random
// data — go through `{{ .key }}` or `b64enc` exactly. Functions that count, index or encode bytes
// (len, index, substr, b64enc, sha256sum, %x, …) go through toBytes/byteLength.

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SURROGATE = /[\ud800-\udfff]/;
const ESCAPE_BASE = 0xdc00;

/** Length of the valid UTF-8 sequence at b[i] (Go's utf8.DecodeRune rules), or 0 if invalid. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf; // no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The engine's string for a Go string's bytes. */
export function fromBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Not valid UTF-8: decode sequence by sequence, escaping the bytes of invalid ones.
  }
  const units: number[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    const c = bytes[i] as number;
    if (n === 0) {
      units.push(ESCAPE_BASE + c);
      i++;
      continue;
    }
    let cp = n === 1 ? c : c & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) cp = (cp << 6) | ((bytes[i + k] as number) & 0x3f);
    if (cp > 0xffff) units.push(0xd7c0 + (cp >> 10), 0xdc00 | (cp & 0x3ff));
    else units.push(cp);
    i += n;
  }
  const parts: string[] = [];
  for (let i = 0; i < units.length; i += 8192) parts.push(String.fromCharCode(...units.slice(i, i + 8192)));
  return parts.join('');
}

/**
 * The Go string's bytes for an engine string: escaped bytes come back as themselves; any other
 * lone surrogate (none arises from Go input) is U+FFFD, as Go's encoder would write it.
 */
export function toBytes(s: string): Buffer {
  if (!SURROGATE.test(s)) return Buffer.from(s, 'utf8');
  const out = Buffer.alloc(s.length * 3);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (cp <= 0xdbff && isLow(next)) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else if (cp >= 0xdc80 && cp <= 0xdcff) {
        out[o++] = cp - ESCAPE_BASE;
        continue;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x80) {
      out[o++] = cp;
    } else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.subarray(0, o);
}

/** len() of the Go string: its number of bytes. */
export function byteLength(s: string): number {
  if (!SURROGATE.test(s)) return Buffer.byteLength(s, 'utf8');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLow(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1;
    else n += 3; // BMP, or U+FFFD for another lone surrogate
  }
  return n;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
