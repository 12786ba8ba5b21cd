// Sprig's string, encoding and hashing functions (trim, upper, replace, indent, quote, split,
// b64enc/b64dec, sha256sum, ...), with Sprig's argument order and Go's strings-package semantics.
// Every function that can amplify its input checks the size cap before building the result.

import { createDecipheriv, createHash } from 'node:crypto';

import { decodeBase64 } from '../base64';
import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { formatValue, goQuote } from './format';
import { byteLength, fromBytes, toBytes } from './gostring';
import type { Budget } from './limits';
import { isNil, markStringMap, mapSet, newMap, compareStrings } from './values';

// ---------------------------------------------------------------------------------------------
// Helpers

/** unicode.IsSpace */
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const ALL_SPACE = new RegExp(`[${SPACE}]`, 'g');
const IS_SPACE = new RegExp(`^[${SPACE}]$`);

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Applies a per-rune case mapping, keeping runes whose mapping is not a single rune (Go's simple case mapping). */
function mapRunes(s: string, f: (ch: string) => string): string {
  if (isAscii(s)) return f(s);
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += m.length === ch.length && Array.from(m).length === 1 ? m : ch;
  }
  return out;
}

const upper = (s: string): string => mapRunes(s, (c) => c.toUpperCase());
const lower = (s: string): string => mapRunes(s, (c) => c.toLowerCase());

/** strings.Title */
function title(s: string): string {
  let out = '';
  let prev = ' ';
  for (const ch of s) {
    out += isSeparator(prev) ? upper(ch) : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0) as number;
  if (cp < 0x80) return !/[A-Za-z0-9_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return IS_SPACE.test(ch);
}

/** goutils.Uncapitalize: lower-cases the first rune of every white-space separated word. */
function untitle(s: string): string {
  let out = '';
  let next = true;
  for (const ch of s) {
    if (IS_SPACE.test(ch)) {
      next = true;
      out += ch;
    } else if (next) {
      out += lower(ch);
      next = false;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Go's s[start:end] on the UTF-8 bytes of s. Throws like Go's runtime on bad bounds. */
function sliceBytes(s: string, start: number, end?: number): string {
  const len = byteLength(s);
  const e = end ?? len;
  if (start < 0 || e > len || start > e) throw new FuncError('runtime error: slice bounds out of range');
  if (len === s.length) return s.slice(start, e);
  return fromBytes(toBytes(s).subarray(start, e));
}

function num(v: unknown): number {
  const n = v as bigint;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (n < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(n);
}

function repeat(s: string, count: number, budget: Budget): string {
  if (count < 0) throw new FuncError('strings: negative Repeat count');
  budget.checkSize(s.length * count);
  return s.repeat(count);
}

/** strings.Replace(s, old, new, -1) */
function replaceAll(s: string, old: string, rep: string, budget: Budget): string {
  if (old === rep) return s;
  if (old === '') {
    const chars = Array.from(s);
    budget.checkSize(s.length + rep.length * (chars.length + 1));
    return s === '' ? rep : rep + chars.join(rep) + rep;
  }
  const parts = s.split(old);
  budget.checkSize(s.length + (parts.length - 1) * (rep.length - old.length));
  return parts.join(rep);
}

function indent(spaces: number, v: string, budget: Budget): string {
  if (spaces < 0) throw new FuncError('strings: negative Repeat count');
  const lines = v.split('\n').length;
  budget.checkSize(v.length + spaces * lines);
  const pad = ' '.repeat(spaces);
  return pad + v.split('\n').join('\n' + pad);
}

/** strings.Trim(s, cutset) */
function trimCutset(s: string, cutset: string): string {
  const set = new Set(Array.from(cutset));
  const chars = Array.from(s);
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a] as string)) a++;
  while (b > a && set.has(chars[b - 1] as string)) b--;
  return chars.slice(a, b).join('');
}

/** strings.SplitN; n < 0 means all. */
export function goSplit(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = Array.from(s);
    if (n < 0 || n >= chars.length) return chars;
    return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
  }
  if (n < 0) return s.split(sep);
  const parts: string[] = [];
  let i = 0;
  while (parts.length < n - 1) {
    const j = s.indexOf(sep, i);
    if (j < 0) break;
    parts.push(s.slice(i, j));
    i = j + sep.length;
  }
  parts.push(s.slice(i));
  return parts;
}

function splitToMap(parts: string[], budget: Budget): unknown {
  budget.step(parts.length);
  const m = markStringMap(newMap());
  parts.forEach((p, i) => mapSet(m, `_${i}`, p));
  return m;
}

/** Sprig's strval: strings as they are, anything else as fmt's %v. */
export function strval(v: unknown, budget: Budget): string {
  return typeof v === 'string' ? v : formatValue(v, budget);
}

/** Sprig's strslice: a list becomes its non-nil elements as strings; nil becomes []. */
export function strslice(v: unknown, budget: Budget): string[] {
  if (Array.isArray(v)) {
    budget.step(v.length);
    return v.filter((x) => !isNil(x)).map((x) => strval(x, budget));
  }
  if (isNil(v)) return [];
  return [strval(v, budget)];
}

export function sortStrings(list: string[]): string[] {
  return list.sort(compareStrings);
}

function join(sep: string, v: unknown, budget: Budget): string {
  const parts = strslice(v, budget);
  budget.checkSize(parts.reduce((n, p) => n + p.length, 0) + sep.length * Math.max(parts.length - 1, 0));
  return parts.join(sep);
}

function abbrev(width: number, s: string): string {
  if (width < 4 || s === '' || byteLength(s) <= width) return s;
  return sliceBytes(s, 0, width - 3) + '...';
}

function substr(start: number, end: number, s: string): string {
  if (start < 0) return sliceBytes(s, 0, end);
  if (end < 0 || end > byteLength(s)) return sliceBytes(s, start);
  return sliceBytes(s, start, end);
}

function trunc(c: number, s: string): string {
  const len = byteLength(s);
  if (c < 0 && len + c > 0) return sliceBytes(s, len + c);
  if (c >= 0 && len > c) return sliceBytes(s, 0, c);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Encodings

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}

const B32_MAP = decodeMap(B32);
const PAD = 0x3d;
const isNewline = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;

function base32Encode(data: Buffer): string {
  let out = '';
  for (let i = 0; i < data.length; i += 5) {
    const chunk = data.subarray(i, i + 5);
    let bits = 0n;
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0);
    const chars = Math.ceil((chunk.length * 8) / 5);
    for (let k = 0; k < 8; k++) {
      out += k < chars ? B32[Number((bits >> BigInt(35 - 5 * k)) & 31n)] : '=';
    }
  }
  return out;
}

/** base32.StdEncoding.DecodeString (simplified error offsets). */
function base32Decode(src: Uint8Array): Buffer | number {
  const chars: number[] = [];
  const offsets: number[] = [];
  src.forEach((c, i) => {
    if (!isNewline(c)) {
      chars.push(c);
      offsets.push(i);
    }
  });
  if (chars.length % 8 !== 0) return src.length - (chars.length % 8);
  const out: number[] = [];
  for (let i = 0; i < chars.length; i += 8) {
    let bits = 0n;
    let n = 0;
    let padStart = -1;
    for (let k = 0; k < 8; k++) {
      const c = chars[i + k] as number;
      if (c === PAD && (padStart >= 0 || (i + 8 === chars.length && k >= 2))) {
        if (padStart < 0) padStart = k;
        bits <<= 5n;
        continue;
      }
      const v = B32_MAP[c] as number;
      if (v < 0 || padStart >= 0) return offsets[i + k] as number;
      bits = (bits << 5n) | BigInt(v);
      n++;
    }
    const valid = [8, 7, 5, 4, 2];
    if (padStart >= 0 && !valid.includes(padStart)) return offsets[i + padStart] as number;
    const bytes = Math.floor((n * 5) / 8);
    for (let k = 0; k < bytes; k++) out.push(Number((bits >> BigInt(32 - 8 * k)) & 0xffn));
  }
  return Buffer.from(out);
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function hash(alg: string, s: string): string {
  return createHash(alg).update(toBytes(s)).digest('hex');
}

/** Sprig's htpasswd: the "sha" form ({SHA} base64 SHA-1); bcrypt's random salt is refused. */
function htpasswd(user: string, password: string, alg: string): string {
  if (user.includes(':')) return `invalid username: ${user}`;
  if (alg !== 'sha')
    throw new FuncError(
      'htpasswd with bcrypt is not deterministic (it would rewrite the Secret at every refresh); use "sha"',
    );
  return `${user}:{SHA}${createHash('sha1').update(toBytes(password)).digest('base64')}`;
}

/**
 * Sprig's decryptAES: AES-256-CBC, the key the password's bytes zero-padded (or cut) to 32, the
 * IV the first 16 bytes, the padding length read from the last byte without checking it (as
 * Sprig). Where Go would panic the template fails with a message naming no value.
 */
function decryptAes(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  const crypt = decodeBase64(toBytes(crypt64), 'std');
  if (typeof crypt === 'number') throw new FuncError(`illegal base64 data at input byte ${crypt}`);
  if (crypt.length < 16) throw new FuncError('ciphertext shorter than the 16-byte IV');
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new FuncError('crypto/cipher: input not full blocks');
  if (body.length === 0) throw new FuncError('nothing to decrypt after the IV');
  const key = Buffer.alloc(32);
  toBytes(password).copy(key, 0, 0, 32);
  const d = createDecipheriv('aes-256-cbc', key, crypt.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([d.update(body), d.final()]);
  const pad = plain[plain.length - 1] as number;
  if (pad > plain.length) throw new FuncError('padding longer than the plaintext (wrong password?)');
  return fromBytes(plain.subarray(0, plain.length - pad));
}

const isHex = (b: number): boolean =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);

/** Go's %#U of a byte as a rune (encoding/hex's InvalidByteError). */
function invalidByte(b: number): string {
  const code = `U+${b.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = (b >= 0x20 && b <= 0x7e) || (b >= 0xa1 && b !== 0xad);
  return `encoding/hex: invalid byte: ${printable ? `${code} '${String.fromCharCode(b)}'` : code}`;
}

/** Sprig's hexdec: hex.DecodeString, or the error text as the result (as Sprig returns it). */
function hexdec(s: string): string {
  const src = toBytes(s);
  let j = 1;
  for (; j < src.length; j += 2) {
    const p = src[j - 1] as number;
    const q = src[j] as number;
    if (!isHex(p)) return invalidByte(p);
    if (!isHex(q)) return invalidByte(q);
  }
  if (src.length % 2 === 1) {
    const last = src[j - 1] as number;
    return isHex(last) ? 'encoding/hex: odd length hex string' : invalidByte(last);
  }
  return fromBytes(Buffer.from(src.toString('latin1'), 'hex'));
}

// ---------------------------------------------------------------------------------------------
// Numbers that Sprig treats as strings

function seq(params: bigint[]): string {
  const untilStep = (start: bigint, stop: bigint, step: bigint): bigint[] => {
    const v: bigint[] = [];
    if (stop < start) {
      if (step >= 0n) return v;
      for (let i = start; i > stop; i += step) v.push(i);
      return v;
    }
    if (step <= 0n) return v;
    for (let i = start; i < stop; i += step) v.push(i);
    return v;
  };
  let out: bigint[];
  switch (params.length) {
    case 1: {
      const end = params[0] as bigint;
      const inc = end < 1n ? -1n : 1n;
      out = untilStep(1n, end + inc, inc);
      break;
    }
    case 2: {
      const [start, end] = params as [bigint, bigint];
      const step = end < start ? -1n : 1n;
      out = untilStep(start, end + step, step);
      break;
    }
    case 3: {
      const [start, step, end] = params as [bigint, bigint, bigint];
      let inc = 1n;
      if (end < start) {
        inc = -1n;
        if (step > 0n) return '';
      }
      out = untilStep(start, end + inc, step);
      break;
    }
    default:
      return '';
  }
  return out.join(' ');
}

// ---------------------------------------------------------------------------------------------

const s = (v: unknown): string => v as string;

export const SPRIG_STRING_FUNCTIONS: FuncTable = {
  trim: fn(['string'], ([a]) => s(a).replace(TRIM_SPACE, '')),
  upper: fn(['string'], ([a]) => upper(s(a))),
  lower: fn(['string'], ([a]) => lower(s(a))),
  title: fn(['string'], ([a]) => title(s(a))),
  untitle: fn(['string'], ([a]) => untitle(s(a))),
  abbrev: fn(['int', 'string'], ([w, a]) => abbrev(num(w), s(a))),
  trunc: fn(['int', 'string'], ([c, a]) => trunc(num(c), s(a))),
  substr: fn(['int', 'int', 'string'], ([a, b, c]) => substr(num(a), num(b), s(c))),
  repeat: fn(['int', 'string'], ([c, a], { budget }) => repeat(s(a), num(c), budget)),
  trimAll: fn(['string', 'string'], ([cut, a]) => trimCutset(s(a), s(cut))),
  trimall: fn(['string', 'string'], ([cut, a]) => trimCutset(s(a), s(cut))),
  trimPrefix: fn(['string', 'string'], ([p, a]) => (s(a).startsWith(s(p)) ? s(a).slice(s(p).length) : s(a))),
  trimSuffix: fn(['string', 'string'], ([p, a]) =>
    s(p) !== '' && s(a).endsWith(s(p)) ? s(a).slice(0, s(a).length - s(p).length) : s(a),
  ),
  nospace: fn(['string'], ([a]) => s(a).replace(ALL_SPACE, '')),
  contains: fn(['string', 'string'], ([sub, a]) => s(a).includes(s(sub))),
  hasPrefix: fn(['string', 'string'], ([p, a]) => s(a).startsWith(s(p))),
  hasSuffix: fn(['string', 'string'], ([p, a]) => s(a).endsWith(s(p))),
  quote: fn(
    [],
    (args, { budget }) =>
      args
        .filter((a) => !isNil(a))
        .map((a) => goQuote(strval(a, budget)))
        .join(' '),
    'any',
  ),
  squote: fn(
    [],
    (args, { budget }) =>
      args
        .filter((a) => !isNil(a))
        .map((a) => `'${strval(a, budget)}'`)
        .join(' '),
    'any',
  ),
  cat: fn(
    [],
    (args, { budget }) =>
      args
        .filter((a) => !isNil(a))
        .map((a) => strval(a, budget))
        .join(' '),
    'any',
  ),
  indent: fn(['int', 'string'], ([n, a], { budget }) => indent(num(n), s(a), budget)),
  nindent: fn(['int', 'string'], ([n, a], { budget }) => '\n' + indent(num(n), s(a), budget)),
  replace: fn(['string', 'string', 'string'], ([o, n, a], { budget }) =>
    replaceAll(s(a), s(o), s(n), budget),
  ),
  plural: fn(['string', 'string', 'int'], ([one, many, c]) => (c === 1n ? one : many)),
  toString: fn(['any'], ([v], { budget }) => strval(v, budget)),
  toStrings: fn(['any'], ([v], { budget }) => strslice(v, budget)),
  join: fn(['string', 'any'], ([sep, v], { budget }) => join(s(sep), v, budget)),
  sortAlpha: fn(['any'], ([v], { budget }) =>
    Array.isArray(v) ? sortStrings(strslice(v, budget)) : [strval(v, budget)],
  ),
  split: fn(['string', 'string'], ([sep, a], { budget }) => splitToMap(goSplit(s(a), s(sep), -1), budget)),
  splitn: fn(['string', 'int', 'string'], ([sep, n, a], { budget }) =>
    splitToMap(goSplit(s(a), s(sep), num(n)), budget),
  ),
  splitList: fn(['string', 'string'], ([sep, a], { budget }) => {
    const parts = goSplit(s(a), s(sep), -1);
    budget.step(parts.length);
    return parts;
  }),
  seq: fn(
    [],
    (args, { budget }) => {
      const out = seq(args as bigint[]);
      budget.checkSize(out.length);
      return out;
    },
    'int',
  ),

  b64enc: fn(['string'], ([a]) => toBytes(s(a)).toString('base64')),
  b64dec: fn(['string'], ([a]) => {
    const r = decodeBase64(toBytes(s(a)), 'std');
    return typeof r === 'number' ? `illegal base64 data at input byte ${r}` : fromBytes(r);
  }),
  b32enc: fn(['string'], ([a]) => base32Encode(toBytes(s(a)))),
  b32dec: fn(['string'], ([a]) => {
    const r = base32Decode(toBytes(s(a)));
    return typeof r === 'number' ? `illegal base32 data at input byte ${r}` : fromBytes(r);
  }),
  sha1sum: fn(['string'], ([a]) => hash('sha1', s(a))),
  sha256sum: fn(['string'], ([a]) => hash('sha256', s(a))),
  sha512sum: fn(['string'], ([a]) => hash('sha512', s(a))),
  adler32sum: fn(['string'], ([a]) => String(adler32(toBytes(s(a))))),
  htpasswd: fn(['string', 'string', 'string'], ([u, p, alg]) => htpasswd(s(u), s(p), s(alg))),
  hexdec: fn(['string'], ([a]) => hexdec(s(a))),
  hello: fn([], () => 'Hello!'),
  decryptAES: fn(['string', 'string'], ([p, c]) => decryptAes(s(p), s(c))),
};
