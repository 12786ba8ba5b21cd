// Go's encoding/base64 DecodeString for StdEncoding (+/) and URLEncoding (-_): padded, CR and LF
// skipped anywhere, bits after the last whole byte ignored, and the offset of the first corrupt
// byte reported as Go reports it. One copy for Sprig's b64dec and ESO's decodingStrategy.

const LETTERS_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}

const MAPS = {
  std: decodeMap(LETTERS_DIGITS + '+/'),
  url: decodeMap(LETTERS_DIGITS + '-_'),
} as const;

const PAD = 0x3d;
const isNewline = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;

/**
 * base64.StdEncoding (`std`) or base64.URLEncoding (`url`) DecodeString: the bytes, or the byte
 * offset of the first error (Go's CorruptInputError).
 */
export function decodeBase64(src: Uint8Array, encoding: 'std' | 'url'): Uint8Array | number {
  const map = MAPS[encoding];
  const out = new Uint8Array(Math.floor(src.length / 4) * 3 + 3);
  let o = 0;
  let si = 0;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let done = false;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return out.slice(0, o);
        return si - j;
      }
      const c = src[si] as number;
      si++;
      const v = map[c] as number;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== PAD) return si - 1;
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return src.length;
        if (src[si] !== PAD) return si - 1;
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) return si;
      dlen = j;
      done = true;
      break;
    }
    const val =
      ((dbuf[0] as number) << 18) |
      ((dbuf[1] as number) << 12) |
      ((dbuf[2] as number) << 6) |
      (dbuf[3] as number);
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < dlen - 1; k++) out[o++] = bytes[k] as number;
    if (done) return out.slice(0, o);
  }
}
