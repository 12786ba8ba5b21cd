// Pure parts of `secretsync status` (rows, ages, table) and `secretsync sync` (target parsing, when
// a forced sync has happened).
import type { ExternalSecret } from '../../../src/api/generated';
import { age, formatClusterTable, formatTable, toRow } from '../../../src/cli/status';
import { parseTarget, syncOutcome } from '../../../src/cli/sync';

const T0 = Date.parse('2026-05-01T12:00:00Z');

function es(
  status?: ExternalSecret['status'],
  extra: Partial<ExternalSecret['spec']> = {},
  annotations?: Record<string, string>,
): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: 'shop', ...(annotations && { annotations }) },
    spec: { secretStoreRef: { name: 'gcp', kind: 'ClusterSecretStore' }, data: [], ...extra },
    ...(status && { status }),
  } as ExternalSecret;
}

const ready = (
  status: 'True' | 'False',
  reason: string,
  message: string,
  lastTransitionTime = '2026-05-01T11:00:00Z',
) => ({
  conditions: [{ type: 'Ready' as const, status, reason, message, lastTransitionTime }],
});

test('age is kubectl-like', () => {
  expect(age(T0, T0 + 45_000)).toBe('45s');
  expect(age(T0, T0 + 312_000)).toBe('5m12s');
  expect(age(T0, T0 + 42 * 60_000)).toBe('42m');
  expect(age(T0, T0 + (5 * 60 + 12) * 60_000)).toBe('5h12m');
  expect(age(T0, T0 + 30 * 3600_000)).toBe('30h');
  expect(age(T0, T0 + (3 * 24 + 4) * 3600_000)).toBe('3d4h');
  expect(age(T0, T0 + 20 * 24 * 3600_000)).toBe('20d');
  expect(age(T0 + 5000, T0)).toBe('0s');
});

test('a row shows store, refresh, reason, ready, last sync and message', () => {
  const synced = es(
    { ...ready('True', 'SecretSynced', 'Secret was synced'), refreshTime: '2026-05-01T11:58:00Z' },
    { refreshInterval: '15m' },
  );
  expect(toRow(synced, T0)).toEqual({
    namespace: 'shop',
    name: 'db',
    store: 'css/gcp',
    refresh: '15m',
    reason: 'SecretSynced',
    ready: 'True',
    lastSync: '2m ago',
    message: 'Secret was synced',
  });
  const pending = es(
    undefined,
    { secretStoreRef: { name: 'local' } },
    { 'secretsync.io/refresh-schedule': '0 * * * *' },
  );
  expect(toRow(pending, T0)).toMatchObject({
    store: 'ss/local',
    refresh: 'cron 0 * * * *',
    reason: '<pending>',
    ready: 'Unknown',
    lastSync: '<never>',
  });
  expect(toRow(es(undefined, { secretStoreRef: undefined }), T0)).toMatchObject({
    store: '<per entry>',
    refresh: '1h0m0s',
  });
});

test('the table aligns columns and cuts long messages', () => {
  const rows = [
    toRow(
      es({ ...ready('True', 'SecretSynced', 'Secret was synced'), refreshTime: '2026-05-01T11:59:00Z' }),
      T0,
    ),
    { ...toRow(es(ready('False', 'RemoteKeyNotFound', 'x'.repeat(200))), T0), name: 'api-key' },
  ];
  const lines = formatTable(rows, { maxMessage: 40 }).split('\n');
  expect(lines[0]).toMatch(/^NAMESPACE +NAME +STORE +REFRESH +STATUS +READY +LAST SYNC +MESSAGE$/);
  const col = lines[0]!.indexOf('STATUS');
  expect(lines[1]!.slice(col)).toMatch(/^SecretSynced /);
  expect(lines[2]!.slice(col)).toMatch(/^RemoteKeyNotFound /);
  expect(lines[2]!.endsWith(`${'x'.repeat(39)}…`)).toBe(true);
  expect(formatTable(rows, { namespace: false }).split('\n')[0]).toMatch(/^NAME /);
});

test('ClusterExternalSecrets: their ExternalSecret, namespaces held, failed ones and Ready', () => {
  const lines = formatClusterTable(
    [
      {
        metadata: { name: 'pull' },
        spec: { externalSecretName: 'registry', externalSecretSpec: { data: [] } },
        status: {
          externalSecretName: 'registry',
          provisionedNamespaces: ['a', 'b'],
          failedNamespaces: [{ namespace: 'c', reason: 'clash' }],
          conditions: [
            { type: 'Ready', status: 'False', message: `1 namespace failed (c)${'x'.repeat(100)}` },
          ],
        },
      },
      { metadata: { name: 'new' }, spec: { externalSecretSpec: { data: [] } } },
    ],
    40,
  ).split('\n');
  expect(lines[0]).toMatch(/^CLUSTEREXTERNALSECRET +EXTERNALSECRET +NAMESPACES +FAILED +READY +MESSAGE$/);
  expect(lines[1]).toMatch(/^pull +registry +2 +c +False +1 namespace failed \(c\)x+…$/);
  expect(lines[1]!.length).toBe(lines[0]!.indexOf('MESSAGE') + 40);
  expect(lines[2]).toMatch(/^new +new +0 +- +Unknown$/);
});

test('sync targets: ns/name, or name with -n', () => {
  expect(parseTarget('shop/db')).toEqual({ namespace: 'shop', name: 'db' });
  expect(parseTarget('db', 'shop')).toEqual({ namespace: 'shop', name: 'db' });
  expect(parseTarget('shop/db', 'shop')).toEqual({ namespace: 'shop', name: 'db' });
  expect(() => parseTarget('db')).toThrow(/expected <namespace>\/<name>/);
  expect(() => parseTarget('a/b/c')).toThrow(/expected/);
  expect(() => parseTarget('shop/db', 'other')).toThrow(/names namespace shop but -n says other/);
});

describe('when a forced sync has happened', () => {
  const requested = Date.parse('2026-05-01T12:00:00.400Z');
  const before = es({
    ...ready('True', 'SecretSynced', 'Secret was synced'),
    refreshTime: '2026-05-01T11:00:00Z',
    syncedResourceVersion: '1-aaa',
  });

  test('not yet: nothing changed', () => {
    expect(syncOutcome(before, before, requested)).toEqual({ done: false });
  });

  test('synced: refreshTime at or after the request second, Ready=True', () => {
    const after = es({
      ...ready('True', 'SecretSynced', 'Secret was synced'),
      refreshTime: '2026-05-01T12:00:00Z',
      syncedResourceVersion: '1-bbb',
    });
    expect(syncOutcome(before, after, requested)).toMatchObject({
      done: true,
      ok: true,
      refreshTime: '2026-05-01T12:00:00Z',
    });
  });

  test('a sync in the same second as the previous one counts when syncedResourceVersion moved', () => {
    const b = es({
      ...ready('True', 'SecretSynced', 'ok'),
      refreshTime: '2026-05-01T12:00:00Z',
      syncedResourceVersion: '1-aaa',
    });
    const a = es({
      ...ready('True', 'SecretSynced', 'ok'),
      refreshTime: '2026-05-01T12:00:00Z',
      syncedResourceVersion: '1-bbb',
    });
    expect(syncOutcome(b, b, requested)).toEqual({ done: false });
    expect(syncOutcome(b, a, requested)).toMatchObject({ done: true, ok: true });
  });

  test('failed: Ready=False that changed since the request', () => {
    const after = es({
      ...ready('False', 'RemoteKeyNotFound', 'secret db not found', '2026-05-01T12:00:01Z'),
      refreshTime: '2026-05-01T11:00:00Z',
    });
    expect(syncOutcome(before, after, requested)).toMatchObject({
      done: true,
      ok: false,
      ready: { reason: 'RemoteKeyNotFound' },
    });
  });

  test('an old failure that did not change is not an answer yet', () => {
    const failing = es(ready('False', 'StoreNotFound', 'no store', '2026-05-01T10:00:00Z'));
    expect(syncOutcome(failing, failing, requested)).toEqual({ done: false });
  });

  test('a failure stamped in the second of the request, but read before it, is not an answer', () => {
    const failing = es(ready('False', 'StoreNotFound', 'no store', '2026-05-01T12:00:00Z'));
    expect(syncOutcome(failing, failing, requested)).toEqual({ done: false });
  });

  test('a failure after an earlier failure in the same second counts when it changed', () => {
    const first = es(ready('False', 'StoreNotFound', 'no store', '2026-05-01T12:00:00Z'));
    const second = es(ready('False', 'RemoteKeyNotFound', 'secret db not found', '2026-05-01T12:00:00Z'));
    expect(syncOutcome(first, second, requested)).toMatchObject({ done: true, ok: false });
  });
});
