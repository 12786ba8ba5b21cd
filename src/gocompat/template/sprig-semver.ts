// Sprig's semver and semverCompare, with Masterminds/semver v3.3.0's rules: versions as its
// NewVersion reads them (optional v, missing minor/patch are 0, pre-release and metadata
// validated), constraints as NewConstraint reads them ("a - b" ranges, comma/space-separated
// ANDs, || ORs, = != > < >= <= ~ ~> ^, x/X/* wildcards) and Check's pre-release rule (a
// pre-release only satisfies a comparison whose own version has one). `semver` returns the
// version as a map of its getters (Major, Minor, Patch, Prerelease, Metadata, Original, String)
// that prints as Go's *semver.Version does; methods with arguments (Compare, IncMajor…) are absent.
import { RE2JS } from 're2js';

import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { markStringer, newMap, type GoMap } from './values';

interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  metadata: string;
  original: string;
}

// Masterminds' regular expressions, run on RE2 as in Go (linear time: the constraint may come from
// data; Go's \s; leftmost-first submatches).
const PARTS = String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?` + PARTS;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const VERSION = RE2JS.compile(String.raw`^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?` + PARTS + '$');
const CONSTRAINT = RE2JS.compile(String.raw`^\s*(${OPS})\s*(${CV})\s*$`);
const RANGE = RE2JS.compile(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`);
const FIND = RE2JS.compile(String.raw`(${OPS})\s*(${CV})`);
const VALID = RE2JS.compile(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`);

/** FindAllStringSubmatch (none of these patterns matches the empty string); unmatched groups are "". */
function findAll(re: RE2JS, s: string, n = -1): string[][] {
  const out: string[][] = [];
  const m = re.matcher(s);
  let pos = 0;
  while ((n < 0 || out.length < n) && pos <= s.length && m.find(pos)) {
    out.push(Array.from({ length: re.groupCount() + 1 }, (_, i) => m.group(i) ?? ''));
    pos = m.end();
  }
  return out;
}
const submatch = (re: RE2JS, s: string): string[] | undefined => findAll(re, s, 1)[0];

const MAX_UINT64 = (1n << 64n) - 1n;
const onlyDigits = (s: string): boolean => /^[0-9]*$/.test(s);
const onlyAllowed = (s: string): boolean => /^[0-9A-Za-z-]*$/.test(s);

function segment(text: string): bigint {
  const v = BigInt(text);
  if (v > MAX_UINT64)
    throw new FuncError(
      `Error parsing version segment: strconv.ParseUint: parsing "${text}": value out of range`,
    );
  return v;
}

function parseVersion(v: string): Version {
  const m = submatch(VERSION, v);
  if (!m) throw new FuncError('Invalid Semantic Version');
  const version: Version = {
    major: segment(m[1] as string),
    minor: m[2] ? segment(m[2].slice(1)) : 0n,
    patch: m[3] ? segment(m[3].slice(1)) : 0n,
    pre: m[5] ?? '',
    metadata: m[8] ?? '',
    original: v,
  };
  for (const p of version.pre === '' ? [] : version.pre.split('.')) {
    if (onlyDigits(p) ? p.length > 1 && p[0] === '0' : false)
      throw new FuncError('Version segment starts with 0');
    if (!onlyDigits(p) && !onlyAllowed(p)) throw new FuncError('Invalid Prerelease string');
  }
  for (const p of version.metadata === '' ? [] : version.metadata.split('.'))
    if (!onlyAllowed(p)) throw new FuncError('Invalid Metadata string');
  return version;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const uint = (s: string): bigint | undefined =>
  /^[0-9]+$/.test(s) && BigInt(s) <= MAX_UINT64 ? BigInt(s) : undefined;

function comparePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const si = uint(s);
  const oi = uint(o);
  if (si === undefined && oi === undefined) return s > o ? 1 : -1; // byte order; both are ASCII
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}

function comparePrerelease(v: string, o: string): number {
  const a = v.split('.');
  const b = o.split('.');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = comparePart(a[i] ?? '', b[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

function compare(v: Version, o: Version): number {
  const d = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePrerelease(v.pre, o.pre);
}

interface Constraint {
  con: Version;
  op: string;
  minorDirty: boolean;
  patchDirty: boolean;
  dirty: boolean;
}

const isX = (x: string | undefined): boolean => x === 'x' || x === 'X' || x === '*';

function parseConstraint(c: string): Constraint {
  const m = submatch(CONSTRAINT, c);
  if (!m) throw new FuncError(`improper constraint: ${c}`);
  const [op, major, minor = '', patch = '', rest = ''] = [m[1] as string, m[3] as string, m[4], m[5], m[6]];
  let ver = m[2] as string;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) {
    ver = `0.0.0${rest}`;
    dirty = true;
  } else if (isX(minor.slice(1)) || minor === '') {
    ver = `${major}.0.0${rest}`;
    dirty = minorDirty = true;
  } else if (isX(patch.slice(1)) || patch === '') {
    ver = `${major}${minor}.0${rest}`;
    dirty = patchDirty = true;
  }
  let con: Version;
  try {
    con = parseVersion(ver);
  } catch {
    throw new FuncError('constraint Parser Error');
  }
  return { con, op, minorDirty, patchDirty, dirty };
}

function tilde(v: Version, c: Constraint): boolean {
  if (compare(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty)
    return true;
  if (v.major !== c.con.major) return false;
  return !(v.minor !== c.con.minor && !c.minorDirty);
}

function check(v: Version, c: Constraint): boolean {
  const con = c.con;
  if (c.op === '!=') {
    if (c.dirty) {
      if (v.pre !== '' && con.pre === '') return false;
      if (con.major !== v.major) return true;
      if (con.minor !== v.minor && !c.minorDirty) return true;
      if (c.minorDirty) return false;
      if (con.patch !== v.patch && !c.patchDirty) return true;
      if (c.patchDirty) return (v.pre !== '' || con.pre !== '') && comparePrerelease(v.pre, con.pre) !== 0;
    }
    return compare(v, con) !== 0;
  }
  if (v.pre !== '' && con.pre === '') return false;
  switch (c.op) {
    case '>':
      if (!c.dirty) return compare(v, con) === 1;
      if (v.major !== con.major) return v.major > con.major;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > con.minor;
      return compare(v, con) === 1;
    case '<':
      return compare(v, con) < 0;
    case '>=':
    case '=>':
      return compare(v, con) >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return compare(v, con) <= 0;
      if (v.major > con.major) return false;
      return !(v.major === con.major && v.minor > con.minor && !c.minorDirty);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (compare(v, con) < 0) return false;
      if (con.major > 0n || c.minorDirty) return v.major === con.major;
      if (v.major > 0n) return false;
      if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
      if (v.minor > 0n) return false;
      return con.patch === v.patch;
    default: // '' and '='
      return c.dirty ? tilde(v, c) : compare(v, con) === 0;
  }
}

/** rewriteRange: "a - b" becomes ">= a, <= b ", each match replaced once, in order. */
function rewriteRange(input: string): string {
  let out = input;
  for (const m of findAll(RANGE, input)) out = out.replace(m[0] as string, `>= ${m[1]}, <= ${m[11]} `);
  return out;
}

function parseConstraints(text: string): Constraint[][] {
  return rewriteRange(text)
    .split('||')
    .map((or) => {
      if (!submatch(VALID, or)) throw new FuncError(`improper constraint: ${or}`);
      const found = findAll(FIND, or).map((m) => m[0] as string);
      return (found.length > 0 ? found : [or]).map(parseConstraint);
    });
}

function semverCompare(constraint: string, version: string): boolean {
  const ors = parseConstraints(constraint);
  const v = parseVersion(version);
  return ors.some((and) => and.every((c) => check(v, c)));
}

function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ''}${v.metadata ? `+${v.metadata}` : ''}`;
}

function semver(text: string): GoMap {
  const v = parseVersion(text);
  const m = newMap();
  Object.assign(m, {
    Major: v.major,
    Minor: v.minor,
    Patch: v.patch,
    Prerelease: v.pre,
    Metadata: v.metadata,
    Original: v.original,
    String: versionString(v),
  });
  return markStringer(m, versionString(v), '*semver.Version');
}

const s = (v: unknown): string => v as string;

export const SPRIG_SEMVER_FUNCTIONS: FuncTable = {
  semver: fn(['string'], ([v]) => semver(s(v))),
  semverCompare: fn(['string', 'string'], ([c, v]) => semverCompare(s(c), s(v))),
};
