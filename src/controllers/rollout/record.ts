// The per-object record kept on a workload beside its consumed-content hash
// (`secretsync.io/last-reload-objects`). The hash alone says "something changed"; the record says
// what: which object's content changed, which optional object appeared or went away, and which
// objects merely entered the tracked set because the pod spec changed (the workload rolls by
// itself then) or a listed Secret was created (Reloader does not roll on creation either).
//
// Format: `hmac-sha256:<key id>:` then entries sorted by id, joined by ",":
// `<Kind>/<name>=<content>.<spec>` where content is the first 16 hex digits of the keyed digest
// (keyedDigest) of the object's digestsHash (or "-" when the object is absent) and spec the first
// 8 hex digits of a digest of which keys are read and whether the reference is optional (names
// only, which the pod spec shows anyway). The previous version wrote the entries without the
// prefix and with the plain digestsHash as content; parseRecord still reads that (keyId
// undefined) so that decide() can migrate it. Object names are DNS subdomains, so they never
// contain "," "=" "/" or ":".
import { KEYED_SCHEME } from './digest-format';

export const ABSENT = '-';

export interface RecordEntry {
  content: string;
  spec: string;
}

export interface ParsedRecord {
  /** The key the contents were made with; undefined: the previous version's plain contents. */
  keyId?: string;
  entries: Map<string, RecordEntry>;
}

export function formatRecord(entries: ReadonlyMap<string, RecordEntry>, keyId?: string): string {
  const list = [...entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, e]) => `${id}=${e.content}.${e.spec}`)
    .join(',');
  return keyId === undefined ? list : `${KEYED_SCHEME}:${keyId}:${list}`;
}

const PREFIX = new RegExp(`^${KEYED_SCHEME}:([0-9a-f]{8}):`);

/** Undefined when the value is missing or not in either format (callers then assume everything changed). */
export function parseRecord(value: string | undefined): ParsedRecord | undefined {
  if (value === undefined) return undefined;
  const m = PREFIX.exec(value);
  const list = m ? value.slice(m[0].length) : value;
  const entries = new Map<string, RecordEntry>();
  const out: ParsedRecord = m ? { keyId: m[1] as string, entries } : { entries };
  if (list === '') return out;
  for (const part of list.split(',')) {
    const e = /^((?:Secret|ConfigMap)\/[^=/,:]+)=([0-9a-f]{16}|-)\.([0-9a-f]{8})$/.exec(part);
    if (!e) return undefined;
    entries.set(e[1] as string, { content: e[2] as string, spec: e[3] as string });
  }
  return out;
}
