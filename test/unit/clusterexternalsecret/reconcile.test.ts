import type {
  ClusterExternalSecret,
  ClusterExternalSecretStatus,
  ExternalSecret,
} from '../../../src/api/generated';
import { isOwnedBy } from '../../../src/controllers/clusterexternalsecret/desired';
import {
  reconcileClusterExternalSecret,
  refreshMs,
  type FanOutDeps,
} from '../../../src/controllers/clusterexternalsecret/reconcile';
import { KubeApiError } from '../../../src/kube/request';
import { ManualClock } from '../../../src/runtime/clock';
import { ces, foreign, ownedBy } from './helpers';

interface World {
  ces: ClusterExternalSecret;
  namespaces: { name: string; labels: Record<string, string>; terminating: boolean }[];
  es: ExternalSecret[];
  fail?: (verb: string, ns: string) => Error | undefined;
  /** What the apiserver holds when the cache (es) is behind it. */
  apiserver?: ExternalSecret[];
}

function deps(w: World) {
  const calls: string[] = [];
  const statuses: ClusterExternalSecretStatus[] = [];
  const key = (e: ExternalSecret) => `${e.metadata?.namespace}/${e.metadata?.name}`;
  const act = async (verb: string, ns: string, fn: () => void) => {
    calls.push(`${verb} ${ns}`);
    const err = w.fail?.(verb, ns);
    if (err) throw err;
    fn();
  };
  const d: FanOutDeps = {
    clock: new ManualClock(Date.parse('2026-01-01T00:00:00Z')),
    clusterExternalSecret: (n) => (n === w.ces.metadata?.name ? w.ces : undefined),
    namespaces: () => w.namespaces,
    externalSecret: (ns, n) => w.es.find((e) => key(e) === `${ns}/${n}`),
    owned: (c) => w.es.filter((e) => isOwnedBy(e.metadata, c)),
    read: async (ns, n) => (w.apiserver ?? w.es).find((e) => key(e) === `${ns}/${n}`),
    create: (e) => act('create', e.metadata!.namespace!, () => w.es.push(e)),
    replace: (e) =>
      act('update', e.metadata!.namespace!, () => (w.es = w.es.map((x) => (key(x) === key(e) ? e : x)))),
    remove: (ns, n) => act('delete', ns, () => (w.es = w.es.filter((x) => key(x) !== `${ns}/${n}`))),
    patchStatus: async (c, s) => {
      statuses.push(s);
      w.ces = { ...c, status: s };
    },
  };
  return { d, calls, statuses };
}

const labelled = (...names: string[]) =>
  names.map((name) => ({ name, labels: { team: 'a' }, terminating: false }));

describe('reconcileClusterExternalSecret', () => {
  it('fans out, reports the namespaces and comes back after refreshTime (1m when unset)', async () => {
    const w: World = { ces: ces(), namespaces: labelled('b', 'a'), es: [] };
    const { d, calls, statuses } = deps(w);
    expect(await reconcileClusterExternalSecret(d, 'pull')).toEqual({ kind: 'done', requeueAfterMs: 60_000 });
    expect(calls.sort()).toEqual(['create a', 'create b']);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      externalSecretName: 'pull',
      provisionedNamespaces: ['a', 'b'],
      failedNamespaces: [],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00.000Z' }],
    });
  });

  it('writes nothing when everything is already as specified', async () => {
    const w: World = { ces: ces({ refreshTime: '10m' }), namespaces: labelled('a'), es: [] };
    const { d, calls, statuses } = deps(w);
    await reconcileClusterExternalSecret(d, 'pull');
    calls.length = 0;
    expect(await reconcileClusterExternalSecret(d, 'pull')).toEqual({
      kind: 'done',
      requeueAfterMs: 600_000,
    });
    expect(calls).toEqual([]);
    expect(statuses).toHaveLength(1);
  });

  it('a clash fails that namespace only, touches nothing there, and is not retried with backoff', async () => {
    const theirs = foreign('a', 'pull');
    const w: World = { ces: ces(), namespaces: labelled('a', 'b'), es: [theirs] };
    const { d, calls, statuses } = deps(w);
    expect(await reconcileClusterExternalSecret(d, 'pull')).toEqual({ kind: 'done', requeueAfterMs: 60_000 });
    expect(calls).toEqual(['create b']);
    expect(w.es.find((e) => e.metadata?.namespace === 'a')).toBe(theirs);
    expect(statuses[0]).toMatchObject({
      provisionedNamespaces: ['b'],
      failedNamespaces: [
        { namespace: 'a', reason: expect.stringContaining('is not owned by ClusterExternalSecret pull') },
      ],
      conditions: [{ type: 'Ready', status: 'False', reason: 'NamespacesFailed' }],
    });
  });

  it('removes its ExternalSecret from a namespace whose label was removed', async () => {
    const c = ces();
    const w: World = {
      ces: c,
      namespaces: [...labelled('a'), { name: 'b', labels: {}, terminating: false }],
      es: [ownedBy(c, 'a'), ownedBy(c, 'b')],
    };
    const { d, calls, statuses } = deps(w);
    await reconcileClusterExternalSecret(d, 'pull');
    expect(calls).toEqual(['delete b']);
    expect(statuses[0]?.provisionedNamespaces).toEqual(['a']);
  });

  it('a failed write is that namespace’s failure; an apiserver error is retried with backoff', async () => {
    const w: World = {
      ces: ces(),
      namespaces: labelled('a', 'b', 'c'),
      es: [],
      fail: (_verb, ns) =>
        ns === 'b' ? new KubeApiError(503, 'ServiceUnavailable', 'POST ...: 503') : undefined,
    };
    const { d, statuses } = deps(w);
    const decision = await reconcileClusterExternalSecret(d, 'pull');
    expect(decision.kind).toBe('retry');
    expect(statuses[0]).toMatchObject({
      provisionedNamespaces: ['a', 'c'],
      failedNamespaces: [{ namespace: 'b', reason: 'could not create the ExternalSecret: POST ...: 503' }],
    });
  });

  it('a conflict (cache behind the apiserver) is not a failed namespace: decided again at once', async () => {
    const c = ces();
    const drifted = { ...ownedBy(c, 'b'), spec: { ...ownedBy(c, 'b').spec, refreshInterval: '5m' } };
    const w: World = {
      ces: c,
      namespaces: labelled('a', 'b', 'c', 'd'),
      es: [drifted],
      // a and c exist already (ours, and someone else's), b's resourceVersion moved; d is gone again.
      apiserver: [ownedBy(c, 'a'), drifted, foreign('c', 'pull')],
      fail: (verb, ns) =>
        verb === 'create' || (verb === 'update' && ns === 'b')
          ? new KubeApiError(409, verb === 'create' ? 'AlreadyExists' : 'Conflict', '409')
          : undefined,
    };
    const { d, statuses } = deps(w);
    expect((await reconcileClusterExternalSecret(d, 'pull')).kind).toBe('retry');
    expect(statuses[0]).toMatchObject({
      provisionedNamespaces: ['a', 'b'],
      failedNamespaces: [{ namespace: 'c', reason: expect.stringContaining('is not owned by') }],
    });
  });

  it('a refused write (e.g. admission) is reported, then waits for refreshTime', async () => {
    const w: World = {
      ces: ces(),
      namespaces: labelled('a'),
      es: [],
      fail: () => new KubeApiError(403, 'Forbidden', 'POST ...: 403 Forbidden: exceeded quota'),
    };
    const { d, statuses } = deps(w);
    expect(await reconcileClusterExternalSecret(d, 'pull')).toEqual({ kind: 'done', requeueAfterMs: 60_000 });
    expect(statuses[0]?.failedNamespaces?.[0]?.reason).toContain('exceeded quota');
  });

  it('a long apiserver message is cut in the reason', async () => {
    const w: World = {
      ces: ces(),
      namespaces: labelled('a'),
      es: [],
      fail: () => new KubeApiError(400, 'BadRequest', `PUT ...: 400 BadRequest: ${'x'.repeat(5000)}`),
    };
    const { d, statuses } = deps(w);
    await reconcileClusterExternalSecret(d, 'pull');
    expect(statuses[0]?.failedNamespaces?.[0]?.reason).toHaveLength(
      'could not create the ExternalSecret: '.length + 301,
    );
  });

  it('does nothing for a ClusterExternalSecret that is gone or being deleted (the garbage collector does)', async () => {
    const w: World = { ces: ces({}, { deletionTimestamp: new Date() }), namespaces: labelled('a'), es: [] };
    const { d, calls, statuses } = deps(w);
    expect(await reconcileClusterExternalSecret(d, 'pull')).toEqual({ kind: 'done' });
    expect(await reconcileClusterExternalSecret(d, 'other')).toEqual({ kind: 'done' });
    expect([...calls, ...statuses]).toEqual([]);
  });

  it('refreshTime: 1m when unset, 0s never', () => {
    expect(refreshMs(ces())).toBe(60_000);
    expect(refreshMs(ces({ refreshTime: '1h' }))).toBe(3_600_000);
    expect(refreshMs(ces({ refreshTime: '0s' }))).toBe(0);
  });
});
