// The per-object record on workloads, and the words used in Events.
import type { Change } from '../../../src/controllers/rollout/decide';
import {
  changedKeys,
  describeChange,
  rolloutMessage,
  rolloutReason,
} from '../../../src/controllers/rollout/describe';
import { formatRecord, parseRecord } from '../../../src/controllers/rollout/record';

test('record round-trips, sorted, tagged with the key id; malformed values are rejected', () => {
  const m = new Map([
    ['Secret/b', { content: '0123456789abcdef', spec: '01234567' }],
    ['ConfigMap/a.b-c', { content: '-', spec: 'abcdef01' }],
  ]);
  const s = formatRecord(m, 'a1b2c3d4');
  expect(s).toBe('hmac-sha256:a1b2c3d4:ConfigMap/a.b-c=-.abcdef01,Secret/b=0123456789abcdef.01234567');
  expect(parseRecord(s)).toEqual({ keyId: 'a1b2c3d4', entries: new Map([...m.entries()].reverse()) });
  expect(parseRecord('hmac-sha256:a1b2c3d4:')).toEqual({ keyId: 'a1b2c3d4', entries: new Map() });
  expect(parseRecord(undefined)).toBeUndefined();
  expect(parseRecord('Pod/x=0123456789abcdef.01234567')).toBeUndefined();
  expect(parseRecord('Secret/x=zz.01234567')).toBeUndefined();
  expect(parseRecord('hmac-sha256:a1b2c3:Secret/x=0123456789abcdef.01234567')).toBeUndefined();
});

test("the previous version's untagged record still parses, without a key id", () => {
  const plain = 'ConfigMap/a.b-c=-.abcdef01,Secret/b=0123456789abcdef.01234567';
  expect(formatRecord(parseRecord(plain)!.entries)).toBe(plain);
  expect(parseRecord(plain)?.keyId).toBeUndefined();
  expect(parseRecord('')).toEqual({ entries: new Map() });
});

test('changed keys: added, removed and changed digests', () => {
  expect(changedKeys({ a: '1', b: '2', c: '3' }, { a: '1', b: '9', d: '4' })).toEqual(['b', 'c', 'd']);
  expect(changedKeys(undefined, { a: '1' })).toEqual(['a']);
  expect(changedKeys({ a: '1' }, undefined)).toEqual(['a']);
});

test('messages name objects and consumed keys, never values', () => {
  const seen = new Map([['Secret/db', { keys: new Set(['password', 'unread']) }]]);
  const c: Change = { kind: 'Secret', name: 'db', how: 'changed', keys: ['password', 'user'] };
  expect(describeChange(c, seen)).toBe('Secret db changed (password)');
  expect(describeChange({ ...c, keys: '*' }, seen)).toBe('Secret db changed (password, unread)');
  expect(describeChange(c, undefined)).toBe('Secret db changed while secretsync was not watching');
  expect(describeChange({ ...c, how: 'appeared' }, seen)).toBe('Secret db appeared');
  expect(describeChange({ ...c, how: 'removed', kind: 'ConfigMap' }, seen)).toBe('ConfigMap db was deleted');
  expect(rolloutMessage([c], seen, `hmac-sha256:a1b2c3d4:abcdef0123456789${'0'.repeat(48)}`)).toBe(
    'Restarting pods: Secret db changed (password) (content hash abcdef012345)',
  );
  expect(rolloutReason([{ ...c, how: 'removed' }, c])).toBe('content-changed');
  expect(rolloutReason([{ ...c, how: 'appeared' }])).toBe('optional-appeared');
  expect(rolloutReason([{ ...c, how: 'removed' }])).toBe('optional-removed');
});
