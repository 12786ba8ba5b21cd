// Sprig's camelcase (huandu/xstrings ToPascalCase), snakecase and kebabcase (ToSnakeCase,
// ToKebabCase), rune for rune as xstrings v1.5.0 walks the string: words are runs of upper-case
// letters (an acronym ends before the capital that starts the next word), lower-case letters,
// digits, punctuation, connectors ('-', '_', spaces) or anything else; CJK ideographs are not
// letters to it. Invalid UTF-8 (and U+FFFD) is skipped when classifying, as utf8.RuneError is.
import { fn, type FuncTable } from './funcdef';

const ERROR = 0xfffd;
type Word = 'invalid' | 'number' | 'upper' | 'alphabet' | 'connector' | 'punct' | 'other';

const runesOf = (s: string): string[] => Array.from(s);
/** The rune Go decodes: our lone surrogates stand for invalid bytes, which decode as RuneError. */
function code(r: string | undefined): number {
  const c = r === undefined ? ERROR : (r.codePointAt(0) as number);
  return c >= 0xd800 && c <= 0xdfff ? ERROR : c;
}
const runeText = (c: number): string => String.fromCodePoint(c);

const isUpper = (c: number): boolean => /\p{Lu}/u.test(runeText(c));
const isLetter = (c: number): boolean => /\p{L}/u.test(runeText(c));
const isNumber = (c: number): boolean => /\p{N}/u.test(runeText(c));
const isPunct = (c: number): boolean => /\p{P}/u.test(runeText(c));
const isSpace = (c: number): boolean =>
  (c >= 0x09 && c <= 0x0d) ||
  c === 0x20 ||
  c === 0x85 ||
  c === 0xa0 ||
  (c > 0xff && /\p{White_Space}/u.test(runeText(c)));
const isConnector = (c: number): boolean => c === 0x2d || c === 0x5f || isSpace(c);
function isAlphabet(c: number): boolean {
  if (!isLetter(c)) return false;
  if (c < 0x3400) return true;
  return !((c >= 0x4e00 && c <= 0x9fcc) || (c >= 0x3400 && c <= 0x4d85) || (c >= 0x20000 && c <= 0x2b81d));
}

/** unicode.ToUpper / ToLower: simple mappings, never more than one rune. */
function mapCase(c: number, upper: boolean): number {
  if (!upper && c === 0x130) return 0x69;
  const mapped = upper ? runeText(c).toUpperCase() : runeText(c).toLowerCase();
  const out = Array.from(mapped);
  return out.length === 1 ? (out[0] as string).codePointAt(0)! : c;
}

/** nextValidRune: the next rune that is not RuneError (or `prev`), and how many runes that took. */
function nextValid(rs: string[], i: number, prev: number): [number, number] {
  let size = 0;
  while (i < rs.length) {
    const c = code(rs[i++]);
    size++;
    if (c !== ERROR) return [c, size];
  }
  return [prev, size];
}

/** nextWord: the type of the word starting at `start` and the index after it. */
function nextWord(rs: string[], start: number): [Word, number] {
  if (start >= rs.length) return ['invalid', start];
  let [r, size] = nextValid(rs, start, ERROR);
  let end = start + size;
  let rem = end; // index of `remaining`
  if (r === ERROR) return ['invalid', end];
  const run = (wt: Word, keep: (c: number) => boolean): [Word, number] => {
    while (rem < rs.length) {
      [r, size] = nextValid(rs, rem, r);
      if (!keep(r)) break;
      end += size;
      rem += size;
    }
    return [wt, end];
  };
  if (isConnector(r)) return run('connector', isConnector);
  if (isPunct(r)) return run('punct', isPunct);
  if (isUpper(r)) {
    if (rem >= rs.length) return ['upper', end];
    [r, size] = nextValid(rs, rem, r);
    if (isUpper(r)) {
      let prevSize = size;
      end += size;
      rem += size;
      while (rem < rs.length) {
        [r, size] = nextValid(rs, rem, r);
        if (!isUpper(r)) break;
        prevSize = size;
        end += size;
        rem += size;
      }
      if (rem < rs.length && isAlphabet(r)) end -= prevSize;
      return ['upper', end];
    }
    if (isAlphabet(r)) {
      end += size;
      rem += size;
      return run('upper', (c) => isAlphabet(c) && !isUpper(c));
    }
    return ['upper', end];
  }
  if (isAlphabet(r)) return run('alphabet', (c) => isAlphabet(c) && !isUpper(c));
  if (isNumber(r)) return run('number', isNumber);
  return run('other', (c) => !(isConnector(c) || isAlphabet(c) || isNumber(c) || isPunct(c)));
}

/** toLower: upper-case and connector words rune by rune, the others as they are. */
function lowerWord(out: string[], wt: Word, word: string[], connector: string): void {
  if (wt !== 'upper' && wt !== 'connector') {
    out.push(...word);
    return;
  }
  for (const r of word) {
    const c = code(r);
    out.push(isConnector(c) ? connector : runeText(isUpper(c) ? mapCase(c, false) : c));
  }
}

function camelCaseToLowerCase(s: string, connector: string): string {
  const rs = runesOf(s);
  if (rs.length === 0) return '';
  const out: string[] = [];
  let pos = 0;
  const next = (): [Word, string[]] => {
    const [wt, end] = nextWord(rs, pos);
    const word = rs.slice(pos, end);
    pos = end;
    return [wt, word];
  };
  let [wt, word] = next();
  while (pos < rs.length) {
    if (wt !== 'connector') lowerWord(out, wt, word, connector);
    const prev = wt;
    const last = word;
    [wt, word] = next();
    switch (prev) {
      case 'number':
        while (wt === 'alphabet' || wt === 'number') {
          lowerWord(out, wt, word, connector);
          [wt, word] = next();
        }
        if (wt !== 'invalid' && wt !== 'punct' && wt !== 'connector') out.push(connector);
        break;
      case 'connector':
        lowerWord(out, prev, last, connector);
        break;
      case 'punct':
        break;
      default: {
        if (wt !== 'number') {
          if (wt !== 'connector' && wt !== 'punct') out.push(connector);
          break;
        }
        if (pos >= rs.length) break;
        const number = word;
        [wt, word] = next();
        if (wt !== 'alphabet') {
          lowerWord(out, 'number', number, connector);
          if (wt !== 'connector' && wt !== 'punct') out.push(connector);
          break;
        }
        out.push(connector);
        lowerWord(out, 'number', number, connector);
        while (wt === 'alphabet' || wt === 'number') {
          lowerWord(out, wt, word, connector);
          [wt, word] = next();
        }
        if (wt !== 'invalid' && wt !== 'connector' && wt !== 'punct') out.push(connector);
      }
    }
  }
  lowerWord(out, wt, word, connector);
  return out.join('');
}

/** ToPascalCase: connectors dropped, the rune after one upper-cased, runs of capitals lowered. */
function toPascalCase(s: string): string {
  const rs = runesOf(s).map(code);
  if (rs.length === 0) return '';
  const out: number[] = [];
  let i = 0;
  let r0 = 0;
  let firstUpper = false;
  let size = 0;
  while (i < rs.length) {
    r0 = rs[i++] as number;
    size = 1;
    if (!isConnector(r0)) {
      firstUpper = isUpper(r0);
      r0 = mapCase(r0, true);
      break;
    }
    out.push(r0);
  }
  if (i >= rs.length) {
    if (size !== 0) out.push(r0);
    return out.map(runeText).join('');
  }
  while (i < rs.length) {
    const r1 = r0;
    r0 = rs[i++] as number;
    if (isConnector(r0) && isConnector(r1)) {
      out.push(r1);
      continue;
    }
    if (isConnector(r1)) {
      firstUpper = isUpper(r0);
      r0 = mapCase(r0, true);
    } else {
      if (firstUpper) {
        if (isUpper(r0)) r0 = mapCase(r0, false);
        else firstUpper = false;
      }
      out.push(r1);
    }
  }
  out.push(r0);
  return out.map(runeText).join('');
}

const s = (v: unknown): string => v as string;

export const SPRIG_XSTRINGS_FUNCTIONS: FuncTable = {
  camelcase: fn(['string'], ([a]) => toPascalCase(s(a))),
  snakecase: fn(['string'], ([a]) => camelCaseToLowerCase(s(a), '_')),
  kebabcase: fn(['string'], ([a]) => camelCaseToLowerCase(s(a), '-')),
};
