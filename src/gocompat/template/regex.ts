// Sprig's regular-expression functions on RE2 (the re2js port, linear-time, so patterns taken
// from data cannot cause catastrophic backtracking). Match iteration and $-expansion are Go's
// (src/gocompat/regexp.ts, shared with dataFrom.rewrite.regexp), charged to the step budget.

import { RE2JS } from 're2js';

import { findAllIndex, replaceAll } from '../regexp';

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

/** regexp.Regexp.Split */
function split(re: RE2JS, pattern: string, s: string, n: number, budget: Budget): string[] {
  if (n === 0) return [];
  if (pattern.length > 0 && s.length === 0) return [''];
  const matches = findAllIndex(re, s, n, budget);
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
    return findAllIndex(compile(str(args[0]), budget), s, int(args[2]), budget).map((x) =>
      s.slice(x.start, x.end),
    );
  },
  find: (args: unknown[], budget: Budget) => {
    const s = str(args[1]);
    const [first] = findAllIndex(compile(str(args[0]), budget), s, 1, budget);
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
