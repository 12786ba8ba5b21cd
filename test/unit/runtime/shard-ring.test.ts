import { microTime, type Lease } from '../../../src/kube/lease';
import {
  buildRing,
  expiredLeases,
  INITIAL_VIEW,
  liveMembers,
  mayAct,
  movesBetween,
  observeMembers,
  ownerOf,
  type RingMember,
  SHARD_ACK_ANNOTATION,
  viewId,
  VIRTUAL_NODES,
} from '../../../src/runtime/shard-ring';

// Namespace names as clusters have them: a few hundred teams × environments.
const namespaces = Array.from(
  { length: 300 },
  (_, i) => `team-${i % 100}-${['dev', 'stage', 'prod'][i % 3]}`,
);
const unique = [...new Set(namespaces)];

function shares(members: string[], keys: string[]): Map<string, number> {
  const ring = buildRing(members);
  const counts = new Map(members.map((m) => [m, 0]));
  for (const k of keys) counts.set(ownerOf(ring, k)!, counts.get(ownerOf(ring, k)!)! + 1);
  return counts;
}

describe('consistent-hash ring', () => {
  it.each([300, 1000, 3000])('spreads %i namespaces over 3 members within ±20 %% of a third', (n) => {
    const keys = Array.from({ length: n }, (_, i) => `ns-${i}`);
    const members = [
      'secretsync-7d9f-a1b2_0f3c9e21',
      'secretsync-7d9f-c3d4_9a8b7c6d',
      'secretsync-7d9f-e5f6_11223344',
    ];
    for (const [, count] of shares(members, keys)) {
      expect(count).toBeGreaterThanOrEqual((n / 3) * 0.8);
      expect(count).toBeLessThanOrEqual((n / 3) * 1.2);
    }
  });

  it('does not depend on the order the members are listed in', () => {
    const a = buildRing(['a', 'b', 'c']);
    const b = buildRing(['c', 'a', 'b', 'a']);
    for (const ns of unique) expect(ownerOf(a, ns)).toBe(ownerOf(b, ns));
  });

  it('moves only the joining member’s share on a join, all to it', () => {
    const before = buildRing(['a', 'b', 'c']);
    const after = buildRing(['a', 'b', 'c', 'd']);
    const moves = movesBetween(before, after, unique);
    expect(moves.every((m) => m.to === 'd')).toBe(true);
    // About a quarter moves; never more than a third.
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.length).toBeLessThanOrEqual(unique.length / 3);
  });

  it('moves only the leaving member’s share on a leave', () => {
    const before = buildRing(['a', 'b', 'c']);
    const after = buildRing(['a', 'b']);
    const moves = movesBetween(before, after, unique);
    expect(moves.every((m) => m.from === 'c')).toBe(true);
    expect(moves.length).toBe(unique.filter((ns) => ownerOf(before, ns) === 'c').length);
  });

  it('owns nothing on an empty ring', () => {
    expect(ownerOf(buildRing([]), 'ns')).toBeUndefined();
  });
});

describe('ring membership from Leases', () => {
  const now = Date.parse('2026-12-05T18:00:00Z');
  const lease = (name: string, holder: string | undefined, renewedAgoMs: number, ack?: string): Lease => ({
    metadata: { name, annotations: ack === undefined ? {} : { [SHARD_ACK_ANNOTATION]: ack } },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: microTime(now - renewedAgoMs) },
  });

  it('counts held, unexpired Leases and reads their acknowledgement', () => {
    const leases = [
      lease('r-a', 'a', 1000, 'v1'),
      lease('r-b', 'b', 16_000, 'v1'),
      lease('r-c', undefined, 0),
    ];
    expect(liveMembers(leases, now)).toEqual([{ identity: 'a', ack: 'v1' }]);
    expect(expiredLeases(leases, now).map((l) => l.metadata?.name)).toEqual(['r-b', 'r-c']);
  });
});

describe('move handshake (who may act while the ring changes)', () => {
  const acked = (ids: string[], ack = viewId(ids)): RingMember[] =>
    ids.map((identity) => ({ identity, ack }));
  const unacked = (ids: string[]): RingMember[] => ids.map((identity) => ({ identity, ack: '' }));

  it('members built with another vnode count never settle a view together (a mixed rollout gains nothing)', () => {
    const ab = observeMembers(INITIAL_VIEW, acked(['a', 'b']));
    // b runs a build whose ring has another vnode count: it acknowledges its own id for {a, b}.
    const mixed = observeMembers(ab, [
      { identity: 'a', ack: viewId(['a', 'b']) },
      { identity: 'b', ack: viewId(['a', 'b'], VIRTUAL_NODES / 2) },
    ]);
    expect(viewId(['a', 'b'], VIRTUAL_NODES / 2)).not.toBe(viewId(['a', 'b']));
    const joined = observeMembers(mixed, [
      { identity: 'a', ack: viewId(['a', 'b', 'c']) },
      { identity: 'b', ack: viewId(['a', 'b', 'c'], VIRTUAL_NODES / 2) },
      { identity: 'c', ack: viewId(['a', 'b', 'c']) },
    ]);
    const gained = unique.filter((ns) => ownerOf(buildRing(['a', 'b', 'c']), ns) === 'c');
    expect(gained.length).toBeGreaterThan(0);
    expect(gained.some((ns) => mayAct(joined, 'c', ns))).toBe(false);
  });

  it('a new replica acts on nothing until every member acknowledged the view that includes it', () => {
    const v = observeMembers(INITIAL_VIEW, unacked(['a']));
    expect(unique.some((ns) => mayAct(v, 'a', ns))).toBe(false);
    const settled = observeMembers(v, acked(['a']));
    expect(unique.every((ns) => mayAct(settled, 'a', ns))).toBe(true);
  });

  it('on a join, the old owner stops at once and the new owner waits for every acknowledgement', () => {
    const ab = observeMembers(INITIAL_VIEW, acked(['a', 'b']));
    const moving = unique.filter(
      (ns) => ownerOf(buildRing(['a', 'b']), ns) !== ownerOf(buildRing(['a', 'b', 'c']), ns),
    );
    expect(moving.length).toBeGreaterThan(0);
    // a and b see c join; c has acknowledged, a has not yet drained.
    const abc: RingMember[] = [
      { identity: 'a', ack: viewId(['a', 'b']) },
      { identity: 'b', ack: viewId(['a', 'b', 'c']) },
      { identity: 'c', ack: viewId(['a', 'b', 'c']) },
    ];
    const seenByA = observeMembers(ab, abc);
    const seenByC = observeMembers(observeMembers(INITIAL_VIEW, unacked(['a', 'b', 'c'])), abc);
    for (const ns of moving) {
      expect(mayAct(seenByA, 'a', ns) || mayAct(seenByA, 'b', ns)).toBe(false); // old owner stopped
      expect(mayAct(seenByC, 'c', ns)).toBe(false); // new owner not yet started
    }
    // Namespaces that stay keep their owner throughout.
    for (const ns of unique.filter((n) => !moving.includes(n))) {
      const owner = ownerOf(buildRing(['a', 'b']), ns)!;
      if (owner === 'a') expect(mayAct(seenByA, 'a', ns)).toBe(true);
    }
    const all = acked(['a', 'b', 'c']);
    const settledC = observeMembers(seenByC, all);
    for (const ns of moving) expect(mayAct(settledC, 'c', ns)).toBe(true);
  });

  it('at no step do two replicas act on one namespace, whatever order they see views in', () => {
    // a and b run; c joins, then b crashes (its Lease expires): views reach replicas at different times.
    let a = observeMembers(INITIAL_VIEW, acked(['a', 'b']));
    let b = a;
    let c = INITIAL_VIEW;
    const ack: Record<string, string> = { a: viewId(['a', 'b']), b: viewId(['a', 'b']), c: '' };
    const members = (ids: string[]): RingMember[] =>
      ids.map((identity) => ({ identity, ack: ack[identity]! }));
    const check = () => {
      for (const ns of unique) {
        const actors = [mayAct(a, 'a', ns), mayAct(b, 'b', ns), mayAct(c, 'c', ns)].filter(Boolean).length;
        expect(actors).toBeLessThanOrEqual(1);
      }
    };
    const steps: [string, string[]][] = [
      ['c', ['a', 'b', 'c']],
      ['a', ['a', 'b', 'c']],
      ['c', ['a', 'b', 'c']],
      ['b', ['a', 'b', 'c']],
      ['c', ['a', 'b', 'c']],
      ['a', ['a', 'b', 'c']],
      ['b', ['a', 'b', 'c']],
      ['a', ['a', 'c']], // b is gone for a; b is dead from here on
      ['c', ['a', 'b', 'c']],
      ['c', ['a', 'c']],
      ['a', ['a', 'c']],
      ['c', ['a', 'c']],
      ['a', ['a', 'c']],
    ];
    for (const [who, ids] of steps) {
      if (who === 'a') a = observeMembers(a, members(ids));
      if (who === 'b') b = observeMembers(b, members(ids));
      if (who === 'c') c = observeMembers(c, members(ids));
      if (ids.includes('b') === false) b = { current: buildRing([]), restrict: [] }; // dead: acts on nothing
      // Each replica acknowledges its current view right away (nothing in flight).
      ack[who] = viewId(({ a, b, c } as const)[who as 'a' | 'b' | 'c'].current.members);
      check();
    }
    // Settled on a and c: every namespace has exactly one actor.
    for (const ns of unique) expect([mayAct(a, 'a', ns), mayAct(c, 'c', ns)].filter(Boolean).length).toBe(1);
  });
});
