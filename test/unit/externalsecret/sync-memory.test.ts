import { SyncMemory } from '../../../src/controllers/externalsecret/sync-memory';

test('a rotation request is taken once', () => {
  const m = new SyncMemory(true);
  m.requestRefresh('ns/a');
  m.requestRefresh('ns/a');
  expect(m.takeRefreshRequest('ns/a')).toEqual({ eventAtMs: undefined });
  expect(m.takeRefreshRequest('ns/a')).toBeUndefined();
  expect(m.takeRefreshRequest('ns/b')).toBeUndefined();
});

test('requests before the refresh is taken make one, timed from the earliest rotation event', () => {
  const m = new SyncMemory(true);
  m.requestRefresh('ns/a'); // a version tag seen to move: no event time
  m.requestRefresh('ns/a', 1000);
  m.requestRefresh('ns/a', 2000);
  expect(m.takeRefreshRequest('ns/a')).toEqual({ eventAtMs: 1000 });
  m.requestRefresh('ns/a', 3000);
  m.requestRefresh('ns/a');
  expect(m.takeRefreshRequest('ns/a')).toEqual({ eventAtMs: 3000 });
});

test('version fingerprints are kept only when the fetch plan checks tags', () => {
  const planned = new SyncMemory(true);
  const naive = new SyncMemory(false);
  for (const m of [planned, naive]) {
    m.rememberVersions('ns/a', 'v1');
    m.rememberHash('ns/a', 'h1');
  }
  expect(planned.lastVersions('ns/a')).toBe('v1');
  expect(naive.lastVersions('ns/a')).toBeUndefined();
  expect(naive.lastHash('ns/a')).toBe('h1');
});

test('forget drops everything about one ExternalSecret', () => {
  const m = new SyncMemory(true);
  m.rememberHash('ns/a', 'h');
  m.rememberVersions('ns/a', 'v');
  m.requestRefresh('ns/a');
  m.rememberHash('ns/b', 'hb');
  m.forget('ns/a');
  expect([m.lastHash('ns/a'), m.lastVersions('ns/a'), m.takeRefreshRequest('ns/a')]).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
  expect(m.lastHash('ns/b')).toBe('hb');
});
