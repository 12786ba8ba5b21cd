// Go's fmt package, as far as templates need it: the %v rendering used when an action prints a
// value, print/println (fmt.Sprint/Sprintln), printf (fmt.Sprintf with the common verbs and flags),
// Go string quoting; floats via strconv.FormatFloat (src/gocompat/float.ts). Output goes through a size-capped Sink.

import { formatFloat } from '../float';
import { toBytes } from './gostring';
import { Sink, type Budget } from './limits';
import { isMap, isNil, sortedKeys, stringerOf, typeName } from './values';

interface FmtFlags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** -1 when absent */
  width: number;
  /** -1 when absent */
  prec: number;
}

const NO_FLAGS: FmtFlags = {
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  width: -1,
  prec: -1,
};

// ---------------------------------------------------------------------------------------------
// Quoting (strconv.Quote / QuoteRune)

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function isPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A code point codePoints() kept as an invalid byte (U+DC80–U+DCFF). */
function isEscapedByte(cp: number): boolean {
  return cp >= 0xdc80 && cp <= 0xdcff;
}

function escapeRune(cp: number, quote: number, asciiOnly: boolean): string {
  if (isEscapedByte(cp)) return '\\x' + hex(cp - 0xdc00, 2); // strconv.Quote's invalid byte
  if (cp === quote || cp === 0x5c) return '\\' + String.fromCodePoint(cp);
  if (isPrint(cp) && (!asciiOnly || cp < 0x80)) return String.fromCodePoint(cp);
  switch (cp) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    // U+DC80–U+DCFF alone stand for invalid bytes (gostring.ts); other lone surrogates cannot
    // come from Go input and are U+FFFD.
    out.push(cp >= 0xd800 && cp <= 0xdfff && !isEscapedByte(cp) ? 0xfffd : cp);
  }
  return out;
}

/** strconv.Quote (or QuoteToASCII): a double-quoted Go string literal. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const cp of codePoints(s)) out += escapeRune(cp, 0x22, asciiOnly);
  return out + '"';
}

function goQuoteRune(n: bigint): string {
  const cp = n >= 0n && n <= 0x10ffffn && !(n >= 0xd800n && n <= 0xdfffn) ? Number(n) : 0xfffd;
  return "'" + escapeRune(cp, 0x27, false) + "'";
}

function canBackquote(s: string): boolean {
  for (const cp of codePoints(s)) {
    if (cp === 0x60 || cp === 0xfeff || cp === 0xfffd || isEscapedByte(cp)) return false;
    if (cp < 0x20 && cp !== 0x09) return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The printer

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

class Printer {
  constructor(
    readonly out: Sink,
    readonly budget: Budget,
  ) {}

  private pad(s: string, f: FmtFlags, zeroOk = true): void {
    if (f.width < 0) {
      this.out.write(s);
      return;
    }
    const missing = f.width - runeCount(s);
    if (missing <= 0) {
      this.out.write(s);
    } else if (f.minus) {
      this.out.write(s);
      this.out.write(' '.repeat(missing));
    } else {
      this.out.write((f.zero && zeroOk ? '0' : ' ').repeat(missing));
      this.out.write(s);
    }
  }

  /** Pads a signed number, putting zero padding between the sign and the digits. */
  private padNumber(sign: string, body: string, f: FmtFlags, allowZero: boolean): void {
    if (f.zero && allowZero && !f.minus && f.width > 0) {
      const missing = f.width - runeCount(sign) - runeCount(body);
      this.out.write(sign + (missing > 0 ? '0'.repeat(missing) : '') + body);
      return;
    }
    this.pad(sign + body, { ...f, zero: false });
  }

  private badVerb(v: unknown, verb: string): void {
    this.out.write('%!' + verb + '(');
    if (isNil(v)) {
      this.out.write('<nil>');
    } else {
      this.out.write(typeName(v) + '=');
      this.printArg(v, 'v', NO_FLAGS, 0);
    }
    this.out.write(')');
  }

  private fmtInteger(n: bigint, verb: string, f: FmtFlags): void {
    let base = 10;
    switch (verb) {
      case 'b':
        base = 2;
        break;
      case 'o':
      case 'O':
        base = 8;
        break;
      case 'x':
      case 'X':
        base = 16;
        break;
    }
    const neg = n < 0n;
    let digits = (neg ? -n : n).toString(base);
    if (verb === 'X') digits = digits.toUpperCase();
    if (f.prec >= 0) {
      if (f.prec === 0 && n === 0n) digits = '';
      else if (digits.length < f.prec) digits = '0'.repeat(f.prec - digits.length) + digits;
    }
    let prefix = '';
    if (verb === 'O') prefix = '0o';
    else if (f.sharp) {
      if (base === 16) prefix = verb === 'X' ? '0X' : '0x';
      else if (base === 8 && !digits.startsWith('0')) prefix = '0';
      else if (base === 2) prefix = '0b';
    }
    const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
    this.padNumber(sign + prefix, digits, f, f.prec < 0);
  }

  private fmtFloat(x: number, verb: string, f: FmtFlags): void {
    const v = verb === 'v' ? 'g' : verb === 'F' ? 'f' : verb;
    const defaultPrec = v === 'g' || v === 'G' ? -1 : 6;
    let s = formatFloat(x, v as 'e' | 'E' | 'f' | 'g' | 'G', f.prec >= 0 ? f.prec : defaultPrec);
    let sign = '';
    if (s.startsWith('-') || s.startsWith('+')) {
      sign = s[0] as string;
      s = s.slice(1);
    }
    if (sign === '+' && !f.plus) sign = s === 'Inf' ? (f.space ? ' ' : '+') : '';
    if (sign === '' && f.plus) sign = '+';
    if (sign === '' && f.space) sign = ' ';
    this.padNumber(sign, s, f, Number.isFinite(x));
  }

  private fmtString(s: string, verb: string, f: FmtFlags): void {
    switch (verb) {
      case 'v':
      case 's': {
        if (f.prec >= 0) s = Array.from(s).slice(0, f.prec).join('');
        this.pad(s, f);
        return;
      }
      case 'q':
        if (f.prec >= 0) s = Array.from(s).slice(0, f.prec).join('');
        this.pad(f.sharp && canBackquote(s) ? '`' + s + '`' : goQuote(s, f.plus), f);
        return;
      case 'x':
      case 'X': {
        let bytes = toBytes(s);
        if (f.prec >= 0 && bytes.length > f.prec) bytes = bytes.subarray(0, f.prec);
        this.budget.checkSize(bytes.length * 5);
        const parts: string[] = [];
        for (const b of bytes) {
          let h = hex(b, 2);
          if (verb === 'X') h = h.toUpperCase();
          parts.push(f.sharp && (f.space || parts.length === 0) ? (verb === 'X' ? '0X' : '0x') + h : h);
        }
        this.pad(parts.join(f.space ? ' ' : ''), f);
        return;
      }
    }
    this.badVerb(s, verb);
  }

  printArg(v: unknown, verb: string, f: FmtFlags, depth: number): void {
    this.budget.checkDepth(depth);
    if (verb === 'T') {
      this.pad(typeName(v), f);
      return;
    }
    if (isNil(v)) {
      if (verb === 'v' || depth > 0) this.pad('<nil>', f);
      else this.badVerb(v, verb);
      return;
    }
    switch (typeof v) {
      case 'boolean':
        if (verb === 't' || verb === 'v') this.pad(String(v), f);
        else this.badVerb(v, verb);
        return;
      case 'bigint':
        switch (verb) {
          case 'v':
          case 'd':
          case 'b':
          case 'o':
          case 'O':
          case 'x':
          case 'X':
            this.fmtInteger(v, verb, f);
            return;
          case 'c':
            this.pad(
              v >= 0n && v <= 0x10ffffn && !(v >= 0xd800n && v <= 0xdfffn)
                ? String.fromCodePoint(Number(v))
                : '\ufffd',
              f,
            );
            return;
          case 'q':
            this.pad(goQuoteRune(v), f);
            return;
          case 'U': {
            const h = (v < 0n ? -v : v).toString(16).toUpperCase().padStart(4, '0');
            this.pad('U+' + h, f);
            return;
          }
        }
        this.badVerb(v, verb);
        return;
      case 'number':
        switch (verb) {
          case 'v':
          case 'e':
          case 'E':
          case 'f':
          case 'F':
          case 'g':
          case 'G':
            this.fmtFloat(v, verb, f);
            return;
        }
        this.badVerb(v, verb);
        return;
      case 'string':
        this.fmtString(v, verb, f);
        return;
    }
    if (Array.isArray(v)) {
      this.out.write('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.out.write(' ');
        this.printArg(v[i], verb, f, depth + 1);
      }
      this.out.write(']');
      return;
    }
    const stringer = stringerOf(v);
    if (stringer && 'vsqxX'.includes(verb)) {
      this.fmtString(stringer.text, verb, f); // fmt calls a Stringer's String() for these verbs
      return;
    }
    if (isMap(v)) {
      this.out.write('map[');
      const keys = sortedKeys(v);
      this.budget.step(Math.floor(keys.length / 64));
      keys.forEach((k, i) => {
        if (i > 0) this.out.write(' ');
        this.printArg(k, verb, f, depth + 1);
        this.out.write(':');
        this.printArg(v[k], verb, f, depth + 1);
      });
      this.out.write(']');
      return;
    }
    this.badVerb(v, verb);
  }
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/** fmt.Sprint(v): how an action prints its value (strings unquoted, nil as <nil>). */
export function formatValue(v: unknown, budget: Budget): string {
  if (typeof v === 'string') return v;
  const out = new Sink(budget);
  new Printer(out, budget).printArg(v, 'v', NO_FLAGS, 0);
  return out.toString();
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[], budget: Budget): string {
  const out = new Sink(budget);
  const p = new Printer(out, budget);
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out.write(' ');
    p.printArg(a, 'v', NO_FLAGS, 0);
    prevString = isString;
  });
  return out.toString();
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[], budget: Budget): string {
  const out = new Sink(budget);
  const p = new Printer(out, budget);
  args.forEach((a, i) => {
    if (i > 0) out.write(' ');
    p.printArg(a, 'v', NO_FLAGS, 0);
  });
  out.write('\n');
  return out.toString();
}

const TOO_LARGE = 1_000_000;

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[], budget: Budget): string {
  const out = new Sink(budget);
  const p = new Printer(out, budget);
  const end = format.length;
  let argNum = 0;
  let reordered = false;
  let i = 0;

  while (i < end) {
    const next = format.indexOf('%', i);
    if (next < 0) {
      out.write(format.slice(i));
      break;
    }
    if (next > i) out.write(format.slice(i, next));
    i = next + 1;

    const f: FmtFlags = { ...NO_FLAGS };
    let goodArgNum = true;
    let afterIndex = false;

    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }

    const argNumber = (): void => {
      if (i >= end || format[i] !== '[') return;
      reordered = true;
      const close = format.indexOf(']', i + 1);
      if (close < 0) {
        goodArgNum = false;
        return;
      }
      const text = format.slice(i + 1, close);
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      i = close + 1;
      if (Number.isInteger(n) && n >= 1 && n <= args.length) {
        argNum = n - 1;
        afterIndex = true;
      } else {
        goodArgNum = false;
      }
    };
    const intFromArg = (): number | undefined => {
      const a = args[argNum];
      argNum++;
      if (typeof a !== 'bigint' || a > BigInt(TOO_LARGE) || a < -BigInt(TOO_LARGE)) return undefined;
      return Number(a);
    };
    const parseNum = (): number | undefined | 'overflow' => {
      const start = i;
      let n = 0;
      while (i < end && format[i]! >= '0' && format[i]! <= '9') {
        if (n > TOO_LARGE) return 'overflow';
        n = n * 10 + Number(format[i]);
        i++;
      }
      return i > start ? n : undefined;
    };

    argNumber();
    // width
    if (i < end && format[i] === '*') {
      i++;
      const w = argNum < args.length ? intFromArg() : undefined;
      if (w === undefined) {
        out.write('%!(BADWIDTH)');
      } else {
        f.width = Math.abs(w);
        if (w < 0) {
          f.minus = true;
          f.zero = false;
        }
      }
      afterIndex = false;
    } else {
      const w = parseNum();
      if (w === 'overflow') {
        out.write('%!(NOVERB)');
        break;
      }
      if (w !== undefined) {
        f.width = w;
        if (afterIndex) goodArgNum = false;
      }
    }
    // precision
    if (i < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      argNumber();
      if (i < end && format[i] === '*') {
        i++;
        const pr = argNum < args.length ? intFromArg() : undefined;
        if (pr === undefined) out.write('%!(BADPREC)');
        else f.prec = pr < 0 ? -1 : pr;
        afterIndex = false;
      } else {
        const pr = parseNum();
        if (pr === 'overflow') {
          out.write('%!(NOVERB)');
          break;
        }
        f.prec = pr ?? 0;
      }
    }
    if (!afterIndex) argNumber();
    if (i >= end) {
      out.write('%!(NOVERB)');
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;

    if (verb === '%') {
      out.write('%');
    } else if (!goodArgNum) {
      out.write('%!' + verb + '(BADINDEX)');
    } else if (argNum >= args.length) {
      out.write('%!' + verb + '(MISSING)');
    } else {
      p.printArg(args[argNum], verb, f, 0);
      argNum++;
    }
  }

  if (!reordered && argNum < args.length) {
    out.write('%!(EXTRA ');
    for (let k = argNum; k < args.length; k++) {
      if (k > argNum) out.write(', ');
      const a = args[k];
      if (isNil(a)) {
        out.write('<nil>');
      } else {
        out.write(typeName(a) + '=');
        p.printArg(a, 'v', NO_FLAGS, 0);
      }
    }
    out.write(')');
  }
  return out.toString();
}
