// Words for rollout Events, logs and metrics: which object changed and which of the keys the
// workload reads — names only, never values. The changed keys come from the informer (old vs new
// per-key digests) and are collected per workload during the debounce window.
import type { ObjectKind } from './annotations';
import type { Change } from './decide';
import { shortHash } from './digest-format';

/** Keys seen changing in one object since the workload was last processed. */
export interface SeenChange {
  keys: Set<string>;
}

/** Keys whose digest differs between two states (added, removed or changed). */
export function changedKeys(
  before: Readonly<Record<string, string>> | undefined,
  after: Readonly<Record<string, string>> | undefined,
): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(after ?? {})) if (before?.[k] !== v) out.add(k);
  for (const k of Object.keys(before ?? {})) if (after?.[k] === undefined) out.add(k);
  return [...out].sort();
}

const MAX_KEYS = 20;

function keyList(keys: string[]): string {
  const shown = keys.slice(0, MAX_KEYS).join(', ');
  return keys.length > MAX_KEYS ? `${shown}, … (${keys.length} keys)` : shown;
}

/** "Secret db-creds changed (password)", "ConfigMap flags appeared", … */
export function describeChange(c: Change, seen: ReadonlyMap<string, SeenChange> | undefined): string {
  const what = `${c.kind} ${c.name}`;
  if (c.how !== 'changed') return `${what} ${c.how === 'appeared' ? 'appeared' : 'was deleted'}`;
  const observed = seen?.get(`${c.kind}/${c.name}`);
  if (!observed || observed.keys.size === 0) return `${what} changed while secretsync was not watching`;
  const keys = [...observed.keys].filter((k) => c.keys === '*' || c.keys.includes(k)).sort();
  return keys.length > 0 ? `${what} changed (${keyList(keys)})` : `${what} changed`;
}

export function rolloutMessage(
  changes: readonly Change[],
  seen: ReadonlyMap<string, SeenChange> | undefined,
  hash: string,
) {
  return `Restarting pods: ${changes.map((c) => describeChange(c, seen)).join('; ')} (content hash ${shortHash(hash)})`;
}

/** The metric's reason label: the strongest cause among the changes. */
export function rolloutReason(changes: readonly Change[]): string {
  if (changes.some((c) => c.how === 'changed')) return 'content-changed';
  if (changes.some((c) => c.how === 'appeared')) return 'optional-appeared';
  return 'optional-removed';
}

export const objectRef = (kind: ObjectKind, name: string) => `${kind}/${name}`;
