// remoteRef.property / dataFrom.extract with ESO's (gjson, Go) semantics, and the rule that no
// error message ever carries payload bytes. (fetch.test.ts: these errors reach the controller as
// InvalidRefError with the same message; decoding.test.ts: decodingStrategy.)
import { randomBytes } from 'node:crypto';
import { formatFloat } from '../../../src/gocompat/float';
import { extractProperty, GjsonError, jsonToMap } from '../../../src/gocompat/gjson';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const prop = (json: string, p: string) => dec(extractProperty(enc(json), p, 'db'));

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('extractProperty', () => {
  const doc = JSON.stringify({
    user: 'alice',
    db: { host: 'h', port: 5432, opts: { tls: true } },
    'dotted.key': 'lit',
    a: { 'b.c': 'escaped' },
    items: [{ name: 'x', n: 1 }, { name: 'y' }, { other: 1 }],
    empty: null,
    'we*rd': 'star',
  });

  test('dotted paths into objects; strings as their text', () => {
    expect(prop(doc, 'user')).toBe('alice');
    expect(prop(doc, 'db.host')).toBe('h');
    expect(prop(doc, 'db.opts.tls')).toBe('true');
  });

  test('numbers: integers as written, others as Go FormatFloat(f, f, -1)', () => {
    expect(prop('{"n": 5432}', 'n')).toBe('5432');
    expect(prop('{"n": 12345678901234567890123}', 'n')).toBe('12345678901234567890123');
    expect(prop('{"n": 1.50}', 'n')).toBe('1.5');
    expect(prop('{"n": 1e3}', 'n')).toBe('1000');
    expect(prop('{"n": -2.5E-7}', 'n')).toBe('-0.00000025');
    expect(prop('{"n": -0}', 'n')).toBe('-0');
    expect(prop('{"n": 1e400}', 'n')).toBe('+Inf');
  });

  test('objects and arrays come back as their raw JSON text, whitespace kept', () => {
    expect(prop('{"a": {"x" : 1,  "y":[1, 2]} }', 'a')).toBe('{"x" : 1,  "y":[1, 2]}');
    expect(prop('{"a": [ "p", {"q":1} ]}', 'a')).toBe('[ "p", {"q":1} ]');
  });

  test('null is the empty string, false is "false" (gjson Result.String)', () => {
    expect(prop(doc, 'empty')).toBe('');
    expect(prop('{"f": false}', 'f')).toBe('false');
  });

  test('array indexes, # (length) and #.path (mapped)', () => {
    expect(prop(doc, 'items.0.name')).toBe('x');
    expect(prop(doc, 'items.1.name')).toBe('y');
    expect(prop(doc, 'items.#')).toBe('3');
    expect(prop(doc, 'items.#.name')).toBe('["x","y"]');
    expect(prop('[10, 20]', '1')).toBe('20');
  });

  test('a property with dots is first a literal top-level key, then a path (as ESO)', () => {
    expect(prop(doc, 'dotted.key')).toBe('lit');
    expect(prop('{"a.b": "literal", "a": {"b": "path"}}', 'a.b')).toBe('literal');
    expect(prop('{"a": {"b": "path"}}', 'a.b')).toBe('path');
  });

  test('backslash escapes a dot (and any other character)', () => {
    expect(prop(doc, 'a.b\\.c')).toBe('escaped');
    expect(prop(doc, 'we\\*rd')).toBe('star');
    expect(prop('{"#": {"x": 1}}', '\\#.x')).toBe('1');
  });

  test('* and ? are key wildcards, first match in document order', () => {
    expect(prop('{"abc": 1, "abd": 2}', 'ab?')).toBe('1');
    expect(prop('{"xa": 0, "key1": "v1", "key2": "v2"}', 'key*')).toBe('v1');
  });

  test('escaped unicode and duplicate keys: first occurrence wins (gjson)', () => {
    expect(prop('{"k": "caf\\u00e9 \\"q\\""}', 'k')).toBe('café "q"');
    expect(prop('{"k": "first", "k": "second"}', 'k')).toBe('first');
  });

  test('a missing property is a GjsonError naming the property and key', () => {
    const err = thrown(() => extractProperty(enc(doc), 'db.nope', 'db-secret'));
    expect(err).toBeInstanceOf(GjsonError);
    expect(err.message).toBe('property "db.nope" not found in db-secret');
    expect(() => prop(doc, 'items.9')).toThrow(GjsonError);
    expect(() => prop(doc, 'user.x')).toThrow(GjsonError);
    expect(() => prop(doc, 'items.name')).toThrow(GjsonError);
  });

  test('gjson queries, modifiers and pipes are rejected with a clear message', () => {
    expect(() => prop(doc, 'items.#(name=="x").n')).toThrow(/queries/);
    expect(() => prop(doc, '@reverse')).toThrow(/modifiers/);
    expect(() => prop(doc, 'items|0')).toThrow(/pipes/);
  });

  test('non-JSON payloads are a GjsonError that names the key and property', () => {
    for (const bad of ['not json', '{"a":1,}', '{"a":01}', "{'a':1}", '{"a":1} x', '', '{"a":"\u0001"}']) {
      const err = thrown(() => extractProperty(enc(bad), 'a', 'db'));
      expect(err).toBeInstanceOf(GjsonError);
      expect(err.message).toMatch(/^payload of db is not JSON .*, so property "a" cannot be read$/);
    }
  });

  test('deep nesting is refused, not a stack overflow', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(() => extractProperty(enc(deep), '0', 'db')).toThrow(/nesting deeper/);
  });

  test('no error message carries the payload (canary)', () => {
    const canary = `CANARY-${randomBytes(6).toString('hex')}`;
    const payloads = [
      `{"a": "${canary}"}`,
      `{"a": "${canary}",}`,
      `${canary}`,
      `{"${canary}": 1}`,
      `["${canary}"]`,
    ];
    const messages: string[] = [];
    for (const p of payloads) {
      for (const path of ['missing', 'a.b', 'items.#(x)', '0.zz']) {
        try {
          extractProperty(enc(p), path, 'db');
        } catch (err) {
          messages.push((err as Error).message);
        }
      }
      try {
        jsonToMap(enc(p), 'db');
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
    expect(messages.length).toBeGreaterThan(15);
    for (const m of messages) expect(m).not.toContain(canary);
  });
});

describe("formatFloat(f, 'f', -1): gjson's number text", () => {
  test.each([
    [0.1, '0.1'],
    [100, '100'],
    [1e21, '1000000000000000000000'],
    [1.5e-10, '0.00000000015'],
    [123.456, '123.456'],
    [-1, '-1'],
  ])('%p → %s', (f, s) => expect(formatFloat(f, 'f', -1)).toBe(s));
});

describe('jsonToMap', () => {
  test('strings decoded, other values as raw JSON text', () => {
    const m = jsonToMap(enc('{"u": "alice", "n": 1.50, "o": {"x": 1}, "b": true, "z": null, "e": ""}'), 'k');
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, dec(v)]))).toEqual({
      u: 'alice',
      n: '1.50',
      o: '{"x": 1}',
      b: 'true',
      z: 'null',
      e: '',
    });
  });

  test('a repeated key keeps its last value; __proto__ is an ordinary key', () => {
    const m = jsonToMap(enc('{"k": "1", "k": "2", "__proto__": "p"}'), 'k');
    expect(dec(m.k!)).toBe('2');
    expect(Object.keys(m).sort()).toEqual(['__proto__', 'k']);
    expect(dec(m['__proto__']!)).toBe('p');
  });

  test('not an object → GjsonError naming the key', () => {
    expect(() => jsonToMap(enc('[1]'), 'db')).toThrow(
      new GjsonError(
        'payload of db is a JSON array, not an object, so dataFrom.extract cannot split it into keys',
      ),
    );
    expect(() => jsonToMap(enc('"s"'), 'db')).toThrow(GjsonError);
    expect(() => jsonToMap(enc('nope'), 'db')).toThrow(/payload of db is not JSON/);
  });
});
