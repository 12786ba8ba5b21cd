// What changed between the informer's cache and a fresh list. After a relist (first start, or a
// watch that fell too far behind and got 410 Gone) the informer emits exactly these events, so a
// change that happened while it was not watching is never missed and an unchanged object is never
// re-announced. Pure, so the 410 path is unit-tested without forcing etcd compaction.

/** What the diff needs of a cache entry: the object's resourceVersion. */
export interface Versioned {
  readonly resourceVersion: string;
}

export interface CacheDiff {
  /** Keys in the new list only. */
  added: string[];
  /** Keys in both whose resourceVersion differs. */
  updated: string[];
  /** Keys in the old cache only. */
  deleted: string[];
}

/** Keys added, updated (resourceVersion changed) and deleted going from `old` to `next`, each sorted. */
export function diffCaches(
  old: ReadonlyMap<string, Versioned>,
  next: ReadonlyMap<string, Versioned>,
): CacheDiff {
  const added: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const [key, entry] of next) {
    const before = old.get(key);
    if (before === undefined) added.push(key);
    else if (before.resourceVersion !== entry.resourceVersion) updated.push(key);
  }
  for (const key of old.keys()) if (!next.has(key)) deleted.push(key);
  return { added: added.sort(), updated: updated.sort(), deleted: deleted.sort() };
}
