// Go's strconv.FormatFloat(x, fmt, prec, 64) for the 'e', 'E', 'f', 'F', 'g', 'G' formats: the
// one Go float formatter, for the template engine's printf/print and toJson (template/format.ts,
// template/json.ts) and gjson-style property values (gjson.ts).

interface Digits {
  /** significant digits without leading or trailing zeros; '' for zero */
  d: string;
  /** position of the decimal point relative to d */
  dp: number;
}

function splitExponential(s: string): Digits {
  const [mant = '0', exp = '0'] = s.split('e');
  const d = mant.replace('.', '').replace(/0+$/, '');
  return d === '' ? { d: '', dp: 0 } : { d, dp: Number(exp) + 1 };
}

function shortestDigits(abs: number): Digits {
  if (abs === 0) return { d: '', dp: 0 };
  return splitExponential(abs.toExponential());
}

function roundedDigits(abs: number, significant: number): Digits {
  if (abs === 0) return { d: '', dp: 0 };
  return splitExponential(abs.toExponential(Math.min(Math.max(significant, 1) - 1, 100)));
}

function fmtE(neg: boolean, digs: Digits, prec: number, upper: boolean): string {
  let s = neg ? '-' : '';
  s += digs.d.length > 0 ? digs.d[0] : '0';
  if (prec > 0) {
    const frac = digs.d.slice(1, Math.min(digs.d.length, prec + 1));
    s += '.' + frac + '0'.repeat(prec - frac.length);
  }
  s += upper ? 'E' : 'e';
  let exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  s += exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return s + (exp < 10 ? '0' : '') + String(exp);
}

function fmtF(neg: boolean, digs: Digits, prec: number): string {
  let s = neg ? '-' : '';
  if (digs.dp > 0) {
    const m = Math.min(digs.d.length, digs.dp);
    s += digs.d.slice(0, m) + '0'.repeat(digs.dp - m);
  } else {
    s += '0';
  }
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      s += j >= 0 && j < digs.d.length ? digs.d[j] : '0';
    }
  }
  return s;
}

/** %f with Go's round-half-to-even on exact ties (JS rounds those away from zero). */
function fixed(abs: number, prec: number): string {
  if (abs >= 1e21) {
    return BigInt(abs).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
  }
  const p = Math.min(prec, 100);
  let s = abs.toFixed(p);
  if (p < 90 && abs >= 1e-10) {
    const exact = abs.toFixed(100);
    const point = exact.indexOf('.');
    const tail = exact.slice(point + 1 + p);
    if (/^50*$/.test(tail)) {
      const truncated = exact.slice(0, p > 0 ? point + 1 + p : point);
      const last = Number(truncated[truncated.length - 1]);
      if (last % 2 === 0) s = truncated;
    }
  }
  return prec > p ? s + '0'.repeat(prec - p) : s;
}

/**
 * Formats a float64 like strconv.FormatFloat(x, verb, prec, 64); prec -1 means shortest.
 * The result carries a '-' sign for negative values and no other sign.
 */
export function formatFloat(x: number, verb: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const upper = verb === 'E' || verb === 'G';
  switch (verb) {
    case 'e':
    case 'E': {
      if (prec < 0) {
        const digs = shortestDigits(abs);
        return fmtE(neg, digs, Math.max(digs.d.length - 1, 0), upper);
      }
      return fmtE(neg, roundedDigits(abs, prec + 1), prec, upper);
    }
    case 'f':
    case 'F': {
      if (prec < 0) {
        const digs = shortestDigits(abs);
        return fmtF(neg, digs, Math.max(digs.d.length - digs.dp, 0));
      }
      return (neg ? '-' : '') + fixed(abs, prec);
    }
    default: {
      const shortest = prec < 0;
      let digs: Digits;
      let eprec: number;
      if (shortest) {
        digs = shortestDigits(abs);
        prec = digs.d.length;
        eprec = 6;
      } else {
        if (prec === 0) prec = 1;
        digs = roundedDigits(abs, prec);
        eprec = prec;
        if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
      }
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > digs.d.length) prec = digs.d.length;
        return fmtE(neg, digs, Math.max(prec - 1, 0), upper);
      }
      if (prec > digs.dp) prec = digs.d.length;
      return fmtF(neg, digs, Math.max(prec - digs.dp, 0));
    }
  }
}
