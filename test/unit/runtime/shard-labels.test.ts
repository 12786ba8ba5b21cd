// The shard label (--sharding): its key per ring, a valid label value per member, which objects a
// ring view relabels, and how a replica tells a move out of its filtered watch from a deletion.
import {
  movedAway,
  relabel,
  shardLabelKey,
  shardLabelValue,
  wantedShardLabel,
  withoutShardLabels,
} from '../../../src/runtime/shard-labels';
import { buildRing, movesBetween, ownerOf } from '../../../src/runtime/shard-ring';

/** Kubernetes' rules for a label value, and for the name part of a label key. */
const VALID_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const validValue = (v: string) => v.length <= 63 && VALID_VALUE.test(v);

const namespaces = Array.from({ length: 200 }, (_, i) => `team-${i}`);
const members = [
  'secretsync-7d9f-abcde_0a1b2c3d',
  'secretsync-7d9f-fghij_4e5f6a7b',
  'secretsync-7d9f-klmno_8c9d0e1f',
];

describe('label key', () => {
  test('shard.secretsync.io/<ring>; a 32-character ring (the longest the config allows) fits the 63 of a name', () => {
    expect(shardLabelKey('secretsync')).toBe('shard.secretsync.io/secretsync');
    const name = shardLabelKey('a'.repeat(32)).split('/')[1]!;
    expect(name.length).toBeLessThanOrEqual(63);
  });
});

describe('label value of a member', () => {
  test('a pod_suffix identity is its own value', () => {
    for (const m of members) expect(shardLabelValue(m)).toBe(m);
  });

  test('too long, or with characters a label value cannot hold: valid, readable, and distinct per identity', () => {
    const long = `${'p'.repeat(70)}_0a1b2c3d`;
    const long2 = `${'p'.repeat(70)}_4e5f6a7b`;
    const odd = ['node:1/pod', '-leading', 'trailing.', '___', 'ünïcode', '', long, long2];
    const values = odd.map(shardLabelValue);
    for (const v of values) expect([v, validValue(v) && v !== '']).toEqual([v, true]);
    expect(new Set(values).size).toBe(odd.length);
    expect(shardLabelValue('node:1/pod')).toMatch(/^node-1-pod-[0-9a-f]{10}$/);
    expect(shardLabelValue(long).length).toBeLessThanOrEqual(63);
  });
});

describe('which label an object wants', () => {
  const ring = buildRing(members);

  test("its namespace's owner in the view", () => {
    for (const ns of namespaces) expect(wantedShardLabel(ring, ns)).toBe(shardLabelValue(ownerOf(ring, ns)!));
  });

  test('unlabelled objects are labelled; rightly labelled ones are left alone', () => {
    for (const ns of namespaces) {
      expect(relabel(ring, ns, undefined)).toBe(wantedShardLabel(ring, ns));
      expect(relabel(ring, ns, wantedShardLabel(ring, ns))).toBeUndefined();
    }
  });

  test('an empty view (before the first one, or no member live) relabels nothing', () => {
    expect(relabel(buildRing([]), 'team-1', undefined)).toBeUndefined();
    expect(relabel(buildRing([]), 'team-1', 'gone')).toBeUndefined();
  });

  test('a member leaving: exactly its namespaces are relabelled, to the members that gain them', () => {
    const before = buildRing(members);
    const after = buildRing(members.slice(0, 2));
    const labelled = new Map(namespaces.map((ns) => [ns, wantedShardLabel(before, ns)]));
    const relabelled = namespaces.filter((ns) => relabel(after, ns, labelled.get(ns)) !== undefined);
    const moves = movesBetween(before, after, namespaces);
    expect(relabelled).toEqual(moves.map((m) => m.key));
    expect(moves.every((m) => m.from === members[2])).toBe(true);
    for (const m of moves) expect(relabel(after, m.key, labelled.get(m.key))).toBe(shardLabelValue(m.to!));
  });

  test('a member joining: only what it gains is relabelled', () => {
    const before = buildRing(members.slice(0, 2));
    const after = buildRing(members);
    const relabelled = namespaces.filter(
      (ns) => relabel(after, ns, wantedShardLabel(before, ns)) !== undefined,
    );
    expect(relabelled.every((ns) => ownerOf(after, ns) === members[2])).toBe(true);
    expect(relabelled).toEqual(movesBetween(before, after, namespaces).map((m) => m.key));
  });
});

describe('what leaving a filtered watch means', () => {
  const me = { key: shardLabelKey('secretsync'), value: shardLabelValue(members[0]!) };

  test('still there, relabelled to another member or unlabelled: moved away', () => {
    expect(movedAway({ [me.key]: shardLabelValue(members[1]!) }, me)).toBe(true);
    expect(movedAway({ app: 'x' }, me)).toBe(true);
  });

  test('gone, or still ours (it left for another reason, e.g. its managed label was removed): not a move', () => {
    expect(movedAway(undefined, me)).toBe(false);
    expect(movedAway({ [me.key]: me.value, app: 'x' }, me)).toBe(false);
  });
});

describe('withoutShardLabels', () => {
  test('drops shard labels of any ring, keeps the rest (and the same object when there are none)', () => {
    const plain = { app: 'x' };
    expect(withoutShardLabels(plain)).toBe(plain);
    expect(
      withoutShardLabels({ app: 'x', 'shard.secretsync.io/a': '1', 'shard.secretsync.io/b': '2' }),
    ).toEqual(plain);
    expect(withoutShardLabels(undefined)).toBeUndefined();
  });
});
