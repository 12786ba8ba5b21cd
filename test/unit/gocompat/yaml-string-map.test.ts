// unmarshalStringMap: what `sigs.k8s.io/yaml.Unmarshal(out, &map[string]string{})` gives ESO for a
// KeysAndValues template's output. Vectors from go-yaml v2's resolve table (YAML 1.1 booleans and
// nulls, base-0 integers with '_' removed, its float pattern; no base-60, timestamps kept as written)
// and sigs.k8s.io/yaml's conversion for a string target (integers in decimal, floats as
// FormatFloat(f, 'g', -1, 32), booleans as true/false), then encoding/json (null → "").
import { formatFloat32, StringMapError, unmarshalStringMap } from '../../../src/gocompat/yaml-string-map';

const parse = (s: string) => Object.fromEntries(unmarshalStringMap(s));
const one = (v: string) => parse(`k: ${v}`).k;

test.each([
  // strings stay as written
  ['hello world', 'hello world'],
  ['"quoted: yes"', 'quoted: yes'],
  ["'007'", '007'],
  ['postgres://u:p@h:5432/db', 'postgres://u:p@h:5432/db'],
  ['2024-01-02', '2024-01-02'],
  ['2001-12-14t21:59:43.10-05:00', '2001-12-14t21:59:43.10-05:00'],
  ['1:30', '1:30'], // go-yaml v2 has no base-60 numbers
  ['!!str 12', '12'],
  ['!custom 12', '12'],
  // YAML 1.1 booleans
  ['yes', 'true'],
  ['Y', 'true'],
  ['on', 'true'],
  ['TRUE', 'true'],
  ['no', 'false'],
  ['off', 'false'],
  ['n', 'false'],
  // nulls
  ['~', ''],
  ['null', ''],
  ['', ''],
  // integers, base 0, '_' removed
  ['42', '42'],
  ['-7', '-7'],
  ['+7', '7'],
  ['0755', '493'],
  ['0o17', '15'],
  ['0x1F', '31'],
  ['0b101', '5'],
  ['1_000', '1000'],
  ['9223372036854775807', '9223372036854775807'],
  ['18446744073709551615', '18446744073709551615'], // beyond int64: uint64
  // floats: float32's shortest digits, %g with exponent from 1e+21 down to 1e-05
  ['08', '8'], // not octal: go-yaml falls back to its float pattern
  ['1.0', '1'],
  ['3.14159265', '3.1415927'],
  ['0.1', '0.1'],
  ['1e6', '1e+06'],
  ['123456', '123456'],
  ['1234567.0', '1.234567e+06'],
  ['.5', '0.5'],
  ['0.0001', '0.0001'],
  ['0.00001', '1e-05'],
  ['18446744073709551616', '1.8446744e+19'],
  ['.inf', '+Inf'],
  ['-.Inf', '-Inf'],
  ['.nan', 'NaN'],
  ['1e39', '+Inf'], // beyond float32
])('value %s → %j', (yaml, want) => {
  expect(one(yaml)).toBe(want);
});

test('block scalars, keys that are not strings, merge keys, aliases', () => {
  expect(parse('a: |\n  one\n  two\nb: >\n  folded\n  line\n')).toEqual({
    a: 'one\ntwo\n',
    b: 'folded line\n',
  });
  expect(parse('1: a\n1.5: b\ntrue: c\n0x10: d\n')).toEqual({ '1': 'a', '1.5': 'b', true: 'c', '16': 'd' });
  expect(parse('base: &b x\n<<: {m: 1, q: 2}\nq: 3\ncopy: *b\n')).toEqual({
    base: 'x',
    m: '1',
    q: '3',
    copy: 'x',
  });
  // A later key wins (go-yaml v2 does not refuse duplicates); `y` is a boolean key: "true".
  expect(parse('k: 1\nk: 2\ny: 3\n')).toEqual({ k: '2', true: '3' });
});

test('only the first document is read; an empty or null document is an empty map', () => {
  expect(parse('a: b\n---\nc: [')).toEqual({ a: 'b' });
  expect(parse('')).toEqual({});
  expect(parse('---\n')).toEqual({});
  expect(parse('~')).toEqual({});
});

test.each([
  ['hello', /cannot unmarshal string into Go value of type map\[string\]string/],
  ['42', /cannot unmarshal number into Go value of type map\[string\]string/],
  ['- a', /cannot unmarshal array into Go value of type map\[string\]string/],
  ['a: [1]', /cannot unmarshal array into Go value of type string/],
  ['a: {b: c}', /cannot unmarshal object into Go value of type string/],
  ['a: b: c', /invalid YAML/],
  ['~: x', /unsupported map key of type: <nil>/],
  ['a: \udcff', /invalid UTF-8/],
])('%j is refused: %s', (src, message) => {
  let err: unknown;
  try {
    unmarshalStringMap(src);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StringMapError);
  expect((err as Error).message).toMatch(message);
});

test('formatFloat32 as strconv.FormatFloat(f, g, -1, 32)', () => {
  expect([123456789, 0.1, 1e6, 16777217, 1e21, 1e20, -2.5].map(formatFloat32)).toEqual([
    '1.2345679e+08',
    '0.1',
    '1e+06',
    '1.6777216e+07',
    '1e+21',
    '1e+20',
    '-2.5',
  ]);
});
