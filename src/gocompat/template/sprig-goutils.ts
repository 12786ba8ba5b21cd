// Sprig's functions from Masterminds/goutils: swapcase, initials, wrap, wrapWith, abbrevboth. All
// but swapcase index the string's bytes (as goutils does), so they work on Go's bytes here too.
import { fn, type FuncTable } from './funcdef';
import { byteLength, fromBytes, toBytes } from './gostring';

/** unicode.IsSpace for a rune */
const isSpace = (c: number): boolean =>
  (c >= 0x09 && c <= 0x0d) ||
  c === 0x20 ||
  c === 0x85 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000;

/** A single-rune case mapping, or the rune itself (Go's simple case mapping never expands). */
function single(ch: string, mapped: string): string {
  return Array.from(mapped).length === 1 ? mapped : ch;
}

/** unicode.ToTitle where it differs from ToUpper: the Latin digraphs. */
const TITLE: Record<string, string> = {
  '\u01c4': '\u01c5',
  '\u01c5': '\u01c5',
  '\u01c6': '\u01c5',
  '\u01c7': '\u01c8',
  '\u01c8': '\u01c8',
  '\u01c9': '\u01c8',
  '\u01ca': '\u01cb',
  '\u01cb': '\u01cb',
  '\u01cc': '\u01cb',
  '\u01f1': '\u01f2',
  '\u01f2': '\u01f2',
  '\u01f3': '\u01f2',
};

/** goutils.SwapCase */
export function swapCase(s: string): string {
  let out = '';
  let whitespace = true;
  for (const ch of s) {
    if (/\p{Lu}|\p{Lt}/u.test(ch)) {
      out += single(ch, ch.toLowerCase());
      whitespace = false;
    } else if (/\p{Ll}/u.test(ch)) {
      out += whitespace ? (TITLE[ch] ?? single(ch, ch.toUpperCase())) : single(ch, ch.toUpperCase());
      whitespace = false;
    } else {
      out += ch;
      whitespace = isSpace(ch.codePointAt(0) as number);
    }
  }
  return out;
}

/** goutils.Initials: the first byte of each space-separated word, each byte read as a rune. */
export function initials(s: string): string {
  let out = '';
  let gap = true;
  for (const b of toBytes(s)) {
    if (isSpace(b)) gap = true;
    else if (gap) {
      out += String.fromCharCode(b);
      gap = false;
    }
  }
  return out;
}

/** goutils.WrapCustom over bytes. */
export function wrapCustom(s: string, width: number, newline: string, wrapLongWords: boolean): string {
  if (s === '') return '';
  const str = toBytes(s);
  const nl = toBytes(newline === '' ? '\n' : newline);
  const w = Math.max(width, 1);
  const parts: Buffer[] = [];
  let offset = 0;
  while (str.length - offset > w) {
    if (str[offset] === 0x20) {
      offset++;
      continue;
    }
    const space = str.subarray(offset, w + offset + 1).lastIndexOf(0x20);
    if (space >= 0) {
      parts.push(str.subarray(offset, offset + space), nl);
      offset += space + 1;
    } else if (wrapLongWords) {
      parts.push(str.subarray(offset, offset + w), nl);
      offset += w;
    } else {
      const next = str.indexOf(0x20, offset + w);
      if (next < 0) {
        parts.push(str.subarray(offset));
        offset = str.length;
      } else {
        parts.push(str.subarray(offset, next), nl);
        offset = next + 1;
      }
    }
  }
  parts.push(str.subarray(offset));
  return fromBytes(Buffer.concat(parts));
}

/** goutils.AbbreviateFull over bytes ("" where goutils returns an error, as Sprig ignores it). */
function abbreviateFull(s: string, offset: number, maxWidth: number): string {
  if (s === '') return '';
  if (maxWidth < 4) return '';
  const len = byteLength(s);
  if (len <= maxWidth) return s;
  const str = toBytes(s);
  let off = Math.min(offset, len);
  if (len - off < maxWidth - 3) off = len - (maxWidth - 3);
  if (off <= 4) return fromBytes(str.subarray(0, maxWidth - 3)) + '...';
  if (maxWidth < 7) return '';
  if (off + maxWidth - 3 < len) return '...' + abbreviateFull(fromBytes(str.subarray(off)), 0, maxWidth - 3);
  return '...' + fromBytes(str.subarray(len - (maxWidth - 3)));
}

/** Sprig's abbrevboth */
export function abbrevBoth(left: number, right: number, s: string): string {
  if (right < 4 || (left > 0 && right < 7)) return s;
  return abbreviateFull(s, left, right);
}

const s = (v: unknown): string => v as string;
/** Go int arguments arrive as bigint; beyond the safe range a width acts as the nearest bound. */
const n = (v: unknown): number => {
  const x = v as bigint;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(x > max ? max : x < -max ? -max : x);
};

export const SPRIG_GOUTILS_FUNCTIONS: FuncTable = {
  swapcase: fn(['string'], ([a]) => swapCase(s(a))),
  initials: fn(['string'], ([a]) => initials(s(a))),
  wrap: fn(['int', 'string'], ([w, a]) => wrapCustom(s(a), n(w), '', false)),
  wrapWith: fn(['int', 'string', 'string'], ([w, sep, a]) => wrapCustom(s(a), n(w), s(sep), true)),
  abbrevboth: fn(['int', 'int', 'string'], ([l, r, a]) => abbrevBoth(n(l), n(r), s(a))),
};
