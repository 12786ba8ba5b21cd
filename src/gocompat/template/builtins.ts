// Go's predefined template functions (text/template/funcs.go): and, or, not, len, index,
// print/printf/println, urlquery, html and the comparison functions eq, ne, lt, le, gt, ge,
// with Go's rules for which types compare and what is an error.

import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { sprint, sprintf, sprintln } from './format';
import { byteLength, toBytes } from './gostring';
import type { Budget } from './limits';
import { compareStrings, isMap, isNil, isStringMap, mapHas, truth, typeName } from './values';

type BasicKind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): BasicKind | undefined {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return undefined;
}

function eq(arg1: unknown, others: unknown[]): boolean {
  if (others.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of others) {
    const k2 = basicKind(arg);
    let same = false;
    if (k1 !== k2) {
      if (!isNil(arg1) && !isNil(arg)) throw new FuncError('incompatible types for comparison');
    } else if (k1 === undefined) {
      if (isNil(arg1) || isNil(arg)) same = isNil(arg1) && isNil(arg);
      else throw new FuncError(`non-comparable types ${typeName(arg1)} and ${typeName(arg)}`);
    } else {
      same = arg1 === arg;
    }
    if (same) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === undefined || k2 === undefined) throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError('incompatible types for comparison');
  switch (k1) {
    case 'bool':
      throw new FuncError('invalid type for comparison');
    case 'string':
      return compareStrings(a as string, b as string) < 0;
    default:
      return (a as number | bigint) < (b as number | bigint);
  }
}

function length(v: unknown): bigint {
  if (isNil(v)) throw new FuncError('len of nil pointer');
  if (typeof v === 'string') return BigInt(byteLength(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  throw new FuncError(`len of type ${typeName(v)}`);
}

function indexArg(ix: unknown, cap: number): number {
  if (isNil(ix)) throw new FuncError('cannot index slice/array with nil');
  if (typeof ix !== 'bigint') throw new FuncError(`cannot index slice/array with type ${typeName(ix)}`);
  if (ix < 0n || ix >= BigInt(cap)) throw new FuncError('index out of range');
  return Number(ix);
}

function index(item: unknown, indexes: unknown[]): unknown {
  let v = item;
  for (const ix of indexes) {
    if (isNil(v)) throw new FuncError('index of untyped nil');
    if (Array.isArray(v)) {
      v = v[indexArg(ix, v.length)];
    } else if (typeof v === 'string') {
      const bytes = toBytes(v);
      v = BigInt(bytes[indexArg(ix, bytes.length)] as number);
    } else if (isMap(v)) {
      if (isNil(ix)) throw new FuncError('value is nil; should be of type string');
      if (typeof ix !== 'string') throw new FuncError(`value has type ${typeName(ix)}; should be string`);
      v = mapHas(v, ix) ? v[ix] : isStringMap(v) ? '' : null;
    } else {
      throw new FuncError(`can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

/** text/template's evalArgs: a lone string as is, anything else through fmt.Sprint. */
function evalArgs(args: unknown[], budget: Budget): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args, budget);
}

/** url.QueryEscape */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of toBytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** template.HTMLEscapeString */
function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\ufffd';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

export const BUILTIN_FUNCTIONS: FuncTable = {
  and: { params: ['any'], variadic: 'any', lazy: true, fn: () => undefined },
  or: { params: ['any'], variadic: 'any', lazy: true, fn: () => undefined },
  not: fn(['any'], ([v]) => !truth(v)),
  len: fn(['any'], ([v]) => length(v)),
  index: fn(['any'], ([item, ...ixs]) => index(item, ixs), 'any'),
  print: fn([], (args, { budget }) => sprint(args, budget), 'any'),
  println: fn([], (args, { budget }) => sprintln(args, budget), 'any'),
  printf: fn(['string'], ([format, ...args], { budget }) => sprintf(format as string, args, budget), 'any'),
  urlquery: fn([], (args, { budget }) => queryEscape(evalArgs(args, budget)), 'any'),
  html: fn([], (args, { budget }) => htmlEscape(evalArgs(args, budget)), 'any'),
  eq: fn(['any'], ([a, ...rest]) => eq(a, rest), 'any'),
  ne: fn(['any', 'any'], ([a, b]) => !eq(a, [b])),
  lt: fn(['any', 'any'], ([a, b]) => lt(a, b)),
  le: fn(['any', 'any'], ([a, b]) => lt(a, b) || eq(a, [b])),
  gt: fn(['any', 'any'], ([a, b]) => !(lt(a, b) || eq(a, [b]))),
  ge: fn(['any', 'any'], ([a, b]) => !lt(a, b)),
};
