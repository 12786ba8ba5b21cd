// Go's regexp match iteration and replacement over RE2 (re2js): FindAllStringIndex,
// ReplaceAllString / ReplaceAllLiteralString and Expand's `$1`, `${1}`, `$name`, `$$`. One copy
// for the template engine's regex functions and dataFrom.rewrite.regexp, so both follow Go on
// empty matches (`a*` → `X` over `aaa` gives `X`, not `XX`).

import type { Matcher, RE2JS } from 're2js';

/** Resource accounting the caller may want (the template engine's step budget and size cap). */
export interface Meter {
  /** Called once per match attempt. */
  step(): void;
  /** Called with the length of the output built so far. */
  checkSize(length: number): void;
}

const FREE: Meter = { step: () => undefined, checkSize: () => undefined };

function runeWidth(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}

export interface MatchIndex {
  start: number;
  end: number;
}

/** regexp.FindAllStringIndex; n < 0 means all. Empty matches right after a match are skipped. */
export function findAllIndex(re: RE2JS, s: string, n: number, meter: Meter = FREE): MatchIndex[] {
  const out: MatchIndex[] = [];
  const m = re.matcher(s);
  let pos = 0;
  let prevEnd = -1;
  while ((n < 0 || out.length < n) && pos <= s.length) {
    meter.step();
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    let accept = true;
    if (end === pos) {
      if (start === prevEnd) accept = false;
      pos += runeWidth(s, pos) || 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) out.push({ start, end });
  }
  return out;
}

/** Parses a $name / ${name} reference the way regexp.extract does. */
function extract(t: string): { name: string; num: number; rest: string } | undefined {
  if (t === '') return undefined;
  let str = t;
  const brace = str[0] === '{';
  if (brace) str = str.slice(1);
  const name = /^[\p{L}\p{Nd}_]*/u.exec(str)?.[0] ?? '';
  if (name === '') return undefined;
  let i = name.length;
  if (brace) {
    if (str[i] !== '}') return undefined;
    i++;
  }
  // A group number as Go reads one: ASCII digits, no leading zero, and `num >= 1e8` checked before
  // each digit (so up to nine digits); any other name is a group name.
  let num = 0;
  for (const c of name) {
    if (c < '0' || c > '9' || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + Number(c);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: str.slice(i) };
}

/** regexp.Regexp.Expand for string templates: `$1x` is the (absent) group named "1x". */
function expand(template: string, m: Matcher, re: RE2JS): string {
  let out = '';
  let t = template;
  const groups = re.groupCount();
  const named = re.namedGroups();
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = extract(t);
    if (ref === undefined) {
      out += '$';
      continue;
    }
    t = ref.rest;
    const index = ref.num >= 0 ? ref.num : named[ref.name];
    if (index !== undefined && index <= groups) out += m.group(index) ?? '';
  }
  return out + t;
}

/** regexp.ReplaceAllString (`literal` false: `$` references expand) or ReplaceAllLiteralString. */
export function replaceAll(re: RE2JS, s: string, repl: string, literal = false, meter: Meter = FREE): string {
  const m = re.matcher(s);
  let out = '';
  let lastEnd = 0;
  let pos = 0;
  while (pos <= s.length) {
    meter.step();
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    out += s.slice(lastEnd, start);
    // An empty match right after the previous match is not replaced (Go).
    if (end > lastEnd || start === 0) out += literal ? repl : expand(repl, m, re);
    meter.checkSize(out.length);
    lastEnd = end;
    const width = runeWidth(s, pos);
    if (pos + width > end) pos += width;
    else if (pos + 1 > end) pos++;
    else pos = end;
  }
  return out + s.slice(lastEnd);
}
