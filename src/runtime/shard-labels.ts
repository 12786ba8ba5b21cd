// The shard label (--sharding), pure: which replica's filtered watches should hold an object. The
// leader's sharder (sharder.ts) writes `shard.secretsync.io/<ring>=<member>` on every
// ExternalSecret and managed Secret, <member> being the ring owner of the object's namespace; each
// replica watches with that label selector, so the apiserver sends it only its share. The label is
// a cache filter: who may act on a namespace is still decided by the Lease acknowledgements
// (shard-ring.ts), so a label that lags a ring change can delay work but never doubles it.
import { createHash } from 'node:crypto';
import { LABEL } from '../api/constants';
import { ownerOf, type Ring } from './shard-ring';

/** The label key of a ring (a DNS label of ≤ 32 characters, checked by the config: a valid name part). */
export function shardLabelKey(ring: string): string {
  return `${LABEL.shardPrefix}${ring}`;
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * A member's label value: its identity when that is a valid label value (≤ 63 characters of
 * letters, digits, '-', '_', '.', alphanumeric at both ends; pod_suffix identities are), else a
 * readable prefix of it with a hash of the whole identity, so that two identities never share one.
 */
export function shardLabelValue(identity: string): string {
  if (LABEL_VALUE.test(identity)) return identity;
  const hash = createHash('sha1').update(identity).digest('hex').slice(0, 10);
  const readable = identity
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .slice(0, 52)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return readable ? `${readable}-${hash}` : hash;
}

/** The label value an object of `namespace` should carry in this ring; undefined on an empty ring. */
export function wantedShardLabel(ring: Ring, namespace: string): string | undefined {
  const owner = ownerOf(ring, namespace);
  return owner === undefined ? undefined : shardLabelValue(owner);
}

/** The value to write on an object whose label is `current`; undefined when it is right (or the ring empty). */
export function relabel(ring: Ring, namespace: string, current: string | undefined): string | undefined {
  const want = wantedShardLabel(ring, namespace);
  return want === undefined || want === current ? undefined : want;
}

/**
 * Whether an object that left a replica's label-filtered watch was moved to another replica:
 * `live` are the labels it has now (undefined: it is gone). The watch cannot tell: the apiserver
 * reports an object that stopped matching the selector as DELETED, with its previous state (our
 * label still on it), exactly as a deletion.
 */
export function movedAway(
  live: Readonly<Record<string, string>> | undefined,
  label: { key: string; value: string },
): boolean {
  return live !== undefined && live[label.key] !== label.value;
}

/** Labels of an ExternalSecret that are part of what it asks for: all but shard labels. */
export function withoutShardLabels(
  labels: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (!labels) return labels;
  const out: Record<string, string> = {};
  let dropped = false;
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(LABEL.shardPrefix)) dropped = true;
    else out[k] = v;
  }
  return dropped ? out : (labels as Record<string, string>);
}

/** The shard labels among these (what a rewrite of an object's labels must keep). */
export function shardLabelsOf(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k.startsWith(LABEL.shardPrefix)));
}
