// The per-object record kept on a workload beside its consumed-content hash
// (`secretsync.io/last-reload-objects`). The hash alone says "something changed"; the record says
// what: which object's content changed, which optional object appeared or went away, and which
// objects merely entered the tracked set because the pod spec changed (the workload rolls by
// itself then) or a listed Secret was created (Reloader does not roll on creation either).
//
// Format: entries sorted by id, joined by ",": `<Kind>/<name>=<content>.<spec>` where content is
// the first 16 hex digits of the object's digestsHash (or "-" when the object is absent) and spec
// the first 8 hex digits of a digest of which keys are read and whether the reference is optional.
// Object names are DNS subdomains, so they never contain "," "=" or "/".

export const ABSENT = '-';

export interface RecordEntry {
  content: string;
  spec: string;
}

export function formatRecord(entries: ReadonlyMap<string, RecordEntry>): string {
  return [...entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, e]) => `${id}=${e.content}.${e.spec}`)
    .join(',');
}

/** Undefined when the value is missing or not in this format (callers then assume everything changed). */
export function parseRecord(value: string | undefined): Map<string, RecordEntry> | undefined {
  if (value === undefined) return undefined;
  const out = new Map<string, RecordEntry>();
  if (value === '') return out;
  for (const part of value.split(',')) {
    const m = /^((?:Secret|ConfigMap)\/[^=/,]+)=([0-9a-f]{16}|-)\.([0-9a-f]{8})$/.exec(part);
    if (!m) return undefined;
    out.set(m[1] as string, { content: m[2] as string, spec: m[3] as string });
  }
  return out;
}
