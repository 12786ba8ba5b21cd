// How ESO reads a `templateAs: KeysAndValues` template's output: sigs.k8s.io/yaml.Unmarshal into a
// map[string]string. go-yaml v2 reads the first YAML document (YAML 1.1: yes/no/on/off are
// booleans, 0x1F and 0755 are integers), then the JSON step turns scalars into the strings a
// string field takes: integers in decimal, floats as strconv.FormatFloat(f, 'g', -1, 32), booleans
// as true/false, null as "". A nested map or list is an error. Messages never echo the input.
import {
  Alias,
  Composer,
  Parser,
  Scalar,
  YAMLMap,
  YAMLSeq,
  isMap,
  isScalar,
  isSeq,
  type Document,
} from 'yaml';
import { formatFloat } from './float';

export class StringMapError extends Error {}

/** go-yaml v2's implicit scalars that are not strings (resolve.go's table and hints). */
const BOOLS: Record<string, boolean> = {};
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLS[s] = true;
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  BOOLS[s] = false;
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: Record<string, number> = {};
for (const s of ['.nan', '.NaN', '.NAN']) SPECIAL_FLOATS[s] = NaN;
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) SPECIAL_FLOATS[s] = Infinity;
for (const s of ['-.inf', '-.Inf', '-.INF']) SPECIAL_FLOATS[s] = -Infinity;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

type Resolved =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt/ParseUint with base 0 (sign, 0x/0o/0b or leading-0 octal), unbounded. */
function parseGoInt(s: string, signed: boolean): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m || (!signed && m[1] !== '')) return undefined;
  let body = m[2]!;
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  const v = BigInt(
    body
      .replace(/^0[oO]/, '0o')
      .replace(/^0[bB]/, '0b')
      .replace(/^0[xX]/, '0x'),
  );
  const n = m[1] === '-' ? -v : v;
  if (signed ? n < INT64_MIN || n > INT64_MAX : n > UINT64_MAX) return undefined;
  return n;
}

/** go-yaml v2's resolve() for an untagged plain scalar. */
function resolvePlain(s: string): Resolved {
  if (NULLS.has(s)) return { kind: 'null' };
  if (s in BOOLS) return { kind: 'bool', value: BOOLS[s]! };
  if (s in SPECIAL_FLOATS) return { kind: 'float', value: SPECIAL_FLOATS[s]! };
  const c = s[0];
  if (c === '.') {
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) return { kind: 'float', value: Number(s) };
  } else if (c !== undefined && /[-+0-9]/.test(c)) {
    const plain = s.replace(/_/g, '');
    const int = parseGoInt(plain, true) ?? parseGoInt(plain, false);
    if (int !== undefined) return { kind: 'int', value: int };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = Number(plain);
      if (Number.isFinite(f)) return { kind: 'float', value: f };
    }
  }
  return { kind: 'str', value: s };
}

/** strconv.FormatFloat(f, 'g', -1, 32): the shortest digits that read back as the same float32. */
export function formatFloat32(f: number): string {
  const x = Math.fround(f);
  if (!Number.isFinite(x)) return formatFloat(x, 'g', -1);
  for (let p = 1; p <= 9; p++) {
    const digits = Number(x.toPrecision(p));
    if (Math.fround(digits) === x) return formatFloat(digits, 'g', -1);
  }
  return formatFloat(x, 'g', -1);
}

const SHORT_TAGS: Record<string, string> = {
  'tag:yaml.org,2002:str': 'str',
  'tag:yaml.org,2002:int': 'int',
  'tag:yaml.org,2002:float': 'float',
  'tag:yaml.org,2002:bool': 'bool',
  'tag:yaml.org,2002:null': 'null',
  'tag:yaml.org,2002:binary': 'binary',
};

function resolveScalar(node: Scalar): Resolved {
  const text = String(node.value ?? '');
  const tag = node.tag ? (SHORT_TAGS[node.tag] ?? 'other') : undefined;
  // Quoted and block scalars are strings; so are explicitly tagged !!str and unknown tags.
  if (tag === 'str' || tag === 'other') return { kind: 'str', value: text };
  if (tag === 'binary') throw new StringMapError('yaml: !!binary values are not supported here');
  if (tag === undefined && node.type !== 'PLAIN' && node.type !== undefined)
    return { kind: 'str', value: text };
  return resolvePlain(text);
}

function goKind(r: Resolved): string {
  return r.kind === 'str' ? 'string' : r.kind === 'bool' ? 'bool' : 'number';
}

function keyString(node: unknown, doc: Document): string {
  const n = node instanceof Alias ? node.resolve(doc) : node;
  if (!isScalar(n)) throw new StringMapError('yaml: a map key that is not a scalar is not supported');
  const r = resolveScalar(n);
  switch (r.kind) {
    case 'str':
      return r.value;
    case 'int':
      return r.value.toString();
    case 'bool':
      return String(r.value);
    case 'float': {
      const s = formatFloat32(r.value);
      return s === '+Inf' ? '.inf' : s === '-Inf' ? '-.inf' : s === 'NaN' ? '.nan' : s;
    }
    case 'null':
      throw new StringMapError('error converting YAML to JSON: unsupported map key of type: <nil>');
  }
}

function valueString(node: unknown, doc: Document): string {
  const n = node instanceof Alias ? node.resolve(doc) : node;
  if (n === null || n === undefined) return '';
  if (isMap(n) || isSeq(n)) {
    throw new StringMapError(
      `error unmarshaling JSON: json: cannot unmarshal ${isMap(n) ? 'object' : 'array'} into Go value of type string`,
    );
  }
  if (!isScalar(n)) return '';
  const r = resolveScalar(n);
  switch (r.kind) {
    case 'str':
      return r.value;
    case 'int':
      return r.value.toString();
    case 'bool':
      return String(r.value);
    case 'float':
      return formatFloat32(r.value);
    case 'null':
      return '';
  }
}

/** Entries of a mapping node, `<<` merge keys applied as go-yaml v2 does (in place, in order). */
function collect(map: YAMLMap, doc: Document, out: Map<string, string>, depth = 0): void {
  if (depth > 100) throw new StringMapError('yaml: merge keys nested too deeply');
  for (const pair of map.items) {
    const key = pair.key instanceof Alias ? pair.key.resolve(doc) : pair.key;
    if (isScalar(key) && key.value === '<<' && (key.type === 'PLAIN' || key.type === undefined) && !key.tag) {
      const v = pair.value instanceof Alias ? pair.value.resolve(doc) : pair.value;
      const sources = isSeq(v) ? [...(v as YAMLSeq).items].reverse() : [v];
      for (const s of sources) {
        const m = s instanceof Alias ? s.resolve(doc) : s;
        if (!isMap(m))
          throw new StringMapError('yaml: map merge requires map or sequence of maps as the value');
        collect(m as YAMLMap, doc, out, depth + 1);
      }
      continue;
    }
    out.set(keyString(pair.key, doc), valueString(pair.value, doc));
  }
}

/**
 * The map ESO gets from `yaml.Unmarshal(rendered, &map[string]string{})`; throws StringMapError
 * (whose message holds no input) where it fails.
 */
export function unmarshalStringMap(src: string): Map<string, string> {
  if (/[\ud800-\udfff]/.test(src.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    throw new StringMapError('error converting YAML to JSON: yaml: invalid UTF-8');
  }
  let doc: Document | undefined;
  try {
    const composer = new Composer({ version: '1.1', schema: 'failsafe', uniqueKeys: false });
    for (const d of composer.compose(new Parser().parse(src), true)) {
      doc = d;
      break;
    }
  } catch {
    throw new StringMapError('error converting YAML to JSON: yaml: invalid YAML');
  }
  const out = new Map<string, string>();
  if (!doc || doc.contents === null) return out;
  if (doc.errors.length > 0) throw new StringMapError('error converting YAML to JSON: yaml: invalid YAML');
  const root = doc.contents instanceof Alias ? doc.contents.resolve(doc) : doc.contents;
  if (isScalar(root)) {
    const r = resolveScalar(root);
    if (r.kind === 'null') return out;
    throw new StringMapError(
      `error unmarshaling JSON: json: cannot unmarshal ${goKind(r)} into Go value of type map[string]string`,
    );
  }
  if (isSeq(root))
    throw new StringMapError(
      'error unmarshaling JSON: json: cannot unmarshal array into Go value of type map[string]string',
    );
  if (!isMap(root)) return out;
  collect(root as YAMLMap, doc, out);
  return out;
}
