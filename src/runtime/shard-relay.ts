// Messages between the members of a shard ring, carried in their Leases. A rotation event reaches
// one replica (the leader holds the Pub/Sub or SQS subscription: its consumers compete, so the
// others would not see it), while the ExternalSecrets it concerns belong to the replicas owning
// their namespaces. The receiving replica posts the event in its own Lease (an annotation it writes
// on its next renewal, at once after posting), and every member applies what is new in the others'
// Leases on its next round, within a retry period, instead of at the next refresh.
// Pure: what a member posts and what it takes from the Leases it listed.
import type { Lease } from '../kube/lease';

/** The annotation holding a member's recent messages (JSON of an Outbox). */
export const SHARD_RELAY_ANNOTATION = 'secretsync.io/shard-relay';

export interface RelayMessage {
  /** Increases by one per message of an outbox. */
  seq: number;
  /** When posted (ms since the epoch): kept for `keepMs`, then dropped. */
  at: number;
  /** What it is about (for rotations: the store id) and its items (the remote names). */
  topic: string;
  items: string[];
}

export interface Outbox {
  /** Changes when the posting process restarts: its sequence numbers start again. */
  epoch: string;
  /** The seq of the last message posted (still counted when expired messages are gone). */
  last: number;
  messages: RelayMessage[];
}

/** Bounds on one outbox: a Lease is renewed every retry period, so it stays small. */
export const RELAY_MAX_MESSAGES = 64;
export const RELAY_MAX_ITEMS = 100;

export function emptyOutbox(epoch: string): Outbox {
  return { epoch, last: 0, messages: [] };
}

/** The outbox with a message added (items capped), oldest dropped beyond the bounds. */
export function post(box: Outbox, topic: string, items: readonly string[], nowMs: number): Outbox {
  const seq = box.last + 1;
  const message = { seq, at: nowMs, topic, items: [...new Set(items)].slice(0, RELAY_MAX_ITEMS) };
  return { epoch: box.epoch, last: seq, messages: [...box.messages, message].slice(-RELAY_MAX_MESSAGES) };
}

/** The outbox without messages older than keepMs (every member has read them by then). */
export function expire(box: Outbox, nowMs: number, keepMs: number): Outbox {
  const messages = box.messages.filter((m) => nowMs - m.at < keepMs);
  return messages.length === box.messages.length ? box : { ...box, messages };
}

/** What a member has taken from each other member's outbox: Lease name → epoch and last seq. */
export type Seen = ReadonlyMap<string, { epoch: string; seq: number }>;

/** A Lease's outbox; undefined when absent or not in the expected shape. */
export function outboxOf(lease: Lease): Outbox | undefined {
  const raw = (lease.metadata?.annotations as Record<string, string> | undefined)?.[SHARD_RELAY_ANNOTATION];
  if (!raw) return undefined;
  try {
    const box = JSON.parse(raw) as Partial<Outbox>;
    if (typeof box.epoch !== 'string' || typeof box.last !== 'number' || !Array.isArray(box.messages))
      return undefined;
    const messages = box.messages.filter(
      (m): m is RelayMessage =>
        typeof m?.seq === 'number' &&
        typeof m.at === 'number' &&
        typeof m.topic === 'string' &&
        Array.isArray(m.items) &&
        m.items.every((i) => typeof i === 'string'),
    );
    return { epoch: box.epoch, last: box.last, messages };
  } catch {
    return undefined;
  }
}

/**
 * The messages new to this member in the others' Leases, and what it has seen after taking them.
 * On its first round (`first`) a member takes nothing: its start-up sync reads everything anyway.
 * A Lease seen for the first time later, or with a new epoch (its process restarted), is taken
 * whole: its messages were posted after this member joined.
 */
export function takeNew(
  seen: Seen,
  leases: readonly Lease[],
  ownLease: string,
  first: boolean,
): { messages: RelayMessage[]; seen: Seen } {
  const next = new Map<string, { epoch: string; seq: number }>();
  const messages: RelayMessage[] = [];
  for (const lease of leases) {
    const name = lease.metadata?.name;
    if (!name || name === ownLease) continue;
    const box = outboxOf(lease);
    if (!box) continue;
    const before = seen.get(name);
    const from = first ? Infinity : before?.epoch === box.epoch ? before.seq : 0;
    const fresh = box.messages.filter((m) => m.seq > from);
    messages.push(...fresh);
    next.set(name, { epoch: box.epoch, seq: box.last });
  }
  return { messages, seen: next };
}
