// The relist diff behind the informer's 410 Gone recovery: every change between the old cache and
// the fresh list becomes exactly one event, and unchanged objects none.
import { diffCaches, type Versioned } from '../../../src/runtime/cache-diff';

const cache = (entries: Record<string, string>): Map<string, Versioned> =>
  new Map(Object.entries(entries).map(([k, rv]) => [k, { resourceVersion: rv }]));

test('adds, updates (resourceVersion changed) and deletes, each sorted', () => {
  const old = cache({ 'ns/b': '1', 'ns/a': '2', 'ns/gone': '3', 'ns/same': '4' });
  const next = cache({ 'ns/a': '9', 'ns/b': '8', 'ns/new2': '7', 'ns/new1': '6', 'ns/same': '4' });
  expect(diffCaches(old, next)).toEqual({
    added: ['ns/new1', 'ns/new2'],
    updated: ['ns/a', 'ns/b'],
    deleted: ['ns/gone'],
  });
});

test('identical caches produce no events; empty old cache is all adds; empty list is all deletes', () => {
  const c = cache({ x: '1', y: '2' });
  expect(diffCaches(c, cache({ x: '1', y: '2' }))).toEqual({ added: [], updated: [], deleted: [] });
  expect(diffCaches(new Map(), c)).toEqual({ added: ['x', 'y'], updated: [], deleted: [] });
  expect(diffCaches(c, new Map())).toEqual({ added: [], updated: [], deleted: ['x', 'y'] });
});

test('a delete and re-create under the same key between lists is an update (new resourceVersion)', () => {
  expect(diffCaches(cache({ k: '10' }), cache({ k: '42' }))).toEqual({
    added: [],
    updated: ['k'],
    deleted: [],
  });
});
