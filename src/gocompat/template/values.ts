// The value model: how Go's dynamic values are represented in JavaScript, and the Go semantics the
// evaluator and functions share (truth, emptiness, type names, number conversion, DeepEqual).
//
//   Go string            -> string
//   Go int / int64       -> bigint (wrapped to 64 bits)
//   Go float64           -> number (JSON and YAML numbers are float64, as in Go)
//   Go bool              -> boolean
//   nil / no value       -> null or undefined
//   []interface{}        -> unknown[]
//   map[string]X         -> plain object (own enumerable string keys only)

import { FuncError } from './errors';
import type { Budget } from './limits';

export type GoMap = { [key: string]: unknown };

/** Maps whose Go type is map[string]string (the template data, results of `split`). */
const stringMaps = new WeakSet<object>();

export function markStringMap<T extends object>(m: T): T {
  stringMaps.add(m);
  return m;
}

export function isStringMap(m: object): boolean {
  return stringMaps.has(m);
}

/** Maps that stand for a Go value with a String method (fmt prints that) and its Go type name. */
const stringers = new WeakMap<object, { text: string; type: string }>();

export function markStringer<T extends object>(m: T, text: string, type: string): T {
  stringers.set(m, { text, type });
  return m;
}

export function stringerOf(v: unknown): { text: string; type: string } | undefined {
  return typeof v === 'object' && v !== null ? stringers.get(v) : undefined;
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function isList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

export function isMap(v: unknown): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function newMap(): GoMap {
  return Object.create(null) as GoMap;
}

export function mapHas(m: GoMap, key: string): boolean {
  return Object.hasOwn(m, key);
}

export function mapGet(m: GoMap, key: string): unknown {
  return Object.hasOwn(m, key) ? m[key] : undefined;
}

/** Sets an own property even for keys such as "__proto__". */
export function mapSet(m: GoMap, key: string, value: unknown): void {
  Object.defineProperty(m, key, { value, writable: true, enumerable: true, configurable: true });
}

export function mapDelete(m: GoMap, key: string): void {
  if (Object.hasOwn(m, key)) delete m[key];
}

/** Compares strings in Unicode code point order, which is Go's byte-wise UTF-8 order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

export function isInt(v: unknown): v is bigint {
  return typeof v === 'bigint';
}

export function int64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Go's type name of a value, as fmt's %T would print it. */
export function typeName(v: unknown): string {
  if (isNil(v)) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (Array.isArray(v)) return '[]interface {}';
  const stringer = stringerOf(v);
  if (stringer) return stringer.type;
  if (isMap(v)) return isStringMap(v) ? 'map[string]string' : 'map[string]interface {}';
  return 'unknown';
}

/** Go's reflect.Kind name of a value (sprig's kindOf). */
export function kindName(v: unknown): string {
  if (isNil(v)) return 'invalid';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  return 'invalid';
}

/** text/template's truth: false for nil, false, 0, "" and empty lists or maps. */
export function truth(v: unknown): boolean {
  if (isNil(v)) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Sprig's empty (the exact complement of truth for the value kinds we have). */
export function isEmpty(v: unknown): boolean {
  return !truth(v);
}

/** Parses a Go integer literal with base prefixes and underscores (strconv.ParseInt base 0). */
export function parseGoInt(text: string): bigint | undefined {
  const m =
    /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/.exec(
      text,
    );
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  let body = (m[2] as string).replace(/_/g, '');
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  else if (/^0[oO]/.test(body)) body = '0o' + body.slice(2);
  const value = sign * BigInt(body);
  if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return undefined;
  return value;
}

/** Parses a decimal floating-point literal (strconv.ParseFloat, decimal forms only). */
export function parseGoFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(t)) {
    return undefined;
  }
  return Number(t.replace(/_/g, ''));
}

/** float64 -> int64 conversion: truncation; NaN and out-of-range values give math.MinInt64 as on amd64. */
function floatToInt(f: number): bigint {
  if (!Number.isFinite(f)) return -0x8000000000000000n;
  const t = Math.trunc(f);
  if (t >= 9.223372036854776e18 || t < -9.223372036854776e18) return -0x8000000000000000n;
  return BigInt(t);
}

/** spf13/cast ToInt64: numbers convert, numeric strings parse, everything else is 0. */
export function toInt64(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return floatToInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') {
    let s = v;
    const dot = /^(.*)\.0*$/.exec(s);
    if (dot && (dot[1] as string).length > 0) s = dot[1] as string;
    return parseGoInt(s) ?? 0n;
  }
  return 0n;
}

/** spf13/cast ToFloat64. */
export function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseGoFloat(v) ?? 0;
  return 0;
}

/** reflect.DeepEqual over our value model, charging the budget for every node visited. */
export function deepEqual(a: unknown, b: unknown, budget: Budget, depth = 0): boolean {
  budget.step();
  budget.checkDepth(depth);
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') {
    if (typeof a === 'number') return a === b; // NaN != NaN, as in Go
    return a === b;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], budget, depth + 1)) return false;
    return true;
  }
  if (!isMap(a) || !isMap(b) || Array.isArray(b)) return false;
  if (isStringMap(a) !== isStringMap(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!mapHas(b, k) || !deepEqual(a[k], b[k], budget, depth + 1)) return false;
  }
  return true;
}

/** Converts a value to a list (sprig accepts any slice); throws a value-free error otherwise. */
export function requireList(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new FuncError(`Cannot ${what} on type ${kindName(v)}`);
}
