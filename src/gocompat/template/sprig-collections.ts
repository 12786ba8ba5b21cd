// Sprig's list, dict, default, number, JSON, reflection and flow-control functions (list, dict,
// get, hasKey, default, empty, ternary, add, until, toJson, fromJson, kindIs, fail, ...).
// Collection builders charge one step per element so loops over them stay within the budget.

import { FuncError } from './errors';
import { fn, type CallContext, type FuncTable } from './funcdef';
import { fromGoJson, toGoJson } from './json';
import type { Budget } from './limits';
import { strval } from './sprig-strings';
import {
  deepEqual,
  int64,
  isEmpty,
  isMap,
  isNil,
  kindName,
  mapGet,
  mapHas,
  mapSet,
  mapDelete,
  newMap,
  requireList,
  sortedKeys,
  toFloat64,
  toInt64,
  typeName,
  type GoMap,
} from './values';

const m = (v: unknown): GoMap => (isNil(v) ? newMap() : (v as GoMap));
const str = (v: unknown): string => v as string;

function inList(list: unknown[], needle: unknown, budget: Budget): boolean {
  return list.some((x) => deepEqual(needle, x, budget));
}

function until(start: bigint, stop: bigint, step: bigint, budget: Budget): bigint[] {
  if ((stop < start && step >= 0n) || (stop >= start && step <= 0n)) return [];
  const count = (stop - start + step + (step > 0n ? -1n : 1n)) / step;
  if (count > BigInt(budget.stepBudget)) budget.step(budget.stepBudget + 1);
  budget.step(Number(count));
  const v: bigint[] = [];
  for (let i = start; step > 0n ? i < stop : i > stop; i += step) v.push(i);
  return v;
}

function deepCopy(v: unknown, budget: Budget, depth = 0): unknown {
  budget.step();
  budget.checkDepth(depth);
  if (Array.isArray(v)) return v.map((x) => deepCopy(x, budget, depth + 1));
  if (isMap(v)) {
    const out = newMap();
    for (const k of Object.keys(v)) mapSet(out, k, deepCopy(v[k], budget, depth + 1));
    return out;
  }
  return v;
}

/** An approximation of mergo.Merge / MergeWithOverwrite on map[string]interface{}. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean, budget: Budget, depth = 0): void {
  budget.checkDepth(depth);
  for (const k of Object.keys(src)) {
    budget.step();
    const sv = src[k];
    const dv = mapGet(dst, k);
    if (isMap(dv) && isMap(sv)) {
      mergeInto(dv, sv, overwrite, budget, depth + 1);
    } else if (!mapHas(dst, k) || isEmpty(dv) || (overwrite && !isEmpty(sv))) {
      mapSet(dst, k, sv);
    }
  }
}

function dig(ps: unknown[]): unknown {
  if (ps.length < 3) throw new FuncError('dig needs at least three arguments');
  let dict = ps[ps.length - 1];
  const def = ps[ps.length - 2];
  const keys = ps.slice(0, -2);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (typeof k !== 'string')
      throw new FuncError(`interface conversion: interface {} is ${typeName(k)}, not string`);
    if (!isMap(dict)) throw new FuncError(`interface conversion: interface {} is ${typeName(dict)}, not map`);
    if (!mapHas(dict, k)) return def;
    dict = dict[k];
    if (i === keys.length - 1) return dict;
  }
  return def;
}

function toInt(v: unknown): number {
  const n = toInt64(v);
  return n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER) ? NaN : Number(n);
}

function slice(list: unknown, indices: unknown[]): unknown {
  const l = requireList(list, 'slice');
  if (l.length === 0) return null;
  const start = indices.length > 0 ? toInt(indices[0]) : 0;
  const end = indices.length > 1 ? toInt(indices[1]) : l.length;
  if (!(start >= 0 && end <= l.length && start <= end))
    throw new FuncError('reflect: slice index out of range');
  return l.slice(start, end);
}

function chunk(size: bigint, list: unknown, budget: Budget): unknown[][] {
  const l = requireList(list, 'chunk');
  if (size <= 0n) throw new FuncError('chunk size must be positive');
  const n = Number(size);
  budget.step(l.length);
  const out: unknown[][] = [];
  for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
  return out;
}

function round(a: unknown, places: bigint, rOpt: unknown[]): number {
  const roundOn = rOpt.length > 0 ? (rOpt[0] as number) : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, Number(places));
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

function div(a: bigint, b: bigint, op: 'div' | 'mod'): bigint {
  if (b === 0n) throw new FuncError('runtime error: integer divide by zero');
  return int64(op === 'div' ? a / b : a % b);
}

/** Lenient JSON functions swallow encoder errors, but never resource-limit errors. */
function lenient<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FuncError) return fallback;
    throw e;
  }
}

function fail(args: unknown[], ctx: CallContext): never {
  // The message can be derived from secret data; only a literal written in the template is echoed.
  if (ctx.literal[0] === true) throw new FuncError(str(args[0]));
  throw new FuncError('fail was called (message withheld: not a string literal)');
}

const list = (args: unknown[], budget: Budget): unknown[] => {
  budget.step(args.length);
  return args;
};

const copyList = (v: unknown, what: string, budget: Budget): unknown[] => {
  const l = requireList(v, what);
  budget.step(l.length);
  return [...l];
};

const listFns = (what: string, impl: (l: unknown[], budget: Budget) => unknown) =>
  fn(['any'], ([v], { budget }) => {
    const l = requireList(v, what);
    budget.step(l.length);
    return impl(l, budget);
  });

export const SPRIG_COLLECTION_FUNCTIONS: FuncTable = {
  // --- lists
  list: fn([], (args, { budget }) => list(args, budget), 'any'),
  tuple: fn([], (args, { budget }) => list(args, budget), 'any'),
  append: fn(['any', 'any'], ([l, v], { budget }) => [...copyList(l, 'push', budget), v]),
  push: fn(['any', 'any'], ([l, v], { budget }) => [...copyList(l, 'push', budget), v]),
  mustAppend: fn(['any', 'any'], ([l, v], { budget }) => [...copyList(l, 'push', budget), v]),
  mustPush: fn(['any', 'any'], ([l, v], { budget }) => [...copyList(l, 'push', budget), v]),
  prepend: fn(['any', 'any'], ([l, v], { budget }) => [v, ...copyList(l, 'prepend', budget)]),
  mustPrepend: fn(['any', 'any'], ([l, v], { budget }) => [v, ...copyList(l, 'prepend', budget)]),
  first: fn(['any'], ([l]) => requireList(l, 'find first')[0] ?? null),
  mustFirst: fn(['any'], ([l]) => requireList(l, 'find first')[0] ?? null),
  last: fn(['any'], ([l]) => requireList(l, 'find last').at(-1) ?? null),
  mustLast: fn(['any'], ([l]) => requireList(l, 'find last').at(-1) ?? null),
  rest: listFns('find rest', (l) => (l.length === 0 ? null : l.slice(1))),
  mustRest: listFns('find rest', (l) => (l.length === 0 ? null : l.slice(1))),
  initial: listFns('find initial', (l) => (l.length === 0 ? null : l.slice(0, -1))),
  mustInitial: listFns('find initial', (l) => (l.length === 0 ? null : l.slice(0, -1))),
  reverse: listFns('find reverse', (l) => [...l].reverse()),
  mustReverse: listFns('find reverse', (l) => [...l].reverse()),
  compact: listFns('compact', (l) => l.filter((x) => !isEmpty(x))),
  mustCompact: listFns('compact', (l) => l.filter((x) => !isEmpty(x))),
  uniq: listFns('find uniq', (l, budget) => {
    const out: unknown[] = [];
    for (const x of l) if (!inList(out, x, budget)) out.push(x);
    return out;
  }),
  without: fn(
    ['any'],
    ([l, ...omit], { budget }) => copyList(l, 'find without', budget).filter((x) => !inList(omit, x, budget)),
    'any',
  ),
  has: fn(['any', 'any'], ([needle, hay], { budget }) => {
    if (isNil(hay)) return false;
    return inList(requireList(hay, 'find has'), needle, budget);
  }),
  slice: fn(['any'], ([l, ...ix]) => slice(l, ix), 'any'),
  concat: fn(
    [],
    (lists, { budget }) => {
      const out: unknown[] = [];
      for (const l of lists) {
        if (!Array.isArray(l)) throw new FuncError(`Cannot concat type ${kindName(l)} as list`);
        budget.step(l.length);
        out.push(...l);
      }
      return out;
    },
    'any',
  ),
  chunk: fn(['int', 'any'], ([size, l], { budget }) => chunk(size as bigint, l, budget)),
  until: fn(['int'], ([n], { budget }) => {
    const count = n as bigint;
    return until(0n, count, count < 0n ? -1n : 1n, budget);
  }),
  untilStep: fn(['int', 'int', 'int'], ([a, b, c], { budget }) =>
    until(a as bigint, b as bigint, c as bigint, budget),
  ),

  // --- dicts
  dict: fn(
    [],
    (args, { budget }) => {
      budget.step(args.length);
      const d = newMap();
      for (let i = 0; i < args.length; i += 2)
        mapSet(d, strval(args[i], budget), i + 1 < args.length ? args[i + 1] : '');
      return d;
    },
    'any',
  ),
  get: fn(['map', 'string'], ([d, k]) => (mapHas(m(d), str(k)) ? m(d)[str(k)] : '')),
  set: fn(['map', 'string', 'any'], ([d, k, v]) => {
    if (isNil(d)) throw new FuncError('assignment to entry in nil map');
    mapSet(m(d), str(k), v);
    return d;
  }),
  unset: fn(['map', 'string'], ([d, k]) => {
    if (!isNil(d)) mapDelete(m(d), str(k));
    return d;
  }),
  hasKey: fn(['map', 'string'], ([d, k]) => mapHas(m(d), str(k))),
  keys: fn(
    [],
    (dicts, { budget }) => {
      const out: string[] = [];
      for (const d of dicts) {
        const ks = sortedKeys(m(d));
        budget.step(ks.length);
        out.push(...ks);
      }
      return out;
    },
    'map',
  ),
  values: fn(['map'], ([d], { budget }) => {
    const ks = sortedKeys(m(d));
    budget.step(ks.length);
    return ks.map((k) => m(d)[k]);
  }),
  pluck: fn(
    ['string'],
    ([k, ...dicts], { budget }) => {
      budget.step(dicts.length);
      return dicts.filter((d) => mapHas(m(d), str(k))).map((d) => m(d)[str(k)]);
    },
    'map',
  ),
  pick: fn(
    ['map'],
    ([d, ...ks], { budget }) => {
      budget.step(ks.length);
      const out = newMap();
      for (const k of ks) if (mapHas(m(d), str(k))) mapSet(out, str(k), m(d)[str(k)]);
      return out;
    },
    'string',
  ),
  omit: fn(
    ['map'],
    ([d, ...ks], { budget }) => {
      const drop = new Set(ks as string[]);
      const out = newMap();
      const all = Object.keys(m(d));
      budget.step(all.length);
      for (const k of all) if (!drop.has(k)) mapSet(out, k, m(d)[k]);
      return out;
    },
    'string',
  ),
  merge: fn(
    ['map'],
    ([dst, ...srcs], { budget }) => {
      const d = m(dst);
      for (const s of srcs) mergeInto(d, m(s), false, budget);
      return d;
    },
    'map',
  ),
  mergeOverwrite: fn(
    ['map'],
    ([dst, ...srcs], { budget }) => {
      const d = m(dst);
      for (const s of srcs) mergeInto(d, m(s), true, budget);
      return d;
    },
    'map',
  ),
  dig: fn([], (ps) => dig(ps), 'any'),
  deepCopy: fn(['any'], ([v], { budget }) => deepCopy(v, budget)),
  mustDeepCopy: fn(['any'], ([v], { budget }) => deepCopy(v, budget)),

  // --- defaults and flow control
  default: fn(['any'], ([d, ...given]) => (given.length === 0 || isEmpty(given[0]) ? d : given[0]), 'any'),
  empty: fn(['any'], ([v]) => isEmpty(v)),
  coalesce: fn([], (args) => args.find((v) => !isEmpty(v)) ?? null, 'any'),
  all: fn([], (args) => args.every((v) => !isEmpty(v)), 'any'),
  any: fn([], (args) => args.some((v) => !isEmpty(v)), 'any'),
  ternary: fn(['any', 'any', 'bool'], ([vt, vf, c]) => (c === true ? vt : vf)),
  fail: fn(['string'], fail),

  // --- JSON
  fromJson: fn(['string'], ([v], { budget }) => lenient(() => fromGoJson(str(v), budget), null)),
  mustFromJson: fn(['string'], ([v], { budget }) => fromGoJson(str(v), budget)),
  toJson: fn(['any'], ([v], { budget }) => lenient(() => toGoJson(v, { escapeHtml: true }, budget), '')),
  mustToJson: fn(['any'], ([v], { budget }) => toGoJson(v, { escapeHtml: true }, budget)),
  toPrettyJson: fn(['any'], ([v], { budget }) =>
    lenient(() => toGoJson(v, { escapeHtml: true, indent: '  ' }, budget), ''),
  ),
  mustToPrettyJson: fn(['any'], ([v], { budget }) => toGoJson(v, { escapeHtml: true, indent: '  ' }, budget)),
  toRawJson: fn(['any'], ([v], { budget }) => toGoJson(v, { escapeHtml: false }, budget)),
  mustToRawJson: fn(['any'], ([v], { budget }) => toGoJson(v, { escapeHtml: false }, budget)),

  // --- numbers
  atoi: fn(['string'], ([v]) => {
    const t = str(v);
    if (!/^[+-]?\d+$/.test(t)) return 0n;
    const n = BigInt(t);
    return n === int64(n) ? n : 0n;
  }),
  int: fn(['any'], ([v]) => toInt64(v)),
  int64: fn(['any'], ([v]) => toInt64(v)),
  float64: fn(['any'], ([v]) => toFloat64(v)),
  add1: fn(['any'], ([v]) => int64(toInt64(v) + 1n)),
  add: fn([], (args) => int64(args.reduce<bigint>((a, b) => a + toInt64(b), 0n)), 'any'),
  sub: fn(['any', 'any'], ([a, b]) => int64(toInt64(a) - toInt64(b))),
  mul: fn(['any'], ([a, ...rest]) => rest.reduce<bigint>((x, b) => int64(x * toInt64(b)), toInt64(a)), 'any'),
  div: fn(['any', 'any'], ([a, b]) => div(toInt64(a), toInt64(b), 'div')),
  mod: fn(['any', 'any'], ([a, b]) => div(toInt64(a), toInt64(b), 'mod')),
  max: fn(['any'], ([a, ...rest]) => rest.map(toInt64).reduce((x, y) => (y > x ? y : x), toInt64(a)), 'any'),
  biggest: fn(
    ['any'],
    ([a, ...rest]) => rest.map(toInt64).reduce((x, y) => (y > x ? y : x), toInt64(a)),
    'any',
  ),
  min: fn(['any'], ([a, ...rest]) => rest.map(toInt64).reduce((x, y) => (y < x ? y : x), toInt64(a)), 'any'),
  maxf: fn(
    ['any'],
    ([a, ...rest]) => rest.map(toFloat64).reduce((x, y) => Math.max(x, y), toFloat64(a)),
    'any',
  ),
  minf: fn(
    ['any'],
    ([a, ...rest]) => rest.map(toFloat64).reduce((x, y) => Math.min(x, y), toFloat64(a)),
    'any',
  ),
  floor: fn(['any'], ([a]) => Math.floor(toFloat64(a))),
  ceil: fn(['any'], ([a]) => Math.ceil(toFloat64(a))),
  round: fn(['any', 'int'], ([a, p, ...r]) => round(a, p as bigint, r), 'float'),

  // --- reflection
  typeOf: fn(['any'], ([v]) => typeName(v)),
  typeIs: fn(['string', 'any'], ([t, v]) => t === typeName(v)),
  typeIsLike: fn(['string', 'any'], ([t, v]) => t === typeName(v) || t === '*' + typeName(v)),
  kindOf: fn(['any'], ([v]) => kindName(v)),
  kindIs: fn(['string', 'any'], ([k, v]) => k === kindName(v)),
  deepEqual: fn(['any', 'any'], ([a, b], { budget }) => deepEqual(a, b, budget)),
};

// Sprig's must* variants return an error where the plain ones panic; in a template both fail.
for (const name of ['uniq', 'without', 'has', 'slice', 'chunk', 'merge', 'mergeOverwrite']) {
  const def = SPRIG_COLLECTION_FUNCTIONS[name];
  if (def !== undefined) SPRIG_COLLECTION_FUNCTIONS['must' + name[0]?.toUpperCase() + name.slice(1)] = def;
}
