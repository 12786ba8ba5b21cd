// Keyed digests on workloads: the format tag, the migration from the previous version's plain
// SHA-256 digests without a rollout, a replaced key without a rollout, and the key Secret.
import { parseOptIn } from '../../../src/controllers/rollout/annotations';
import type { ConsumedRef } from '../../../src/controllers/rollout/consumers';
import { decide, type DecideInput, type ObjectState } from '../../../src/controllers/rollout/decide';
import {
  digestKey,
  hashFormat,
  shortHash,
  type DigestKey,
} from '../../../src/controllers/rollout/digest-format';
import { keyFromSecret, newKeySecret } from '../../../src/controllers/rollout/digest-key';
import { digestsHash, keyDigest } from '../../../src/api/hash';

const KEY = digestKey(Buffer.alloc(32, 1));
const OTHER = digestKey(Buffer.alloc(32, 2));
const AUTO = parseOptIn({ 'reloader.stakater.com/auto': 'true' }, undefined).optIn!;
const REFS: ConsumedRef[] = [{ kind: 'Secret', name: 'db', keys: ['pin'], optional: false }];
const sha = (v: string) => keyDigest(Buffer.from(v));

function input(
  pin: string | undefined,
  recorded: DecideInput['recorded'],
  key: DigestKey = KEY,
  refs = REFS,
) {
  const db: ObjectState | undefined =
    pin === undefined ? undefined : { keys: { pin: sha(pin), other: sha('x') }, ignore: false, match: false };
  return {
    optIn: AUTO,
    consumers: refs,
    object: (k: string, n: string) => (k === 'Secret' && n === 'db' ? db : undefined),
    names: () => (db ? ['db'] : []),
    recorded,
    key,
  } satisfies DecideInput;
}

/** What the previous version wrote for Secret db read at key `pin` (rebuilt by hand from its docs). */
function previousVersion(pin: string): { hash: string; objects: string } {
  const entries: Array<[string, string]> = [['Secret/db/pin', sha(pin)]];
  const spec = sha('pin|false|true').slice(0, 8);
  return { hash: digestsHash(entries), objects: `Secret/db=${digestsHash(entries).slice(0, 16)}.${spec}` };
}

const written = (d: ReturnType<typeof decide>) => {
  if (d.action !== 'record' && d.action !== 'restart') throw new Error(d.action);
  return { hash: d.hash, objects: d.objects };
};

test('plain digests of unchanged content are re-recorded keyed, without a restart', () => {
  const d = decide(input('123456', previousVersion('123456')));
  expect(d).toMatchObject({ action: 'record', why: 'migrated' });
  const w = written(d);
  expect(w.hash).toMatch(new RegExp(`^hmac-sha256:${KEY.id}:[0-9a-f]{64}$`));
  expect(w.objects).toMatch(new RegExp(`^hmac-sha256:${KEY.id}:Secret/db=[0-9a-f]{16}\\.[0-9a-f]{8}$`));
  expect(w.hash).not.toContain(previousVersion('123456').hash);
  // Once migrated, nothing more happens; a later change rolls as usual.
  expect(decide(input('123456', w))).toEqual({ action: 'none', hash: w.hash });
  expect(decide(input('654321', w))).toMatchObject({
    action: 'restart',
    changes: [{ name: 'db', how: 'changed' }],
  });
});

test('plain digests of content changed while the previous version was replaced: one restart, keyed', () => {
  const d = decide(input('999999', previousVersion('123456')));
  expect(d).toMatchObject({ action: 'restart', changes: [{ name: 'db', how: 'changed' }] });
  expect(hashFormat(written(d).hash)).toEqual({ kind: 'keyed', keyId: KEY.id });
});

test('plain digests where only the tracked set changed: recorded keyed, no restart', () => {
  const refs: ConsumedRef[] = [...REFS, { kind: 'Secret', name: 'opt', keys: ['k'], optional: true }];
  expect(decide(input('123456', previousVersion('123456'), KEY, refs))).toMatchObject({
    action: 'record',
    why: 'tracked-set',
  });
});

test('digests made with another key (the key Secret was replaced): re-recorded, no restart', () => {
  const before = written(decide(input('123456', {}, OTHER)));
  expect(decide(input('123456', before))).toMatchObject({ action: 'record', why: 'rekeyed' });
  // Cannot be compared, so a change made meanwhile is not rolled either (documented).
  expect(decide(input('999999', before))).toMatchObject({ action: 'record', why: 'rekeyed' });
});

test('the written digests change when the value changes, and differ per key', () => {
  const a = written(decide(input('123456', {})));
  const b = written(decide(input('123457', {})));
  const c = written(decide(input('123456', {}, OTHER)));
  expect(a.hash).not.toBe(b.hash);
  expect(a.objects).not.toBe(b.objects);
  expect(a.hash.split(':')[2]).not.toBe(c.hash.split(':')[2]);
});

test('an unrecognised hash restarts, as before (conservative)', () => {
  expect(decide(input('1', { hash: 'garbage', objects: 'garbage' }))).toMatchObject({ action: 'restart' });
});

test('hash formats and the short form shown in Events and logs', () => {
  const h = `hmac-sha256:0a1b2c3d:${'f'.repeat(12)}${'0'.repeat(52)}`;
  expect(hashFormat(h)).toEqual({ kind: 'keyed', keyId: '0a1b2c3d' });
  expect(hashFormat('a'.repeat(64))).toEqual({ kind: 'plain' });
  expect(hashFormat('hmac-sha256:0a1b2c3d:abc')).toEqual({ kind: 'unknown' });
  expect(shortHash(h)).toBe('f'.repeat(12));
});

test('the key Secret: a new one holds 32 bytes; short or missing keys are refused, not replaced', () => {
  const bytes = Buffer.alloc(32, 9);
  const s = newKeySecret({ namespace: 'secretsync-system', name: 'k' }, bytes);
  expect(s.metadata).toMatchObject({ namespace: 'secretsync-system', name: 'k' });
  expect(keyFromSecret(s)).toEqual(digestKey(bytes));
  expect(keyFromSecret({ data: { key: Buffer.alloc(16).toString('base64') } })).toEqual({
    problem: 'its "key" holds 16 bytes; at least 32 are needed',
  });
  expect(keyFromSecret({ data: {} })).toEqual({ problem: 'it has no data key "key"' });
});
