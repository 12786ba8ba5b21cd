// Durations arrive from users' manifests; what ESO (Go's time.ParseDuration) accepts must parse
// to the same value here, and what it rejects must be rejected with a message that helps.

import fc from 'fast-check';
import {
  DurationError,
  formatDuration,
  parseDuration,
  parseDurationNs,
} from '../../../src/gocompat/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['1h', H],
    ['1h0m0s', H],
    ['30s', 30 * S],
    ['0s', 0],
    ['0', 0],
    ['+5m', 5 * M],
    ['1.5h', 1.5 * H],
    ['.5s', 500],
    ['1.s', S],
    ['100ms', 100],
    ['2h45m', 2 * H + 45 * M],
    ['1h30m15s500ms', H + 30 * M + 15 * S + 500],
    ['1m1m', 2 * M],
    ['1us', 0.001],
    ['1\u00b5s', 0.001],
    ['1\u03bcs', 0.001],
    ['2500ns', 0.0025],
    ['720h', 720 * H],
    // A bare whole number is seconds (a store's refreshInterval).
    ['3600', H],
    [3600, H],
    [0, 0],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('is exact in nanoseconds, including fractions of a unit', () => {
    expect(parseDurationNs('1.000000001s')).toBe(1_000_000_001n);
    expect(parseDurationNs('0.1h')).toBe(360_000_000_000n);
    expect(parseDurationNs('2562047h47m16.854775807s')).toBe(2n ** 63n - 1n);
  });

  it.each<[string | number, RegExp]>([
    ['', /empty/],
    ['-1h', /negative/],
    [-5, /negative/],
    ['1.5', /missing unit after "1.5"/],
    ['10x', /unknown unit "x"/],
    ['1d', /unknown unit "d"/],
    ['1H', /unknown unit "H"/],
    ['h', /expected a number/],
    ['1h ', /whitespace/],
    [' 1h', /whitespace/],
    ['1 h', /unknown unit " h"/],
    ['.s', /digits before or after/],
    ['+', /no number after the sign/],
    ['2562047h47m16.854775808s', /too large/],
    [1.5, /whole number/],
    [Number.NaN, /finite/],
  ])('rejects %j', (input, why) => {
    let caught: unknown;
    try {
      parseDuration(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DurationError);
    const message = (caught as DurationError).message;
    expect(message).toMatch(why);
    expect(message).toContain(JSON.stringify(input));
    expect(message).toContain('"1h0m0s"'); // always shows a valid example
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [H, '1h0m0s'],
    [M, '1m0s'],
    [90 * S, '1m30s'],
    [2 * H + 45 * M, '2h45m0s'],
    [1500, '1.5s'],
    [100, '100ms'],
    [1.5, '1.5ms'],
    [0.1, '100µs'],
    [0.000001, '1ns'],
    [-H, '-1h0m0s'],
    [720 * H, '720h0m0s'],
    [H + 0.001, '1h0m0.000001s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips any whole number of milliseconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9_223_372_036_854 }),
        (ms) => parseDuration(formatDuration(ms)) === ms,
      ),
    );
  });

  it('rejects non-finite input', () => {
    expect(() => formatDuration(Infinity)).toThrow(RangeError);
  });
});
