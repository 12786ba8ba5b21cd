// Which Secrets and ConfigMaps a workload asks to be restarted for, read from its annotations the
// way Stakater Reloader reads them (workload metadata first, then the pod template), so teams keep
// their manifests when they switch. Pure: returns a typed opt-in plus the problems found, which
// the controller reports as a warning Event naming the annotation.
import { RE2JS } from 're2js';
import {
  RELOADER_ANNOTATION as R,
  RELOADER_CONFIGMAP_ANNOTATION as RC,
  RELOADER_PAUSE_PERIOD_ANNOTATION as PAUSE,
  ROLLOUT_ANNOTATION,
} from '../../api/constants';
import { parseDuration } from '../../gocompat/duration';
import { UNHONOURED_RELOADER_ANNOTATIONS } from '../../api/unsupported-fields';

export type ObjectKind = 'Secret' | 'ConfigMap';
export const OBJECT_KINDS: readonly ObjectKind[] = ['Secret', 'ConfigMap'];

export interface KindOptIn {
  /** Every object of this kind the pod spec references rolls the workload. */
  auto: boolean;
  /** Referenced objects annotated `reloader.stakater.com/match: "true"` roll the workload. */
  search: boolean;
  /** Regexes (as written; matched anchored at both ends) naming objects that roll it, referenced or not. */
  names: string[];
  /** Exact names that never roll it. */
  exclude: string[];
}

export interface OptIn {
  Secret: KindOptIn;
  ConfigMap: KindOptIn;
  /** key: hash only the keys the pod spec reads; object: hash whole objects. */
  scope: 'key' | 'object';
}

export interface AnnotationProblem {
  annotation: string;
  message: string;
  /** A Reloader annotation secretsync does not honour (rather than one with a bad value). */
  unsupported?: boolean;
}

export interface ParsedOptIn {
  /** Undefined when nothing (valid) opts the workload in. */
  optIn?: OptIn;
  problems: AnnotationProblem[];
  /** True when any annotation this controller reads is present (valid or not). */
  annotated: boolean;
}

type Annotations = Readonly<Record<string, string>> | undefined;

/** Controller-wide settings (flags) that change what an opt-in means. */
export interface ParseOptions {
  /** --auto-reload-all: a workload without an auto annotation counts as `auto: "true"`. */
  autoReloadAll?: boolean;
  /** --resources-to-ignore: changes of these kinds never roll anything. */
  ignoreKinds?: readonly ObjectKind[];
}

const TYPED = {
  Secret: { auto: R.secretAuto, reload: R.secretReload, exclude: R.secretExclude },
  ConfigMap: { auto: RC.auto, reload: RC.reload, exclude: RC.exclude },
} as const;

/** Every workload annotation read here; a workload carrying none of them is not cached in full. */
export const WORKLOAD_ANNOTATIONS: readonly string[] = [
  R.auto,
  R.search,
  ROLLOUT_ANNOTATION.reload,
  ROLLOUT_ANNOTATION.reloadScope,
  ...OBJECT_KINDS.flatMap((k) => Object.values(TYPED[k])),
  // Read only to say that they are not honoured.
  ...Object.keys(UNHONOURED_RELOADER_ANNOTATIONS),
];

/** Go's strconv.ParseBool, which Reloader uses for the auto annotations. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const compiled = new Map<string, RE2JS | null>();
const COMPILED_LIMIT = 1024;

/** The anchored RE2 for one list entry; null when the entry is not a valid expression. */
export function namePattern(entry: string): RE2JS | null {
  let re = compiled.get(entry);
  if (re === undefined) {
    try {
      re = RE2JS.compile(`^(?:${entry})$`);
    } catch {
      re = null;
    }
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(entry, re);
  }
  return re;
}

/** Whether `name` matches any of the (valid) entries. */
export function matchesAny(name: string, entries: readonly string[]): boolean {
  return entries.some((e) => namePattern(e)?.matches(name) === true);
}

class Reader {
  readonly problems: AnnotationProblem[] = [];

  bool(annotation: string, value: string | undefined): boolean {
    if (value === undefined) return false;
    const b = parseBool(value.trim());
    if (b === undefined) this.problem(annotation, `value ${JSON.stringify(value)} is not "true" or "false"`);
    return b ?? false;
  }

  /** Reloader compares search/match/ignore with "true" exactly; anything but true/false is reported. */
  strictTrue(annotation: string, value: string | undefined): boolean {
    if (value === undefined) return false;
    if (value !== 'true' && value !== 'false')
      this.problem(annotation, `value ${JSON.stringify(value)} is not "true" or "false"`);
    return value === 'true';
  }

  list(annotation: string, value: string | undefined, regex: boolean): string[] {
    if (value === undefined) return [];
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (entries.length === 0) {
      this.problem(annotation, 'empty list');
      return [];
    }
    if (!regex) return entries;
    return entries.filter((e) => {
      if (namePattern(e) !== null) return true;
      this.problem(annotation, `entry ${JSON.stringify(e)} is not a valid regular expression; skipped`);
      return false;
    });
  }

  problem(annotation: string, message: string): void {
    this.problems.push({ annotation, message });
  }
}

function present(a: Annotations, keys: readonly string[]): boolean {
  return a !== undefined && keys.some((k) => a[k] !== undefined);
}

/**
 * Parses a workload's opt-in. Per kind, as Reloader does: if the workload's metadata carries any
 * opt-in annotation for that kind (auto, typed auto, typed reload list, search, or our reload),
 * read them all from the metadata, otherwise from the pod template. Exclusions and the scope are
 * read from the metadata, falling back to the template.
 */
export function parseOptIn(
  metadata: Annotations,
  template: Annotations,
  opts: ParseOptions = {},
): ParsedOptIn {
  const rd = new Reader();
  const annotated =
    opts.autoReloadAll === true ||
    present(metadata, WORKLOAD_ANNOTATIONS) ||
    present(template, WORKLOAD_ANNOTATIONS);
  if (!annotated) return { problems: [], annotated };

  // Each annotation is validated once, on the side it is read from.
  const sources = new Map<Annotations, Map<string, unknown>>();
  const read = <T>(a: Annotations, key: string, parse: (v: string | undefined) => T): T => {
    let memo = sources.get(a);
    if (!memo) sources.set(a, (memo = new Map()));
    if (!memo.has(key)) memo.set(key, parse(a?.[key]));
    return memo.get(key) as T;
  };
  const fromMetaOrTemplate = (key: string) => metadata?.[key] ?? template?.[key];

  const kind = (k: ObjectKind): KindOptIn => {
    const t = TYPED[k];
    const src = present(metadata, [R.auto, R.search, ROLLOUT_ANNOTATION.reload, t.auto, t.reload])
      ? metadata
      : template;
    const ours = read(src, ROLLOUT_ANNOTATION.reload, (v) => parseOurs(rd, v));
    const excludeFrom = metadata?.[t.exclude] !== undefined ? metadata : template;
    const auto = read(src, R.auto, (v) => rd.bool(R.auto, v));
    const typedAuto = read(src, t.auto, (v) => rd.bool(t.auto, v));
    // --auto-reload-all, as Reloader: auto unless an auto annotation says otherwise.
    const byDefault =
      opts.autoReloadAll === true && src?.[R.auto] === undefined && src?.[t.auto] === undefined;
    if (opts.ignoreKinds?.includes(k)) return { auto: false, search: false, names: [], exclude: [] };
    return {
      auto: auto || typedAuto || ours.all || byDefault,
      search: read(src, R.search, (v) => rd.strictTrue(R.search, v)),
      names: [...read(src, t.reload, (v) => rd.list(t.reload, v, true)), ...ours.names],
      exclude: read(excludeFrom, t.exclude, (v) => rd.list(t.exclude, v, false)),
    };
  };
  const Secret = kind('Secret');
  const ConfigMap = kind('ConfigMap');

  let scope: OptIn['scope'] = 'key';
  const scopeValue = fromMetaOrTemplate(ROLLOUT_ANNOTATION.reloadScope);
  if (scopeValue !== undefined) {
    const v = scopeValue.trim().toLowerCase();
    if (v === 'secret' || v === 'object') scope = 'object';
    else if (v !== 'key')
      rd.problem(
        ROLLOUT_ANNOTATION.reloadScope,
        `value ${JSON.stringify(scopeValue)} is not "secret" or "key"`,
      );
  }

  for (const [annotation, why] of Object.entries(UNHONOURED_RELOADER_ANNOTATIONS))
    if (fromMetaOrTemplate(annotation) !== undefined)
      rd.problems.push({ annotation, message: `not honoured by secretsync: ${why}`, unsupported: true });

  const active = (o: KindOptIn) => o.auto || o.search || o.names.length > 0;
  const optIn = active(Secret) || active(ConfigMap) ? { Secret, ConfigMap, scope } : undefined;
  return optIn ? { optIn, problems: rd.problems, annotated } : { problems: rd.problems, annotated };
}

/** secretsync.io/reload: "true" (everything referenced), "false", or a comma list of name regexes. */
function parseOurs(rd: Reader, v: string | undefined): { all: boolean; names: string[] } {
  if (v === undefined) return { all: false, names: [] };
  const t = v.trim();
  if (t === 'true') return { all: true, names: [] };
  if (t === 'false') return { all: false, names: [] };
  return { all: false, names: rd.list(ROLLOUT_ANNOTATION.reload, v, true) };
}

/** reloader.stakater.com/rollout-strategy on a workload's metadata (Reloader reads it there only). */
export function parseStrategy(metadata: Annotations): {
  strategy: 'rollout' | 'restart';
  problem?: AnnotationProblem;
} {
  const v = metadata?.[R.rolloutStrategy];
  if (v === undefined || v === 'rollout') return { strategy: 'rollout' };
  if (v === 'restart') return { strategy: 'restart' };
  return {
    strategy: 'rollout',
    problem: {
      annotation: R.rolloutStrategy,
      message: `value ${JSON.stringify(v)} is not "restart" or "rollout"`,
    },
  };
}

/** An object's own annotations: `ignore` (never triggers) and `match` (for search). */
export function objectFlags(a: Annotations): { ignore: boolean; match: boolean } {
  return { ignore: a?.[R.ignore] === 'true', match: a?.[R.match] === 'true' };
}

export interface PausePeriod {
  /** The workload's own window between rollouts; undefined: --rollout-debounce applies. */
  ms?: number;
  problems: AnnotationProblem[];
}

/**
 * The pause-period on a workload's metadata (as Reloader reads it): a Go duration such as "5m".
 * Invalid values, and another kind's annotation (a Deployment's on a StatefulSet), are reported
 * and leave the default window in place.
 */
export function parsePausePeriod(kind: string, metadata: Annotations): PausePeriod {
  const problems: AnnotationProblem[] = [];
  const own = (PAUSE as Readonly<Record<string, string>>)[kind];
  for (const [k, annotation] of Object.entries(PAUSE))
    if (k !== kind && metadata?.[annotation] !== undefined)
      problems.push({
        annotation,
        message: own
          ? `applies to ${k}s only; on a ${kind} use ${own}`
          : `applies to ${k}s only; a ${kind} has no pause-period`,
      });
  const value = own === undefined ? undefined : metadata?.[own];
  if (own === undefined || value === undefined) return { problems };
  try {
    return { ms: parseDuration(value.trim()), problems };
  } catch {
    problems.push({
      annotation: own,
      message: `value ${JSON.stringify(value)} is not a duration such as "30s", "5m" or "1h"; the default window (--rollout-debounce) applies`,
    });
    return { problems };
  }
}
