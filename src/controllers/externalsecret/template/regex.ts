// Sprig's regular-expression functions on RE2 (the re2js port, linear-time, so patterns taken
// from data cannot cause catastrophic backtracking). Match iteration and $-expansion follow Go's
// regexp package: empty matches right after a previous match are skipped, `${1}`/`$name` expand.

import { RE2JS, type Matcher } from 're2js';

import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import type { Budget } from './limits';

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 256;

function compile(pattern: string, budget: Budget): RE2JS {
  budget.stringWork(pattern.length);
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      // The pattern may come from secret data, so the parser's message is not echoed.
      throw new FuncError('invalid regular expression');
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

function runeWidth(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}

interface Match {
  start: number;
  end: number;
}

/** regexp.FindAllStringIndex; n < 0 means all. */
function findAll(re: RE2JS, s: string, n: number, budget: Budget): Match[] {
  const out: Match[] = [];
  const m = re.matcher(s);
  let pos = 0;
  let prevEnd = -1;
  while ((n < 0 || out.length < n) && pos <= s.length) {
    budget.step();
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

/** regexp.Regexp.Split */
function split(re: RE2JS, pattern: string, s: string, n: number, budget: Budget): string[] {
  if (n === 0) return [];
  if (pattern.length > 0 && s.length === 0) return [''];
  const matches = findAll(re, s, n, budget);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const match of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = match.start;
    if (match.end !== 0) out.push(s.slice(beg, end));
    beg = match.end;
  }
  if (end !== s.length) out.push(s.slice(beg));
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
  let num = /^\d+$/.test(name) && name.length < 9 ? Number(name) : -1;
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: str.slice(i) };
}

/** regexp.Regexp.Expand for string templates. */
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

/** regexp.ReplaceAllString (expand) or ReplaceAllLiteralString. */
function replaceAll(re: RE2JS, s: string, repl: string, literal: boolean, budget: Budget): string {
  const m = re.matcher(s);
  let out = '';
  let lastEnd = 0;
  let pos = 0;
  while (pos <= s.length) {
    budget.step();
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    out += s.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += literal ? repl : expand(repl, m, re);
    budget.checkSize(out.length);
    lastEnd = end;
    const width = runeWidth(s, pos);
    if (pos + width > end) pos += width;
    else if (pos + 1 > end) pos++;
    else pos = end;
  }
  return out + s.slice(lastEnd);
}

function lenient<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FuncError) return fallback;
    throw e;
  }
}

const str = (v: unknown): string => v as string;
const int = (v: unknown): number => {
  const n = v as bigint;
  return n > 1_000_000_000n ? 1_000_000_000 : n < -1n ? -1 : Number(n);
};

const ops = {
  match: (args: unknown[], budget: Budget) => compile(str(args[0]), budget).test(str(args[1])),
  findAll: (args: unknown[], budget: Budget) => {
    const s = str(args[1]);
    return findAll(compile(str(args[0]), budget), s, int(args[2]), budget).map((x) =>
      s.slice(x.start, x.end),
    );
  },
  find: (args: unknown[], budget: Budget) => {
    const s = str(args[1]);
    const [first] = findAll(compile(str(args[0]), budget), s, 1, budget);
    return first === undefined ? '' : s.slice(first.start, first.end);
  },
  replace: (literal: boolean) => (args: unknown[], budget: Budget) =>
    replaceAll(compile(str(args[0]), budget), str(args[1]), str(args[2]), literal, budget),
  split: (args: unknown[], budget: Budget) =>
    split(compile(str(args[0]), budget), str(args[0]), str(args[1]), int(args[2]), budget),
};

const p2 = ['string', 'string'] as const;
const p3s = ['string', 'string', 'string'] as const;
const p3i = ['string', 'string', 'int'] as const;

// Like Sprig: only regexMatch swallows an invalid pattern; the others fail (Sprig panics).
export const REGEX_FUNCTIONS: FuncTable = {
  regexMatch: fn(p2, (a, { budget }) => lenient(() => ops.match(a, budget), false)),
  mustRegexMatch: fn(p2, (a, { budget }) => ops.match(a, budget)),
  regexFindAll: fn(p3i, (a, { budget }) => ops.findAll(a, budget)),
  mustRegexFindAll: fn(p3i, (a, { budget }) => ops.findAll(a, budget)),
  regexFind: fn(p2, (a, { budget }) => ops.find(a, budget)),
  mustRegexFind: fn(p2, (a, { budget }) => ops.find(a, budget)),
  regexReplaceAll: fn(p3s, (a, { budget }) => ops.replace(false)(a, budget)),
  mustRegexReplaceAll: fn(p3s, (a, { budget }) => ops.replace(false)(a, budget)),
  regexReplaceAllLiteral: fn(p3s, (a, { budget }) => ops.replace(true)(a, budget)),
  mustRegexReplaceAllLiteral: fn(p3s, (a, { budget }) => ops.replace(true)(a, budget)),
  regexSplit: fn(p3i, (a, { budget }) => ops.split(a, budget)),
  mustRegexSplit: fn(p3i, (a, { budget }) => ops.split(a, budget)),
  regexQuoteMeta: fn(['string'], ([s]) => str(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
};
