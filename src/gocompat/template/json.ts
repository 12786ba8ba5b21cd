// Go's encoding/json encoder for our value model (what Sprig's toJson family produces): compact or
// indented output, map keys sorted, HTML-safe escaping of <, > and & unless raw, U+2028/U+2029
// escaped, floats in Go's format. Also the JSON -> value decoder used by fromJson.

import { formatFloat } from '../float';
import { FuncError } from './errors';
import { Sink, type Budget } from './limits';
import { isMap, isNil, sortedKeys } from './values';

export interface JsonOptions {
  escapeHtml: boolean;
  /** MarshalIndent's indent string; undefined for compact output */
  indent?: string;
}

function encodeString(s: string, escapeHtml: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          rep = '\\b';
          break;
        case 0x0c:
          rep = '\\f';
          break;
        case 0x0a:
          rep = '\\n';
          break;
        case 0x0d:
          rep = '\\r';
          break;
        case 0x09:
          rep = '\\t';
          break;
        default:
          rep = '\\u00' + c.toString(16).padStart(2, '0');
      }
    } else if (c === 0x22) {
      rep = '\\"';
    } else if (c === 0x5c) {
      rep = '\\\\';
    } else if (escapeHtml && (c === 0x3c || c === 0x3e || c === 0x26)) {
      rep = '\\u00' + c.toString(16);
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u' + c.toString(16);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const lowNext = s.charCodeAt(i + 1);
      if (c <= 0xdbff && lowNext >= 0xdc00 && lowNext <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\\ufffd'; // invalid UTF-8 in Go is replaced by U+FFFD
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** encoding/json's float64 encoder: shortest 'f', or 'e' below 1e-6 and from 1e21 (e-07 as e-7). */
function encodeFloat(x: number): string {
  if (!Number.isFinite(x)) throw new FuncError('json: unsupported value (NaN or Inf)');
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloat(x, 'e', -1).replace(/e-0(\d)$/, 'e-$1');
  return formatFloat(x, 'f', -1);
}

function encode(v: unknown, opts: JsonOptions, out: Sink, budget: Budget, depth: number): void {
  budget.checkDepth(depth);
  if (isNil(v)) {
    out.write('null');
    return;
  }
  switch (typeof v) {
    case 'string':
      budget.stringWork(v.length);
      out.write(encodeString(v, opts.escapeHtml));
      return;
    case 'bigint':
      out.write(v.toString());
      return;
    case 'number':
      out.write(encodeFloat(v));
      return;
    case 'boolean':
      out.write(v ? 'true' : 'false');
      return;
  }
  const nl = opts.indent === undefined ? '' : '\n' + opts.indent.repeat(depth + 1);
  const nlEnd = opts.indent === undefined ? '' : '\n' + opts.indent.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.write('[]');
      return;
    }
    out.write('[');
    v.forEach((item, i) => {
      if (i > 0) out.write(',');
      out.write(nl);
      encode(item, opts, out, budget, depth + 1);
    });
    out.write(nlEnd + ']');
    return;
  }
  if (isMap(v)) {
    const keys = sortedKeys(v);
    budget.step(Math.floor(keys.length / 64));
    if (keys.length === 0) {
      out.write('{}');
      return;
    }
    out.write('{');
    keys.forEach((k, i) => {
      if (i > 0) out.write(',');
      out.write(nl);
      out.write(encodeString(k, opts.escapeHtml));
      out.write(opts.indent === undefined ? ':' : ': ');
      encode(v[k], opts, out, budget, depth + 1);
    });
    out.write(nlEnd + '}');
    return;
  }
  throw new FuncError('json: unsupported type');
}

/** json.Marshal / MarshalIndent. Throws FuncError for NaN/Inf; size and depth are capped. */
export function toGoJson(v: unknown, opts: JsonOptions, budget: Budget): string {
  const out = new Sink(budget);
  encode(v, opts, out, budget, 0);
  return out.toString();
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Go's decoder turns invalid UTF-8 (an escaped byte here) and "\udc80"-style escapes into U+FFFD. */
function wellFormed(_key: string, v: unknown): unknown {
  return typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v;
}

/** json.Unmarshal into interface{}: numbers become float64. Throws a value-free FuncError. */
export function fromGoJson(text: string, budget: Budget): unknown {
  budget.stringWork(text.length);
  try {
    return JSON.parse(text, /[\ud800-\udfff]|\\u[dD]/.test(text) ? wellFormed : undefined) as unknown;
  } catch {
    throw new FuncError('input is not valid JSON');
  }
}
