// Sprig's float arithmetic (addf, add1f, subf, mulf, divf) and toDecimal. Sprig turns every operand
// into shopspring/decimal's shortest exact decimal of the float64, computes exactly (division to 16
// places, rounding half away from zero) and converts the result back to the nearest float64; a
// decimal here is a bigint coefficient and a power-of-ten exponent, so the result is the same.
import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { sprint } from './format';
import { int64, toFloat64 } from './values';

interface Decimal {
  coef: bigint;
  exp: number;
}

const DIVISION_PRECISION = 16;

/** decimal.NewFromFloat: the shortest decimal that round-trips, which is also JS's shortest form. */
function fromFloat(x: number): Decimal {
  if (!Number.isFinite(x))
    throw new FuncError(`Cannot create a Decimal from ${x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN'}`);
  const [mantissa = '0', e = '0'] = String(x).split('e');
  const [int = '0', frac = ''] = mantissa.split('.');
  return { coef: BigInt(int + frac), exp: Number(e) - frac.length };
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.coef * pow10(a.exp - exp), b.coef * pow10(b.exp - exp), exp];
}

const add = (a: Decimal, b: Decimal): Decimal => {
  const [x, y, exp] = align(a, b);
  return { coef: x + y, exp };
};
const sub = (a: Decimal, b: Decimal): Decimal => add(a, { coef: -b.coef, exp: b.exp });
const mul = (a: Decimal, b: Decimal): Decimal => ({ coef: a.coef * b.coef, exp: a.exp + b.exp });

/** decimal.Div: the quotient to 16 places, half away from zero. */
function div(a: Decimal, b: Decimal): Decimal {
  if (b.coef === 0n) throw new FuncError('decimal division by 0');
  const shift = a.exp - b.exp + DIVISION_PRECISION;
  const num = shift >= 0 ? a.coef * pow10(shift) : a.coef;
  const den = shift >= 0 ? b.coef : b.coef * pow10(-shift);
  let q = num / den;
  const r = num - q * den;
  const abs = (v: bigint): bigint => (v < 0n ? -v : v);
  if (2n * abs(r) >= abs(den)) q += num < 0n !== den < 0n ? -1n : 1n;
  return { coef: q, exp: -DIVISION_PRECISION };
}

/** Rat.Float64: the nearest float64, which is what JS's string-to-number conversion gives. */
const toFloat = (d: Decimal): number => Number(`${d.coef}e${d.exp}`);

function fold(first: unknown, rest: readonly unknown[], op: (a: Decimal, b: Decimal) => Decimal): number {
  let acc = fromFloat(toFloat64(first));
  for (const x of rest) acc = op(acc, fromFloat(toFloat64(x)));
  return toFloat(acc);
}

/** strconv.ParseInt(s, 8, 64), 0 on any error. */
function octal(s: string): bigint {
  const m = /^([+-]?)([0-7]+)$/.exec(s);
  if (!m) return 0n;
  const v = BigInt(`0o${m[2]}`) * (m[1] === '-' ? -1n : 1n);
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? 0n : v;
}

export const SPRIG_DECIMAL_FUNCTIONS: FuncTable = {
  addf: fn([], (args) => fold(0, args, add), 'any'),
  add1f: fn(['any'], ([a]) => fold(a, [1n], add)),
  subf: fn(['any'], ([a, ...rest]) => fold(a, rest, sub), 'any'),
  mulf: fn(['any'], ([a, ...rest]) => fold(a, rest, mul), 'any'),
  divf: fn(['any'], ([a, ...rest]) => fold(a, rest, div), 'any'),
  toDecimal: fn(['any'], ([v], { budget }) => int64(octal(sprint([v], budget)))),
};
