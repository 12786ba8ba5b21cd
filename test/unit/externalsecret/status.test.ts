// status.ts: the status an ExternalSecret should show, compared before it is written, and the
// syncedResourceVersion that makes metadata and store changes force a refresh.
import { ANNOTATION } from '../../../src/api/constants';
import type { ExternalSecretStatus } from '../../../src/api/generated';
import {
  nextStatus,
  readyCondition,
  readyLabels,
  refreshTimeAfterCheck,
  statusEqual,
  syncedResourceVersion,
  type ReadyState,
} from '../../../src/controllers/externalsecret/status';

const T1 = '2026-03-02T10:00:00Z';
const T2 = '2026-03-02T11:00:00Z';
const SYNCED: ReadyState = { status: 'True', reason: 'SecretSynced', message: 'Secret was synced' };
const FAILED: ReadyState = { status: 'False', reason: 'SecretSyncedError', message: 'provider unavailable' };

describe('nextStatus', () => {
  test('first status: a Ready condition stamped now, plus the sync record', () => {
    const s = nextStatus(undefined, SYNCED, T1, {
      refreshTime: T1,
      syncedResourceVersion: '1-abc',
      bindingName: 'db-secret',
    });
    expect(s).toEqual({
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'SecretSynced',
          message: 'Secret was synced',
          lastTransitionTime: T1,
        },
      ],
      refreshTime: T1,
      syncedResourceVersion: '1-abc',
      binding: { name: 'db-secret' },
    });
  });

  test('same status and reason: lastTransitionTime is kept, even when the message changes', () => {
    const first = nextStatus(undefined, FAILED, T1);
    const again = nextStatus(first, { ...FAILED, message: 'provider unavailable (attempt 2)' }, T2);
    expect(readyCondition(again)?.lastTransitionTime).toBe(T1);
    expect(readyCondition(again)?.message).toBe('provider unavailable (attempt 2)');
  });

  test('status changes (False → True) move lastTransitionTime', () => {
    const first = nextStatus(undefined, FAILED, T1);
    expect(readyCondition(nextStatus(first, SYNCED, T2))?.lastTransitionTime).toBe(T2);
  });

  test('a reason change with the same status is a transition too', () => {
    const first = nextStatus(undefined, FAILED, T1);
    const next = nextStatus(first, { status: 'False', reason: 'SecretNotOwned', message: 'x' }, T2);
    expect(readyCondition(next)?.lastTransitionTime).toBe(T2);
    expect(readyCondition(next)?.reason).toBe('SecretNotOwned');
  });

  test('other conditions are kept; there is exactly one Ready condition', () => {
    const current: ExternalSecretStatus = {
      conditions: [
        { type: 'Deleted', status: 'False', reason: 'x', lastTransitionTime: T1 },
        { type: 'Ready', status: 'True', reason: 'SecretSynced', lastTransitionTime: T1 },
      ],
    };
    const next = nextStatus(current, FAILED, T2);
    expect(next.conditions?.filter((c) => c.type === 'Ready')).toHaveLength(1);
    expect(next.conditions).toContainEqual({
      type: 'Deleted',
      status: 'False',
      reason: 'x',
      lastTransitionTime: T1,
    });
  });

  test('a failure keeps the previous refreshTime, syncedResourceVersion and binding', () => {
    const ok = nextStatus(undefined, SYNCED, T1, {
      refreshTime: T1,
      syncedResourceVersion: '1-a',
      bindingName: 's',
    });
    const failed = nextStatus(ok, FAILED, T2);
    expect(failed.refreshTime).toBe(T1);
    expect(failed.syncedResourceVersion).toBe('1-a');
    expect(failed.binding).toEqual({ name: 's' });
  });

  test('a sync without a binding name (creationPolicy None) keeps any previous binding', () => {
    const ok = nextStatus(undefined, SYNCED, T1, {
      refreshTime: T1,
      syncedResourceVersion: '1-a',
      bindingName: 's',
    });
    const again = nextStatus(ok, SYNCED, T2, { refreshTime: T2, syncedResourceVersion: '2-b' });
    expect(again.binding).toEqual({ name: 's' });
    expect(again.refreshTime).toBe(T2);
    expect(again.syncedResourceVersion).toBe('2-b');
  });

  test('nothing changed → the next status equals the current one (no patch)', () => {
    const sync = { refreshTime: T1, syncedResourceVersion: '1-a', bindingName: 's' };
    const current = nextStatus(undefined, SYNCED, T1, sync);
    expect(statusEqual(current, nextStatus(current, SYNCED, T2, sync))).toBe(true);
    expect(statusEqual(current, nextStatus(current, SYNCED, T2, { ...sync, refreshTime: T2 }))).toBe(false);
    expect(statusEqual(current, nextStatus(current, { ...SYNCED, message: 'other' }, T2, sync))).toBe(false);
  });

  test('does not modify the current status', () => {
    const current = nextStatus(undefined, FAILED, T1);
    const copy = structuredClone(current);
    nextStatus(current, SYNCED, T2, { refreshTime: T2, syncedResourceVersion: '1-a' });
    expect(current).toEqual(copy);
  });
});

describe('statusEqual', () => {
  const a: ExternalSecretStatus = {
    refreshTime: T1,
    syncedResourceVersion: '1-a',
    conditions: [
      { type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'm', lastTransitionTime: T1 },
    ],
    binding: { name: 's' },
  };

  test('ignores the order of object keys at every level', () => {
    const b: ExternalSecretStatus = {
      binding: { name: 's' },
      conditions: [
        { lastTransitionTime: T1, message: 'm', reason: 'SecretSynced', status: 'True', type: 'Ready' },
      ],
      syncedResourceVersion: '1-a',
      refreshTime: T1,
    };
    expect(statusEqual(a, b)).toBe(true);
  });

  test('undefined fields count as absent; undefined status equals an empty one', () => {
    expect(statusEqual(a, { ...a, binding: { name: 's' }, refreshTime: T1 })).toBe(true);
    expect(statusEqual({ ...a, binding: undefined }, { ...a, binding: undefined })).toBe(true);
    const { binding: _binding, ...withoutBinding } = a;
    expect(statusEqual({ ...a, binding: undefined }, withoutBinding)).toBe(true);
    expect(statusEqual(undefined, {})).toBe(true);
  });

  test('any value difference is seen', () => {
    expect(statusEqual(a, { ...a, refreshTime: T2 })).toBe(false);
    expect(statusEqual(a, { ...a, binding: { name: 't' } })).toBe(false);
    expect(statusEqual(a, { ...a, conditions: [{ ...a.conditions![0]!, message: 'n' }] })).toBe(false);
    expect(statusEqual(undefined, a)).toBe(false);
  });
});

describe('syncedResourceVersion', () => {
  const base = {
    generation: 4,
    labels: { app: 'shop', tier: 'db' },
    annotations: { [ANNOTATION.forceSync]: '1', note: 'x' },
  };
  const stores = ['SecretStore/a@1', 'ClusterSecretStore/b@7'];
  const v = syncedResourceVersion(base, stores);

  test("has ESO's <generation>-<hash> shape", () => {
    expect(v).toMatch(/^4-[0-9a-f]{32}$/);
    expect(syncedResourceVersion({})).toMatch(/^0-[0-9a-f]{32}$/);
  });

  test('stable: same input → same value, whatever the order of labels, annotations or stores', () => {
    expect(syncedResourceVersion(structuredClone(base), [...stores])).toBe(v);
    const reordered = {
      generation: 4,
      labels: { tier: 'db', app: 'shop' },
      annotations: { note: 'x', [ANNOTATION.forceSync]: '1' },
    };
    expect(syncedResourceVersion(reordered, [...stores].reverse())).toBe(v);
  });

  test('changes with the generation', () => {
    expect(syncedResourceVersion({ ...base, generation: 5 }, stores)).not.toBe(v);
  });

  test('not with a shard label (--sharding): moving an object between replicas is no change to it', () => {
    const labelled = { ...base, labels: { ...base.labels, 'shard.secretsync.io/secretsync': 'pod-a_1f2e' } };
    expect(syncedResourceVersion(labelled, stores)).toBe(v);
    const moved = { ...base, labels: { ...base.labels, 'shard.secretsync.io/secretsync': 'pod-b_9c8d' } };
    expect(syncedResourceVersion(moved, stores)).toBe(v);
  });

  test('changes with labels (added, removed, value)', () => {
    expect(syncedResourceVersion({ ...base, labels: { ...base.labels, new: '1' } }, stores)).not.toBe(v);
    expect(syncedResourceVersion({ ...base, labels: { app: 'shop' } }, stores)).not.toBe(v);
    expect(syncedResourceVersion({ ...base, labels: { ...base.labels, tier: 'cache' } }, stores)).not.toBe(v);
  });

  test('changes with annotations, e.g. a new force-sync value (prefixed or not)', () => {
    const forced = syncedResourceVersion(
      { ...base, annotations: { ...base.annotations, [ANNOTATION.forceSync]: '2' } },
      stores,
    );
    expect(forced).not.toBe(v);
    expect(forced.split('-')[0]).toBe('4');
    expect(
      syncedResourceVersion(
        { ...base, annotations: { ...base.annotations, 'force-sync': '1700000000' } },
        stores,
      ),
    ).not.toBe(v);
  });

  test('changes with the generations of the stores used', () => {
    expect(syncedResourceVersion(base, ['SecretStore/a@2', 'ClusterSecretStore/b@7'])).not.toBe(v);
    expect(syncedResourceVersion(base, ['SecretStore/a@1'])).not.toBe(v);
    expect(syncedResourceVersion(base)).not.toBe(v);
  });

  test('a label and an annotation with the same key and value are not confused', () => {
    expect(syncedResourceVersion({ labels: { k: 'v' } })).not.toBe(
      syncedResourceVersion({ annotations: { k: 'v' } }),
    );
  });
});

describe('readyLabels', () => {
  test('names the ExternalSecret and its store (SecretStore by default), and the reason', () =>
    expect(
      readyLabels(
        { metadata: { namespace: 'team', name: 'db' }, spec: { secretStoreRef: { name: 'gcp' } } },
        'SecretSynced',
      ),
    ).toEqual({
      externalsecret_namespace: 'team',
      externalsecret: 'db',
      store_kind: 'SecretStore',
      store: 'gcp',
      reason: 'SecretSynced',
    }));

  test('no store of its own (every entry names one): empty store labels', () =>
    expect(
      readyLabels({ metadata: { namespace: 'team', name: 'db' }, spec: {} }, 'TemplateError'),
    ).toMatchObject({
      store_kind: '',
      store: '',
    }));

  test('a ClusterSecretStore', () =>
    expect(
      readyLabels(
        {
          metadata: { namespace: 't', name: 'n' },
          spec: { secretStoreRef: { name: 'c', kind: 'ClusterSecretStore' } },
        },
        'SecretSynced',
      ),
    ).toMatchObject({ store_kind: 'ClusterSecretStore', store: 'c' }));
});

describe('refreshTimeAfterCheck', () => {
  const T = Date.parse('2026-03-02T10:00:00Z');
  const HOUR = 3_600_000;
  const synced = { syncedResourceVersion: '1-abc', bindingName: 'db' };
  const ready = { status: 'True' as const, reason: 'SecretSynced', message: 'Secret was synced' };
  const current = nextStatus(undefined, ready, '2026-03-02T10:00:00Z', {
    ...synced,
    refreshTime: '2026-03-02T10:00:00Z',
  });
  const at = (ms: number, over: Partial<Parameters<typeof refreshTimeAfterCheck>[0]> = {}) =>
    refreshTimeAfterCheck({
      current,
      ready,
      synced,
      nowMs: ms,
      secretWritten: false,
      heartbeatMs: 6 * HOUR,
      ...over,
    });

  test('kept while nothing changes and the heartbeat has not passed', () => {
    expect(at(T + 5 * HOUR)).toBe('2026-03-02T10:00:00Z');
  });
  test('moved at the heartbeat, on a Secret write, or with heartbeat 0', () => {
    expect(at(T + 6 * HOUR)).toBe('2026-03-02T16:00:00Z');
    expect(at(T + HOUR, { secretWritten: true })).toBe('2026-03-02T11:00:00Z');
    expect(at(T + HOUR, { heartbeatMs: 0 })).toBe('2026-03-02T11:00:00Z');
  });
  test('moved when the status changes anyway (condition, syncedResourceVersion, first sync)', () => {
    expect(at(T + HOUR, { ready: { ...ready, message: 'other' } })).toBe('2026-03-02T11:00:00Z');
    expect(at(T + HOUR, { synced: { ...synced, syncedResourceVersion: '2-def' } })).toBe(
      '2026-03-02T11:00:00Z',
    );
    expect(at(T + HOUR, { current: undefined })).toBe('2026-03-02T11:00:00Z');
  });
});
