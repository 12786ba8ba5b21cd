// The CRDs' own CEL rules (x-kubernetes-validations), evaluated offline so that `secretsync
// validate` rejects what the API server would reject at admission — from the same rules in crds/,
// not a hand-kept copy. Evaluated with @marcbachmann/cel-js (an ES module, loaded on first use).
//
// Kubernetes evaluates a rule at every node its schema applies to; a rule under `spec.data[]`
// runs once per list entry, with `self` bound to that entry. Integers are CEL ints (bigint), as
// the API server types them from the schema (`type(self) == int` on int-or-string fields).
import type { Environment } from '@marcbachmann/cel-js' with { 'resolution-mode': 'import' };
import { crdValidationRules, loadCrds, type CrdValidationRule } from '../api/schema';
import { API_GROUP, type ApiKind } from '../api/constants';

export interface CelProblem {
  /** Dotted field path with list indices, e.g. `spec.target` or `spec.dataFrom[1]`. */
  path: string;
  message: string;
}

/** Evaluates every CEL rule of the object's kind and version; returns the failed ones. */
export type CelChecker = (obj: Record<string, unknown>) => CelProblem[];

type Segment = { field: string } | { each: 'list' | 'map' };

interface CompiledRule {
  segments: Segment[];
  message: string;
  evaluate: (ctx: { self: unknown }) => unknown;
}

/** `spec.data[].sourceRef` → field spec, field data, each list entry, field sourceRef. */
export function parseRulePath(path: string): Segment[] {
  const out: Segment[] = [];
  for (const m of path.matchAll(/\[\]|\{\}|[^.[\]{}]+/g)) {
    if (m[0] === '[]') out.push({ each: 'list' });
    else if (m[0] === '{}') out.push({ each: 'map' });
    else out.push({ field: m[0] });
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** YAML/JSON values as CEL sees them: whole numbers are ints (bigint), the rest unchanged. */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

const fieldPath = (at: string, name: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? (at ? `${at}.${name}` : name) : `${at}[${name}]`;

/** The nodes of `obj` a rule path selects, with their concrete paths. */
function select(obj: unknown, segments: Segment[]): { value: unknown; path: string }[] {
  let nodes = [{ value: obj, path: '' }];
  for (const seg of segments) {
    const next: typeof nodes = [];
    for (const n of nodes) {
      if ('field' in seg) {
        if (isRecord(n.value) && Object.hasOwn(n.value, seg.field) && n.value[seg.field] != null)
          next.push({ value: n.value[seg.field], path: fieldPath(n.path, seg.field) });
      } else if (seg.each === 'list') {
        if (Array.isArray(n.value))
          n.value.forEach((v, i) => next.push({ value: v, path: `${n.path}[${i}]` }));
      } else if (isRecord(n.value)) {
        for (const [k, v] of Object.entries(n.value)) next.push({ value: v, path: `${n.path}[${k}]` });
      }
    }
    nodes = next;
  }
  return nodes;
}

let loaded:
  Promise<typeof import('@marcbachmann/cel-js', { with: { 'resolution-mode': 'import' } })> | undefined;

function newEnvironment(cel: { Environment: typeof Environment }): Environment {
  // Object fields are dynamic, as in Kubernetes' CEL for schemaless parts; list and map literals in
  // rules may mix types. lowerAscii, matches, size, has, all, exists are built in.
  return new cel.Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
}

function compile(env: Environment, r: CrdValidationRule): CompiledRule {
  const fn = env.parse(r.rule);
  return {
    segments: parseRulePath(r.path),
    message: r.message ?? `failed rule: ${r.rule}`,
    evaluate: (ctx) => fn(ctx),
  };
}

/**
 * Compiles the CEL rules of every served version of the three CRDs (once) and returns a checker.
 * Rules that fail to evaluate on an object (e.g. a field of the wrong type, which the schema check
 * reports) are not reported again.
 */
export async function createCelChecker(crdDir?: string): Promise<CelChecker> {
  loaded ??= import('@marcbachmann/cel-js');
  const cel = await loaded;
  const env = newEnvironment(cel);
  const byKey = new Map<string, CompiledRule[]>();
  const crds = loadCrds(crdDir);
  for (const kind of Object.keys(crds) as ApiKind[]) {
    for (const version of crds[kind].spec.versions) {
      if (!version.served) continue;
      const rules = crdValidationRules(version.schema.openAPIV3Schema).map((r) => compile(env, r));
      byKey.set(`${API_GROUP}/${version.name}/${kind}`, rules);
    }
  }
  return (obj) => {
    const rules = byKey.get(`${String(obj.apiVersion)}/${String(obj.kind)}`) ?? [];
    const problems: CelProblem[] = [];
    const celObj = toCel(obj);
    for (const rule of rules) {
      for (const node of select(celObj, rule.segments)) {
        let ok: unknown;
        try {
          ok = rule.evaluate({ self: node.value });
        } catch {
          continue;
        }
        if (ok !== true) problems.push({ path: node.path, message: rule.message });
      }
    }
    return problems;
  };
}
