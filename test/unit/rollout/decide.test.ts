// shouldRestart: first sight, equal, key-level change, scope, reload lists, search, exclude,
// ignore, optional appearance/disappearance, missing required objects, pod-spec changes.
import { parseOptIn, type ObjectKind, type OptIn } from '../../../src/controllers/rollout/annotations';
import type { ConsumedRef } from '../../../src/controllers/rollout/consumers';
import {
  decide,
  trackedObjects,
  type DecideInput,
  type ObjectState,
  type RolloutDecision,
} from '../../../src/controllers/rollout/decide';
import { digestKey } from '../../../src/controllers/rollout/digest-format';
import { digestsHash, keyDigest, keyedDigest } from '../../../src/api/hash';

type Objects = Partial<
  Record<ObjectKind, Record<string, Partial<ObjectState> & { data?: Record<string, string> }>>
>;

const d = (v: string) => keyDigest(Buffer.from(v));
const KEY = digestKey(Buffer.alloc(32, 7));

function state(o: Partial<ObjectState> & { data?: Record<string, string> }): ObjectState {
  return {
    keys: o.keys ?? Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, d(v)])),
    ignore: o.ignore ?? false,
    match: o.match ?? false,
  };
}

function input(optIn: OptIn, consumers: ConsumedRef[], objects: Objects, recorded = {}): DecideInput {
  return {
    optIn,
    consumers,
    object: (k, n) => {
      const o = objects[k]?.[n];
      return o ? state(o) : undefined;
    },
    names: (k) => Object.keys(objects[k] ?? {}),
    recorded,
    key: KEY,
  };
}

const opt = (a: Record<string, string>) => parseOptIn(a, undefined).optIn!;
const AUTO = opt({ 'reloader.stakater.com/auto': 'true' });
const secret = (name: string, keys: string[] | '*', optional = false): ConsumedRef => ({
  kind: 'Secret',
  name,
  keys,
  optional,
});
const cm = (name: string, keys: string[] | '*', optional = false): ConsumedRef => ({
  kind: 'ConfigMap',
  name,
  keys,
  optional,
});

function recordOf(x: RolloutDecision): { hash?: string; objects?: string } {
  if (x.action === 'record' || x.action === 'restart') return { hash: x.hash, objects: x.objects };
  throw new Error(`no record in ${x.action}`);
}

test('first sight records, then nothing while unchanged', () => {
  const objs: Objects = { Secret: { db: { data: { password: 'p1', user: 'u' } } } };
  const first = decide(input(AUTO, [secret('db', ['password'])], objs));
  expect(first).toMatchObject({ action: 'record', why: 'first-sight' });
  const again = decide(input(AUTO, [secret('db', ['password'])], objs, recordOf(first)));
  expect(again).toEqual({ action: 'none', hash: recordOf(first).hash });
});

test('the hash is the keyed digest of digestsHash over Kind/name/key → keyDigest of the consumed keys only', () => {
  const objs: Objects = { Secret: { db: { data: { password: 'p1', user: 'u' } } } };
  const first = decide(input(AUTO, [secret('db', ['password'])], objs));
  const plain = digestsHash([['Secret/db/password', d('p1')]]);
  expect(recordOf(first).hash).toBe(`hmac-sha256:${KEY.id}:${keyedDigest(KEY.bytes, plain)}`);
  expect(recordOf(first).objects).toBe(
    `hmac-sha256:${KEY.id}:Secret/db=${keyedDigest(KEY.bytes, plain).slice(0, 16)}.${keyDigest(Buffer.from('password|false|true')).slice(0, 8)}`,
  );
});

test('a consumed key changes → restart naming the object; an unconsumed key → none', () => {
  const rec = recordOf(
    decide(
      input(AUTO, [secret('db', ['password'])], { Secret: { db: { data: { password: 'p1', user: 'u' } } } }),
    ),
  );
  const unconsumed = decide(
    input(
      AUTO,
      [secret('db', ['password'])],
      { Secret: { db: { data: { password: 'p1', user: 'u2' } } } },
      rec,
    ),
  );
  expect(unconsumed.action).toBe('none');
  const consumed = decide(
    input(
      AUTO,
      [secret('db', ['password'])],
      { Secret: { db: { data: { password: 'p2', user: 'u' } } } },
      rec,
    ),
  );
  expect(consumed).toMatchObject({
    action: 'restart',
    changes: [{ kind: 'Secret', name: 'db', how: 'changed', keys: ['password'] }],
  });
});

test('reload-scope: secret hashes the whole object', () => {
  const o = opt({ 'reloader.stakater.com/auto': 'true', 'secretsync.io/reload-scope': 'secret' });
  const rec = recordOf(
    decide(
      input(o, [secret('db', ['password'])], { Secret: { db: { data: { password: 'p', user: 'u' } } } }),
    ),
  );
  const x = decide(
    input(o, [secret('db', ['password'])], { Secret: { db: { data: { password: 'p', user: 'u2' } } } }, rec),
  );
  expect(x.action).toBe('restart');
});

test('envFrom (all keys): a new key is a change', () => {
  const rec = recordOf(decide(input(AUTO, [cm('cfg', '*')], { ConfigMap: { cfg: { data: { a: '1' } } } })));
  const x = decide(input(AUTO, [cm('cfg', '*')], { ConfigMap: { cfg: { data: { a: '1', b: '2' } } } }, rec));
  expect(x).toMatchObject({
    action: 'restart',
    changes: [{ kind: 'ConfigMap', name: 'cfg', how: 'changed' }],
  });
});

test('Secret and ConfigMap changed together → one restart naming both', () => {
  const refs = [secret('s', ['k']), cm('c', ['k'])];
  const rec = recordOf(
    decide(
      input(AUTO, refs, { Secret: { s: { data: { k: '1' } } }, ConfigMap: { c: { data: { k: '1' } } } }),
    ),
  );
  const x = decide(
    input(AUTO, refs, { Secret: { s: { data: { k: '2' } } }, ConfigMap: { c: { data: { k: '2' } } } }, rec),
  );
  expect(x.action === 'restart' && x.changes.map((c) => `${c.kind}/${c.name}`)).toEqual([
    'Secret/s',
    'ConfigMap/c',
  ]);
});

test('typed auto ignores the other kind', () => {
  const o = opt({ 'secret.reloader.stakater.com/auto': 'true' });
  const refs = [secret('s', ['k']), cm('c', ['k'])];
  const tracked = trackedObjects(
    input(o, refs, { Secret: { s: { data: { k: '1' } } }, ConfigMap: { c: { data: { k: '1' } } } }),
  );
  expect(tracked.map((t) => `${t.kind}/${t.name}`)).toEqual(['Secret/s']);
});

test('reload list: referenced objects at key level, listed-only objects whole, regex anchored', () => {
  const o = opt({ 'secret.reloader.stakater.com/reload': 'db,api-.*' });
  const objs: Objects = {
    Secret: {
      db: { data: { k: '1', other: 'x' } },
      'api-key': { data: { t: '1' } },
      'my-api-key': { data: { t: '1' } },
      x: { data: {} },
    },
  };
  const tracked = trackedObjects(input(o, [secret('db', ['k']), secret('x', ['k'])], objs));
  expect(tracked.map((t) => [`${t.kind}/${t.name}`, t.keys, t.referenced])).toEqual([
    ['Secret/db', ['k'], true],
    ['Secret/api-key', '*', false],
  ]);
  const rec = recordOf(decide(input(o, [secret('db', ['k'])], objs)));
  const changed: Objects = { Secret: { ...objs.Secret, 'api-key': { data: { t: '2' } } } };
  expect(decide(input(o, [secret('db', ['k'])], changed, rec))).toMatchObject({
    action: 'restart',
    changes: [{ name: 'api-key', how: 'changed', keys: '*' }],
  });
});

test('a listed-only object that is created or deleted is recorded, not rolled (not a reference)', () => {
  const o = opt({ 'secretsync.io/reload': 'extra-.*' });
  const rec = recordOf(decide(input(o, [], { Secret: {} })));
  const created = decide(input(o, [], { Secret: { 'extra-1': { data: { a: '1' } } } }, rec));
  expect(created).toMatchObject({ action: 'record', why: 'tracked-set' });
  const deleted = decide(input(o, [], { Secret: {} }, recordOf(created)));
  expect(deleted).toMatchObject({ action: 'record' });
});

test('search: only referenced objects annotated match count', () => {
  const o = opt({ 'reloader.stakater.com/search': 'true' });
  const objs: Objects = { Secret: { m: { data: { k: '1' }, match: true }, n: { data: { k: '1' } } } };
  expect(trackedObjects(input(o, [secret('m', ['k']), secret('n', ['k'])], objs)).map((t) => t.name)).toEqual(
    ['m'],
  );
});

test('exclude and ignore remove objects; auto still covers the rest', () => {
  const o = opt({
    'reloader.stakater.com/auto': 'true',
    'secrets.exclude.reloader.stakater.com/reload': 'ex',
  });
  const objs: Objects = {
    Secret: { ex: { data: { k: '1' } }, ig: { data: { k: '1' }, ignore: true }, ok: { data: { k: '1' } } },
  };
  const refs = [secret('ex', ['k']), secret('ig', ['k']), secret('ok', ['k'])];
  expect(trackedObjects(input(o, refs, objs)).map((t) => t.name)).toEqual(['ok']);
  const rec = recordOf(decide(input(o, refs, objs)));
  const changed: Objects = {
    Secret: { ex: { data: { k: '2' } }, ig: { data: { k: '2' }, ignore: true }, ok: { data: { k: '1' } } },
  };
  expect(decide(input(o, refs, changed, rec)).action).toBe('none');
});

test('a missing required object: wait (no record, no restart); when it appears first: record only', () => {
  const refs = [secret('db', ['k'])];
  expect(decide(input(AUTO, refs, {}))).toEqual({ action: 'wait', missing: ['Secret/db'] });
  expect(decide(input(AUTO, refs, { Secret: { db: { data: { k: '1' } } } }))).toMatchObject({
    action: 'record',
    why: 'first-sight',
  });
});

test('a required object deleted and recreated: restart only if its content differs', () => {
  const refs = [secret('db', ['k'])];
  const rec = recordOf(decide(input(AUTO, refs, { Secret: { db: { data: { k: '1' } } } })));
  expect(decide(input(AUTO, refs, {}, rec)).action).toBe('wait');
  expect(decide(input(AUTO, refs, { Secret: { db: { data: { k: '1' } } } }, rec)).action).toBe('none');
  expect(decide(input(AUTO, refs, { Secret: { db: { data: { k: '2' } } } }, rec)).action).toBe('restart');
});

test('an optional reference: appearing rolls, disappearing rolls', () => {
  const refs = [secret('opt', ['k'], true)];
  const rec = recordOf(decide(input(AUTO, refs, {})));
  const appeared = decide(input(AUTO, refs, { Secret: { opt: { data: { k: '1' } } } }, rec));
  expect(appeared).toMatchObject({ action: 'restart', changes: [{ name: 'opt', how: 'appeared' }] });
  const removed = decide(input(AUTO, refs, {}, recordOf(appeared)));
  expect(removed).toMatchObject({ action: 'restart', changes: [{ name: 'opt', how: 'removed' }] });
});

test('--reload-on-create=false / --reload-on-delete=false: appearing / going away is recorded only', () => {
  const refs = [secret('opt', ['k'], true)];
  const rec = recordOf(decide(input(AUTO, refs, {})));
  const there = { Secret: { opt: { data: { k: '1' } } } };
  const appeared = decide({ ...input(AUTO, refs, there, rec), onCreate: false });
  expect(appeared).toMatchObject({ action: 'record', why: 'tracked-set' });
  expect(decide({ ...input(AUTO, refs, there, rec), onDelete: false }).action).toBe('restart');
  const removed = decide({ ...input(AUTO, refs, {}, recordOf(appeared)), onDelete: false });
  expect(removed).toMatchObject({ action: 'record', why: 'tracked-set' });
  expect(decide({ ...input(AUTO, refs, {}, recordOf(appeared)), onCreate: false }).action).toBe('restart');
  // A change of content is neither: it still rolls.
  const changed = { Secret: { opt: { data: { k: '2' } } } };
  expect(
    decide({ ...input(AUTO, refs, changed, recordOf(appeared)), onCreate: false, onDelete: false }).action,
  ).toBe('restart');
});

test('an optional reference found by search appears with match → rolls', () => {
  const o = opt({ 'reloader.stakater.com/search': 'true' });
  const refs = [secret('opt', ['k'], true)];
  const rec = recordOf(decide(input(o, refs, {})));
  const x = decide(input(o, refs, { Secret: { opt: { data: { k: '1' }, match: true } } }, rec));
  expect(x).toMatchObject({ action: 'restart', changes: [{ how: 'appeared' }] });
});

test('the pod spec changes what it reads → record only (the template change rolls it already)', () => {
  const objs: Objects = { Secret: { db: { data: { a: '1', b: '1' } }, new: { data: { x: '1' } } } };
  const rec = recordOf(decide(input(AUTO, [secret('db', ['a'])], objs)));
  expect(decide(input(AUTO, [secret('db', ['a', 'b'])], objs, rec))).toMatchObject({
    action: 'record',
    why: 'tracked-set',
  });
  expect(decide(input(AUTO, [secret('db', ['a']), secret('new', ['x'])], objs, rec))).toMatchObject({
    action: 'record',
  });
  expect(decide(input(AUTO, [], objs, rec))).toMatchObject({ action: 'record' });
});

test('an unreadable record with a different hash restarts (conservative)', () => {
  const refs = [secret('db', ['k'])];
  const rec = recordOf(decide(input(AUTO, refs, { Secret: { db: { data: { k: '1' } } } })));
  const x = decide(
    input(AUTO, refs, { Secret: { db: { data: { k: '2' } } } }, { hash: rec.hash, objects: 'garbage' }),
  );
  expect(x).toMatchObject({ action: 'restart', changes: [{ name: 'db', how: 'changed' }] });
});

test('a consumed key missing from an existing object is part of the hash', () => {
  const refs = [secret('db', ['k'])];
  const rec = recordOf(decide(input(AUTO, refs, { Secret: { db: { data: {} } } })));
  expect(decide(input(AUTO, refs, { Secret: { db: { data: { k: '1' } } } }, rec)).action).toBe('restart');
});
