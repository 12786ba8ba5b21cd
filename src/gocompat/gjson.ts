// gjson paths and Go's JSON as ESO reads secret payloads, so that Secrets ESO wrote are reproduced
// byte for byte (and adopted without a rewrite):
//   - extractProperty: remoteRef.property, a gjson path into a JSON payload;
//   - jsonToMap: dataFrom.extract, a top-level JSON object split into keys.
// The JSON scanner works on the payload's bytes and keeps every value's raw span, because ESO
// returns objects, arrays and integers exactly as written (whitespace and all), not re-serialised.
// No message built here ever contains payload bytes.

import { formatFloat } from './float';

/**
 * A payload or property that cannot give a value (not JSON, not an object, path not found or not
 * supported). The message names the key and property, never payload bytes; the controller reports
 * it as the user's reference problem (controllers/externalsecret/fetch.ts).
 */
export class GjsonError extends Error {
  override readonly name = 'GjsonError';
}

const MAX_DEPTH = 1000;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// A strict JSON scanner (RFC 8259, what Go's json.Valid accepts) keeping raw byte spans.

type Node =
  | { kind: 'object'; start: number; end: number; entries: [string, Node][] }
  | { kind: 'array'; start: number; end: number; items: Node[] }
  | { kind: 'string' | 'number' | 'true' | 'false' | 'null'; start: number; end: number };

class NotJson extends Error {}

class Scanner {
  private i = 0;
  constructor(private readonly b: Uint8Array) {}

  parseDocument(): Node {
    this.ws();
    const node = this.value(0);
    this.ws();
    if (this.i !== this.b.length) throw new NotJson(`unexpected data after the value at byte ${this.i}`);
    return node;
  }

  private fail(what: string): never {
    throw new NotJson(`${what} at byte ${this.i}`);
  }

  private ws(): void {
    const b = this.b;
    while (this.i < b.length) {
      const c = b[this.i];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private value(depth: number): Node {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = this.b[this.i];
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true');
      case 0x66: // f
        return this.literal('false');
      case 0x6e: // n
        return this.literal('null');
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private literal(word: 'true' | 'false' | 'null'): Node {
    const start = this.i;
    for (let k = 0; k < word.length; k++) {
      if (this.b[this.i + k] !== word.charCodeAt(k)) this.fail('invalid literal');
    }
    this.i += word.length;
    return { kind: word, start, end: this.i };
  }

  private digits(): number {
    const from = this.i;
    while (this.i < this.b.length && this.b[this.i]! >= 0x30 && this.b[this.i]! <= 0x39) this.i++;
    return this.i - from;
  }

  private number(): Node {
    const start = this.i;
    if (this.b[this.i] === 0x2d) this.i++;
    if (this.b[this.i] === 0x30) this.i++;
    else if (this.digits() === 0) this.fail('invalid number');
    if (this.b[this.i] === 0x2e) {
      this.i++;
      if (this.digits() === 0) this.fail('invalid number');
    }
    if (this.b[this.i] === 0x65 || this.b[this.i] === 0x45) {
      this.i++;
      if (this.b[this.i] === 0x2b || this.b[this.i] === 0x2d) this.i++;
      if (this.digits() === 0) this.fail('invalid number');
    }
    return { kind: 'number', start, end: this.i };
  }

  private string(): Node {
    const start = this.i;
    this.i++; // opening quote
    const b = this.b;
    for (;;) {
      const c = b[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) this.fail('control character in string');
      if (c === 0x5c) {
        const e = b[this.i + 1];
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = b[this.i + k];
            const hex =
              h !== undefined &&
              ((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66));
            if (!hex) this.fail('invalid \\u escape');
          }
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail('invalid escape');
        this.i += 2;
        continue;
      }
      this.i++;
    }
    this.i++; // closing quote
    return { kind: 'string', start, end: this.i };
  }

  private object(depth: number): Node {
    const start = this.i;
    this.i++;
    const entries: [string, Node][] = [];
    this.ws();
    if (this.b[this.i] === 0x7d) {
      this.i++;
      return { kind: 'object', start, end: this.i, entries };
    }
    for (;;) {
      this.ws();
      if (this.b[this.i] !== 0x22) this.fail('expected a string key');
      const keyNode = this.string();
      this.ws();
      if (this.b[this.i] !== 0x3a) this.fail("expected ':'");
      this.i++;
      this.ws();
      entries.push([stringValue(this.b, keyNode), this.value(depth + 1)]);
      this.ws();
      const c = this.b[this.i];
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x7d) return { kind: 'object', start, end: this.i, entries };
      this.i--;
      this.fail("expected ',' or '}'");
    }
  }

  private array(depth: number): Node {
    const start = this.i;
    this.i++;
    const items: Node[] = [];
    this.ws();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return { kind: 'array', start, end: this.i, items };
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.b[this.i];
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return { kind: 'array', start, end: this.i, items };
      this.i--;
      this.fail("expected ',' or ']'");
    }
  }
}

/** The decoded text of a scanned string token (invalid UTF-8 becomes U+FFFD, as in Go). */
function stringValue(b: Uint8Array, n: { start: number; end: number }): string {
  return JSON.parse(utf8.decode(b.subarray(n.start, n.end))) as string;
}

function raw(b: Uint8Array, n: Node): Uint8Array {
  return b.slice(n.start, n.end);
}

function parse(bytes: Uint8Array): Node | NotJson {
  try {
    return new Scanner(bytes).parseDocument();
  } catch (err) {
    if (err instanceof NotJson) return err;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// gjson paths: `a.b.c`, `\` escapes the next character (`a\.b` is the key "a.b"), a number indexes
// an array, `#` is an array's length and `#.rest` maps `rest` over its elements, `*` and `?` are
// key wildcards (first match in document order). Queries `#(...)`, modifiers `@x` and pipes `|`
// are not supported and are rejected with a clear error rather than silently matching nothing.

interface Component {
  text: string;
  /** Contains an unescaped `*` or `?`. */
  wild: boolean;
  /** Exactly an unescaped `#`. */
  hash: boolean;
  /** Per character: whether it was escaped (wildcards only count unescaped). */
  escaped: boolean[];
}

function splitPath(path: string, unsupported: (what: string) => never): Component[] {
  const out: Component[] = [];
  let cur: Component = { text: '', wild: false, hash: false, escaped: [] };
  let rawHash = true;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && i + 1 < path.length) {
      cur.text += path[++i];
      cur.escaped.push(true);
      rawHash = false;
      continue;
    }
    if (ch === '.') {
      cur.hash = rawHash && cur.text === '#';
      out.push(cur);
      cur = { text: '', wild: false, hash: false, escaped: [] };
      rawHash = true;
      continue;
    }
    if (ch === '|') unsupported('pipes (|)');
    if (ch === '@' && cur.text === '') unsupported('modifiers (@...)');
    if (ch === '(' && cur.text === '#' && rawHash) unsupported('queries (#(...))');
    if (ch === '*' || ch === '?') cur.wild = true;
    cur.text += ch;
    cur.escaped.push(false);
  }
  cur.hash = rawHash && cur.text === '#';
  out.push(cur);
  return out;
}

/** gjson's wildcard match: `*` any run, `?` one character; escaped ones are literal. */
function wildMatch(c: Component, key: string): boolean {
  const p = [...c.text];
  const esc = c.escaped;
  const k = [...key];
  const memo = new Map<number, boolean>();
  const go = (pi: number, ki: number): boolean => {
    const id = pi * (k.length + 1) + ki;
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (pi === p.length) r = ki === k.length;
    else if (p[pi] === '*' && !esc[pi]) r = go(pi + 1, ki) || (ki < k.length && go(pi, ki + 1));
    else if (p[pi] === '?' && !esc[pi]) r = ki < k.length && go(pi + 1, ki + 1);
    else r = ki < k.length && p[pi] === k[ki] && go(pi + 1, ki + 1);
    memo.set(id, r);
    return r;
  };
  return go(0, 0);
}

/** A computed result: either a node of the payload or a synthesised raw JSON text. */
type Result = { node: Node } | { count: number } | { rawJson: Uint8Array };

function lookup(b: Uint8Array, node: Node, comps: Component[], at: number): Result | undefined {
  if (at === comps.length) return { node };
  const c = comps[at]!;
  if (node.kind === 'object') {
    const hit = c.wild
      ? node.entries.find(([k]) => wildMatch(c, k))
      : node.entries.find(([k]) => k === c.text);
    return hit && lookup(b, hit[1], comps, at + 1);
  }
  if (node.kind === 'array') {
    if (c.hash) {
      if (at + 1 === comps.length) return { count: node.items.length };
      const parts: Uint8Array[] = [];
      for (const item of node.items) {
        const r = lookup(b, item, comps, at + 1);
        if (r) parts.push(resultRaw(b, r));
      }
      return { rawJson: joinArray(parts) };
    }
    if (/^[0-9]+$/.test(c.text)) {
      const item = node.items[Number(c.text)];
      return item && lookup(b, item, comps, at + 1);
    }
  }
  return undefined;
}

function resultRaw(b: Uint8Array, r: Result): Uint8Array {
  if ('node' in r) return raw(b, r.node);
  if ('count' in r) return encoder.encode(String(r.count));
  return r.rawJson;
}

function joinArray(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0) + Math.max(parts.length - 1, 0) + 2;
  const out = new Uint8Array(len);
  let o = 0;
  out[o++] = 0x5b;
  parts.forEach((p, idx) => {
    if (idx > 0) out[o++] = 0x2c;
    out.set(p, o);
    o += p.length;
  });
  out[o] = 0x5d;
  return out;
}

/**
 * gjson's Result.String(): strings decoded, integers as written, other numbers in Go's
 * strconv.FormatFloat(f, 'f', -1, 64), true/false as words, null as the empty string, objects and
 * arrays as their raw text.
 */
function resultBytes(b: Uint8Array, r: Result): Uint8Array {
  if ('count' in r) return encoder.encode(String(r.count));
  if ('rawJson' in r) return r.rawJson;
  const n = r.node;
  switch (n.kind) {
    case 'string':
      return encoder.encode(stringValue(b, n));
    case 'null':
      return new Uint8Array(0);
    case 'number': {
      const text = utf8.decode(b.subarray(n.start, n.end));
      return encoder.encode(/^-?[0-9]+$/.test(text) ? text : formatFloat(Number(text), 'f', -1));
    }
    default:
      return raw(b, n);
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * remoteRef.property: the value at a gjson path in a JSON payload. Strings come back as their
 * UTF-8 bytes, other values as JSON text (as ESO does). As in ESO's GCP and AWS providers, a
 * property containing dots is first tried as one literal top-level key (`{"a.b": 1}` with
 * property `a.b`), then as a path.
 * @param key the remote key, named in error messages.
 */
export function extractProperty(bytes: Uint8Array, property: string, key = 'the remote secret'): Uint8Array {
  const doc = parse(bytes);
  if (doc instanceof NotJson) {
    throw new GjsonError(
      `payload of ${key} is not JSON (${doc.message}), so property "${property}" cannot be read`,
    );
  }
  if (property === '') throw new GjsonError(`property of ${key} is empty`);
  if (property.includes('.') && !property.includes('\\') && doc.kind === 'object') {
    const literal = doc.entries.find(([k]) => k === property);
    if (literal) return resultBytes(bytes, { node: literal[1] });
  }
  const comps = splitPath(property, (what) => {
    throw new GjsonError(
      `property "${property}" of ${key} uses gjson ${what}, which secretsync does not support; ` +
        'use a dotted path (a.b.c), array indexes (items.0), # and \\ escapes',
    );
  });
  const r = lookup(bytes, doc, comps, 0);
  if (!r) throw new GjsonError(`property "${property}" not found in ${key}`);
  return resultBytes(bytes, r);
}

/**
 * dataFrom.extract: a top-level JSON object as key → bytes (strings decoded, other values as
 * their JSON text as written). A repeated key keeps its last value, as Go's json.Unmarshal does.
 */
export function jsonToMap(bytes: Uint8Array, key: string): Record<string, Uint8Array> {
  const doc = parse(bytes);
  if (doc instanceof NotJson || doc.kind !== 'object') {
    const why = doc instanceof NotJson ? `not JSON (${doc.message})` : `a JSON ${doc.kind}, not an object`;
    throw new GjsonError(`payload of ${key} is ${why}, so dataFrom.extract cannot split it into keys`);
  }
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of doc.entries) {
    out[k] = v.kind === 'string' ? encoder.encode(stringValue(bytes, v)) : raw(bytes, v);
  }
  return out;
}
