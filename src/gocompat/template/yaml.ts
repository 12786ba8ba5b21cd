// ESO's own toYaml/fromYaml template functions. ESO uses sigs.k8s.io/yaml: values go through
// JSON (so numbers are float64 and map keys strings), YAML is read as YAML 1.1 (yes/no are
// booleans, timestamps stay strings) and written in go-yaml v2 style. Errors never echo input.

import { Composer, Document, Parser, Scalar, visit, type Pair } from 'yaml';

import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { toGoJson } from './json';
import { fromBytes } from './gostring';
import { MAX_VALUE_DEPTH, type Budget } from './limits';
import { isMap, mapSet, newMap, type GoMap } from './values';

// --- writing

/** Plain scalars that go-yaml v2 would resolve to a non-string, and therefore double-quotes. */
const AMBIGUOUS = [
  /^(?:~|null|Null|NULL|)$/,
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^[-+]?(?:0b[01_]+|0[0-7_]+|[0-9][0-9_]*|0x[0-9a-fA-F_]+)$/,
  /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{2})?))?)?$/,
  /^<<$/,
];

function isAmbiguous(s: string): boolean {
  return AMBIGUOUS.some((re) => re.test(s));
}

/** go-yaml v2's key order: digit runs compare numerically, non-letters before letters. */
function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  const isLetter = (c: string): boolean => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined): boolean =>
    c !== undefined && /\p{Nd}/u.test(c) && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i] as string;
    const y = br[i] as string;
    if (x === y) continue;
    const al = isLetter(x);
    const bl = isLetter(y);
    if (al && bl) return x < y;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (x === '0' || y === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(Number(ar[ai]));
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(Number(br[bi]));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return x < y;
  }
  return ar.length < br.length;
}

function keyOf(p: Pair): string {
  const k = p.key instanceof Scalar ? p.key.value : p.key;
  return typeof k === 'string' ? k : String(k);
}

function toYaml(v: unknown, budget: Budget): string {
  let json: string;
  try {
    json = toGoJson(v, { escapeHtml: false }, budget);
  } catch (e) {
    if (e instanceof FuncError) return ''; // ESO swallows marshal errors
    throw e;
  }
  const plain = JSON.parse(json, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? '')) {
      return BigInt(context?.source as string);
    }
    return value;
  }) as unknown;
  budget.stringWork(json.length * 4);
  const doc = new Document(plain, {
    aliasDuplicateObjects: false,
    sortMapEntries: (a, b) => {
      const x = keyOf(a);
      const y = keyOf(b);
      return goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0;
    },
  });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  const out = doc.toString({ indentSeq: false, blockQuote: 'literal', singleQuote: true, lineWidth: 80 });
  budget.checkSize(out.length);
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

// --- reading

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  return 'string';
}

/** Converts what the yaml library produced into our value model, as a JSON round trip would. */
function normalize(v: unknown, budget: Budget, depth: number): unknown {
  budget.step();
  budget.checkDepth(depth);
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new FuncError('json: unsupported value');
    return v;
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return fromBytes(v);
  if (Array.isArray(v)) return v.map((x) => normalize(x, budget, depth + 1));
  if (v instanceof Set)
    return normalize(Object.fromEntries([...v].map((k) => [String(k), null])), budget, depth);
  if (v instanceof Map)
    return normalize(Object.fromEntries([...v].map(([k, x]) => [String(k), x])), budget, depth);
  if (typeof v === 'object') {
    const out = newMap();
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      mapSet(out, k, normalize(x, budget, depth + 1));
    return out;
  }
  return String(v);
}

/** Parsing YAML costs far more per character than other string work: one step per this many. */
const YAML_UNITS_PER_STEP = 8;

/** The first document of a YAML stream (as Go's yaml.Unmarshal reads it); later ones are not parsed. */
function firstDocument(src: string, options: ConstructorParameters<typeof Composer>[0]) {
  const composer = new Composer(options);
  for (const doc of composer.compose(new Parser().parse(src), true)) return doc;
  return undefined;
}

/**
 * The deepest nesting of flow collections ([ and {), counted without parsing. The parser's cost
 * grows much faster than the input with nesting (400 KB nested 200,000 deep: 2 s of CPU), and the
 * value walk refuses more than MAX_VALUE_DEPTH levels anyway, so such input is refused before
 * parsing. Brackets inside quoted scalars are counted too: a false positive needs over a thousand
 * of them open at once.
 */
function flowDepthExceeds(src: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return false;
}

function fromYaml(src: string, budget: Budget): GoMap {
  budget.step(Math.ceil(src.length / YAML_UNITS_PER_STEP));
  const result = newMap();
  const fail = (message: string): GoMap => {
    mapSet(result, 'Error', message);
    return result;
  };
  if (flowDepthExceeds(src, MAX_VALUE_DEPTH))
    return fail(`error converting YAML to JSON: yaml: nesting deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: unknown;
  try {
    const doc = firstDocument(src, {
      version: '1.1',
      uniqueKeys: false,
      merge: true,
      customTags: (tags) =>
        tags.filter((t) => {
          if (typeof t === 'string') return t !== 'timestamp';
          return t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME';
        }),
    });
    if (doc === undefined) return result;
    if (doc.errors.length > 0) return fail('error converting YAML to JSON: yaml: invalid YAML');
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return fail('error converting YAML to JSON: yaml: invalid YAML');
  }
  if (value === null || value === undefined) return result;
  let converted: unknown;
  try {
    converted = normalize(value, budget, 0);
  } catch (e) {
    if (e instanceof FuncError) return fail('error converting YAML to JSON: json: unsupported value');
    throw e;
  }
  if (!isMap(converted)) {
    return fail(
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(converted)} into Go value of type map[string]interface {}`,
    );
  }
  return converted;
}

export const YAML_FUNCTIONS: FuncTable = {
  toYaml: fn(['any'], ([v], { budget }) => toYaml(v, budget)),
  fromYaml: fn(['string'], ([s], { budget }) => fromYaml(s as string, budget)),
};
