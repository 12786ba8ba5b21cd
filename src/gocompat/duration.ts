// Go durations as ESO's API carries them (metav1.Duration: "1h", "1h0m0s", "1.5h", "100ms", "0s"),
// plus a bare whole number of seconds (a store's refreshInterval is an integer). One parser for
// the reconcilers, the admission validator and the CLI, so they all agree on what is valid.

/** Thrown for input that is not a valid non-negative duration; the message says why and shows an example. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(
    readonly input: unknown,
    readonly detail: string,
  ) {
    super(
      `invalid duration ${JSON.stringify(input)}: ${detail}; ` +
        `use a Go duration such as "1h0m0s", "30s", "1h30m" or "500ms", or a whole number of seconds such as 3600`,
    );
  }
}

const NS_PER_MS = 1_000_000n;

/** Unit suffixes Go's time.ParseDuration accepts, in nanoseconds. */
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // µ MICRO SIGN
  ['\u03bcs', 1_000n], // μ GREEK SMALL LETTER MU
  ['ms', NS_PER_MS],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's time.Duration is an int64 of nanoseconds (~292 years). */
const MAX_DURATION_NS = 2n ** 63n - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a duration exactly, in nanoseconds. Accepts what Go's time.ParseDuration accepts
 * (sequences of decimal numbers with units ns, us, µs, ms, s, m, h; an optional leading "+";
 * a bare "0") and, in addition, a bare whole number of seconds ("30" or 30). Negative durations
 * are rejected.
 */
export function parseDurationNs(input: string | number): bigint {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new DurationError(input, 'not a finite number');
    if (input < 0) throw new DurationError(input, 'negative durations are not allowed');
    if (!Number.isInteger(input)) {
      throw new DurationError(input, 'a bare number is a count of seconds and must be a whole number');
    }
    return checkRange(input, BigInt(input) * 1_000_000_000n);
  }
  if (typeof input !== 'string') throw new DurationError(input, 'expected a string or a number');
  if (input === '') throw new DurationError(input, 'empty');
  if (input.trim() !== input) throw new DurationError(input, 'leading or trailing whitespace');
  if (/^[0-9]+$/.test(input)) return checkRange(input, BigInt(input) * 1_000_000_000n);

  let s = input;
  if (s[0] === '-') throw new DurationError(input, 'negative durations are not allowed');
  if (s[0] === '+') s = s.slice(1);
  if (s === '0') return 0n;
  if (s === '') throw new DurationError(input, 'no number after the sign');

  let total = 0n;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (!(c === '.' || isDigit(c))) {
      throw new DurationError(input, `expected a number at ${JSON.stringify(s.slice(i))}`);
    }
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') {
      throw new DurationError(input, 'a "." must have digits before or after it');
    }
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unit = s.slice(unitStart, i);
    const number = s.slice(intStart, unitStart);
    if (unit === '') {
      throw new DurationError(
        input,
        `missing unit after ${JSON.stringify(number)} (ns, us, µs, ms, s, m or h)`,
      );
    }
    const unitNs = UNIT_NS.get(unit);
    if (unitNs === undefined) {
      throw new DurationError(input, `unknown unit ${JSON.stringify(unit)} (use ns, us, µs, ms, s, m or h)`);
    }
    total += BigInt(intDigits === '' ? '0' : intDigits) * unitNs;
    if (fracDigits !== '') total += (BigInt(fracDigits) * unitNs) / 10n ** BigInt(fracDigits.length);
    checkRange(input, total);
  }
  return total;
}

function checkRange(input: unknown, ns: bigint): bigint {
  if (ns > MAX_DURATION_NS) throw new DurationError(input, 'too large (the maximum is about 292 years)');
  return ns;
}

/**
 * Parses a duration (see parseDurationNs) into milliseconds. Sub-millisecond durations give a
 * fractional result ("1us" → 0.001); callers scheduling timers may round as they see fit.
 */
export function parseDuration(input: string | number): number {
  const ns = parseDurationNs(input);
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

/** Formats milliseconds the way Go's time.Duration.String does: "1h0m0s", "1m30s", "1.5s", "100ms", "0s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: not a finite number: ${ms}`);
  const negative = ms < 0;
  const abs = Math.abs(ms);
  const whole = Math.trunc(abs);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((abs - whole) * 1e6));
  if (ns === 0n) return '0s';
  return (negative ? '-' : '') + formatNs(ns);
}

function formatNs(u: bigint): string {
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${u}ns`;
    if (u < NS_PER_MS) {
      const [frac, v] = fractionDigits(u, 3);
      return `${v}${frac}µs`;
    }
    const [frac, v] = fractionDigits(u, 6);
    return `${v}${frac}ms`;
  }
  const [frac, secondsTotal] = fractionDigits(u, 9);
  let out = `${secondsTotal % 60n}${frac}s`;
  let v = secondsTotal / 60n;
  if (v > 0n) {
    out = `${v % 60n}m${out}`;
    v /= 60n;
    if (v > 0n) out = `${v}h${out}`;
  }
  return out;
}

/** Splits off the lowest `prec` decimal digits of v as ".ddd" without trailing zeros ("" if all zero). */
function fractionDigits(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let significant = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    significant = significant || digit !== 0n;
    if (significant) digits = `${digit}${digits}`;
    v /= 10n;
  }
  return [significant ? `.${digits}` : '', v];
}
