// shouldRestart, as a pure function: from a workload's opt-in, what its pod spec reads, the
// per-key digests of the Secrets and ConfigMaps in its namespace and what was recorded on the
// workload last time, decide whether to wait, do nothing, record a hash, or restart its pods.
// The hash is THE hash (util/hash digestsHash) over `Kind/name/key` → keyDigest entries, written
// keyed (digest-format.ts sealHash) so that it cannot be used to check guesses at values.
import { digestsHash, keyDigest, keyedDigest } from '../../api/hash';
import { matchesAny, OBJECT_KINDS, type ObjectKind, type OptIn } from './annotations';
import type { ConsumedRef, KeySet } from './consumers';
import { hashFormat, sealHash, type DigestKey } from './digest-format';
import { ABSENT, formatRecord, parseRecord, type RecordEntry } from './record';

/** What the cache keeps of a Secret or ConfigMap: per-key digests and two flags, never values. */
export interface ObjectState {
  /** key → keyDigest(value bytes); ConfigMap data and binaryData together. */
  keys: Readonly<Record<string, string>>;
  /** `reloader.stakater.com/ignore: "true"`: never triggers a rollout. */
  ignore: boolean;
  /** `reloader.stakater.com/match: "true"`: triggers workloads using `reloader.stakater.com/search`. */
  match: boolean;
}

export interface DecideInput {
  optIn: OptIn;
  consumers: readonly ConsumedRef[];
  /** An object in the workload's namespace, or undefined when it does not exist. */
  object(kind: ObjectKind, name: string): ObjectState | undefined;
  /** Names of every object of the kind in the workload's namespace (for reload lists). */
  names(kind: ObjectKind): Iterable<string>;
  recorded: { hash?: string; objects?: string };
  /** The per-cluster digest key: what is written is keyed with it. */
  key: DigestKey;
  /**
   * --reload-on-create / --reload-on-delete (default true): whether an object appearing or going
   * away (an optional reference) restarts; when false it is recorded only.
   */
  onCreate?: boolean;
  onDelete?: boolean;
}

export interface Tracked {
  kind: ObjectKind;
  name: string;
  keys: KeySet;
  optional: boolean;
  /** False for objects named by a reload list that the pod spec does not read. */
  referenced: boolean;
  state?: ObjectState;
}

export type ChangeHow = 'changed' | 'appeared' | 'removed';

export interface Change {
  kind: ObjectKind;
  name: string;
  how: ChangeHow;
  /** The keys the workload reads from it ('*': all). */
  keys: KeySet;
}

/**
 * Why a record restarts nothing: the workload is seen for the first time; only the tracked set
 * changed; its digests were in the previous version's plain format and the content is unchanged;
 * or they were made with another key (the key Secret was replaced) and cannot be compared.
 */
export type RecordWhy = 'first-sight' | 'tracked-set' | 'migrated' | 'rekeyed';

export type RolloutDecision =
  /** A required (non-optional) object is missing: its pods cannot start; they will once it exists. */
  | { action: 'wait'; missing: string[] }
  | { action: 'none'; hash: string }
  /** Record hash and objects on the workload without touching its pod template. */
  | { action: 'record'; hash: string; objects: string; why: RecordWhy }
  /** Record and restart: patch the pod template. */
  | { action: 'restart'; hash: string; objects: string; changes: Change[] };

export const objectId = (kind: ObjectKind, name: string) => `${kind}/${name}`;

/** The objects whose content the workload's hash covers, with the keys it covers. */
export function trackedObjects(input: DecideInput): Tracked[] {
  const { optIn } = input;
  const out = new Map<string, Tracked>();
  for (const c of input.consumers) {
    const o = optIn[c.kind];
    if (o.exclude.includes(c.name)) continue;
    const state = input.object(c.kind, c.name);
    if (state?.ignore) continue;
    if (!(o.auto || matchesAny(c.name, o.names) || (o.search && state?.match === true))) continue;
    out.set(objectId(c.kind, c.name), {
      kind: c.kind,
      name: c.name,
      keys: optIn.scope === 'object' ? '*' : c.keys,
      optional: c.optional,
      referenced: true,
      state,
    });
  }
  for (const kind of OBJECT_KINDS) {
    const o = optIn[kind];
    if (o.names.length === 0) continue;
    for (const name of input.names(kind)) {
      if (out.has(objectId(kind, name)) || o.exclude.includes(name) || !matchesAny(name, o.names)) continue;
      const state = input.object(kind, name);
      if (!state || state.ignore) continue;
      out.set(objectId(kind, name), { kind, name, keys: '*', optional: false, referenced: false, state });
    }
  }
  return [...out.values()];
}

/** `Kind/name/key` → digest entries of one tracked object (`Kind/name` → "absent" if it is missing). */
function entriesOf(t: Tracked): Array<[string, string]> {
  const id = objectId(t.kind, t.name);
  if (!t.state) return [[id, 'absent']];
  const keys = t.keys === '*' ? Object.keys(t.state.keys) : t.keys;
  return keys.map((k) => [`${id}/${k}`, t.state?.keys[k] ?? 'absent']);
}

function specOf(t: Tracked): string {
  const keys = t.keys === '*' ? '*' : t.keys.join('\n');
  return keyDigest(Buffer.from(`${keys}|${t.optional}|${t.referenced}`, 'utf8')).slice(0, 8);
}

/** Unkeyed digests: never written (the previous version wrote them); compared for migration. */
export interface PlainDigests {
  hash: string;
  /** `Kind/name` → the object's full digestsHash (ABSENT when missing) and spec digest. */
  objects: Map<string, RecordEntry>;
}

/** The workload's consumed-content hash and the per-object digests behind it, unkeyed. */
export function plainDigests(tracked: readonly Tracked[]): PlainDigests {
  const all: Array<[string, string]> = [];
  const objects = new Map<string, RecordEntry>();
  for (const t of tracked) {
    const entries = entriesOf(t);
    all.push(...entries);
    objects.set(objectId(t.kind, t.name), {
      content: t.state ? digestsHash(entries) : ABSENT,
      spec: specOf(t),
    });
  }
  return { hash: digestsHash(all), objects };
}

/** Per-object record entries: content cut to 16 hex digits, keyed (or plain, as written before). */
function recordEntries(plain: PlainDigests, key?: DigestKey): Map<string, RecordEntry> {
  const out = new Map<string, RecordEntry>();
  for (const [id, e] of plain.objects) {
    if (e.content === ABSENT) out.set(id, e);
    else
      out.set(id, {
        content: (key ? keyedDigest(key.bytes, e.content) : e.content).slice(0, 16),
        spec: e.spec,
      });
  }
  return out;
}

/**
 * - a required object is missing → wait (no record: pods are blocked and start on their own);
 * - nothing recorded → record (first sight restarts nothing);
 * - same hash → none;
 * - recorded with another key (the key Secret was replaced) → record: nothing can be compared,
 *   and rolling every workload of the cluster for it would be worse than missing a change made
 *   while no controller with either key was running;
 * - recorded in the previous, plain format with the same content → record in the keyed format
 *   (migration, no rollout);
 * - otherwise restart if an object the workload already tracked with the same keys changed, or an
 *   optional reference appeared or went away (compared in the format the record was written in);
 *   if only the tracked set changed (the pod spec now reads other keys — it rolls by itself — or a
 *   listed object was created or deleted), record.
 */
export function decide(input: DecideInput): RolloutDecision {
  const tracked = trackedObjects(input);
  const missing = tracked.filter((t) => !t.state && !t.optional).map((t) => objectId(t.kind, t.name));
  if (missing.length > 0) return { action: 'wait', missing };
  const { key, recorded } = input;
  const plain = plainDigests(tracked);
  const hash = sealHash(key, plain.hash);
  const objects = recordEntries(plain, key);
  const record = formatRecord(objects, key.id);
  const recordAs = (why: RecordWhy): RolloutDecision => ({ action: 'record', hash, objects: record, why });
  if (!recorded.hash) return recordAs('first-sight');
  if (recorded.hash === hash) return { action: 'none', hash };
  const format = hashFormat(recorded.hash);
  if (format.kind === 'keyed' && format.keyId !== key.id) return recordAs('rekeyed');
  if (format.kind === 'plain' && recorded.hash === plain.hash) return recordAs('migrated');

  const parsed = parseRecord(recorded.objects);
  // Compare like with like: keyed contents with keyed ones, the previous version's with plain ones.
  const now =
    parsed?.keyId === undefined ? recordEntries(plain) : parsed.keyId === key.id ? objects : undefined;
  const before = now ? parsed?.entries : undefined;
  const changes: Change[] = [];
  for (const t of tracked) {
    const id = objectId(t.kind, t.name);
    const cur = now?.get(id);
    const prev = before?.get(id);
    let how: ChangeHow | undefined;
    if (before === undefined || cur === undefined) how = 'changed';
    else if (prev === undefined) how = t.optional && t.state ? 'appeared' : undefined;
    else if (prev.spec === cur.spec && prev.content !== cur.content)
      how = prev.content === ABSENT ? 'appeared' : cur.content === ABSENT ? 'removed' : 'changed';
    if (how === 'appeared' && input.onCreate === false) how = undefined;
    if (how === 'removed' && input.onDelete === false) how = undefined;
    if (how) changes.push({ kind: t.kind, name: t.name, how, keys: t.keys });
  }
  if (changes.length === 0) return recordAs('tracked-set');
  return { action: 'restart', hash, objects: record, changes };
}
