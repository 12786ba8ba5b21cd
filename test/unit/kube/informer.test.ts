// The informer's watch protocol handling against a scripted apiserver, for the cases a real one will
// not produce on demand: 410 Gone (as an ERROR event and as an HTTP status) with the relist diff,
// bookmarks, a server closing the watch, 5xx answers, and replays of already-seen events.
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Informer } from '../../../src/runtime/informer';
import { ManyToMany } from '../../../src/runtime/many-to-many';
import type { Logger } from '../../../src/observability/log';
import { eventually } from '../../support/eventually';
import { newKubeConfig } from '../../../src/kube/kubeconfig';
import { ManualClock, type Clock } from '../../../src/runtime/clock';

interface Obj {
  name: string;
  rv: string;
}
const secret = ({ name, rv }: Obj): KubernetesObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});
const list = (rv: string, items: Obj[], cont?: string) => ({
  apiVersion: 'v1',
  kind: 'SecretList',
  metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
  items: items.map(secret),
});

type WatchScript = (res: ServerResponse) => void;
/** Sends watch events; the stream stays open unless `end`. */
const events =
  (evs: Array<[string, unknown]>, end = false): WatchScript =>
  (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    for (const [type, object] of evs) res.write(JSON.stringify({ type, object }) + '\n');
    if (end) res.end();
  };
const status =
  (code: number): WatchScript =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', code, message: `status ${code}` }));
  };
const gone = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' };

class FakeApi {
  readonly lists: Array<ReturnType<typeof list> | number> = [];
  readonly watches: WatchScript[] = [];
  readonly requests: URL[] = [];
  /** Awaited before a list request is answered (to hold one back). */
  beforeList?: (url: URL) => Promise<void>;
  private readonly open = new Set<ServerResponse>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = newKubeConfig();
    kc.loadFromClusterAndUser({ name: 'fake', server: this.url, skipTLSVerify: true }, { name: 'u' });
    return kc;
  }

  watchRequests(): URL[] {
    return this.requests.filter((u) => u.searchParams.get('watch') === 'true');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(url);
    if (url.searchParams.get('watch') === 'true') {
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      // Unscripted watches hang open, as a quiet real one does.
      (this.watches.shift() ?? events([]))(res);
      return;
    }
    const next = this.lists.length > 1 ? this.lists.shift()! : this.lists[0];
    const answer = () => {
      if (typeof next === 'number' || next === undefined) return status(next ?? 500)(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next));
    };
    (this.beforeList?.(url) ?? Promise.resolve()).then(answer, answer);
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

function recorder(): { logger: Logger; msgs: string[] } {
  const msgs: string[] = [];
  const log = (_obj: object, msg?: string) => void msgs.push(msg ?? '');
  return { logger: { debug: log, info: log, warn: log, error: log }, msgs };
}

let api: FakeApi;
let informer: Informer<Obj> | undefined;

beforeEach(async () => {
  api = new FakeApi();
  await api.start();
});
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await api.stop();
});

function start(clock?: Clock): { inf: Informer<Obj>; seen: string[]; msgs: string[] } {
  const { logger, msgs } = recorder();
  const inf = new Informer<Obj>(api.kubeConfig(), {
    path: '/api/v1/namespaces/ns/secrets',
    project: (o) => ({ name: o.metadata!.name!, rv: o.metadata!.resourceVersion! }),
    logger,
    backoff: { initialMs: 10, maxMs: 50 },
    clock,
  });
  const seen: string[] = [];
  inf.on('add', (k, item) => seen.push(`add ${k} ${item.rv}`));
  inf.on('update', (k, item, old) => seen.push(`update ${k} ${old?.rv}->${item.rv}`));
  inf.on('delete', (k, item) => seen.push(`delete ${k} ${item.rv}`));
  informer = inf;
  return { inf, seen, msgs };
}

const a1 = { name: 'a', rv: '1' };
const b2 = { name: 'b', rv: '2' };
const c3 = { name: 'c', rv: '3' };

test.each([
  ['an ERROR event with code 410', events([['ERROR', gone]], true)],
  ['an HTTP 410 answer to the watch', status(410)],
])('%s relists and emits exactly the differences', async (_what, script) => {
  api.lists.push(
    list('10', [a1, b2, c3]),
    list('20', [{ name: 'a', rv: '11' }, c3, { name: 'd', rv: '12' }]),
  );
  api.watches.push(script);
  const { inf, seen, msgs } = start();
  await inf.start();
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 2', 'add ns/c 3']);
  await eventually(() => expect(api.watchRequests()).toHaveLength(2), { timeoutMs: 5000 });
  expect(seen.slice(3)).toEqual(['delete ns/b 2', 'add ns/d 12', 'update ns/a 1->11']);
  expect(msgs).toContain('watch expired (410); relisting');
  const [first, second] = api.watchRequests();
  expect(first?.searchParams.get('resourceVersion')).toBe('10');
  expect(first?.searchParams.get('allowWatchBookmarks')).toBe('true');
  expect(second?.searchParams.get('resourceVersion')).toBe('20');
  expect(inf.keys().sort()).toEqual(['ns/a', 'ns/c', 'ns/d']);
});

test('an index follows the cache through list, watch and relist, before handlers see the event', async () => {
  api.lists.push(list('10', [a1, b2]), list('20', [{ name: 'a', rv: '21' }, c3]));
  api.watches.push(
    events(
      [
        ['MODIFIED', secret({ name: 'b', rv: '12' })],
        ['ERROR', gone],
      ],
      true,
    ),
  );
  const { inf, seen } = start();
  const byVersion = new ManyToMany();
  inf.addIndex(
    byVersion,
    (item) => [`rv${item.rv}`],
    (key) => `Secret/${key}`,
  );
  const indexedWhenAnnounced: string[][] = [];
  inf.on('add', (_k, item) => indexedWhenAnnounced.push(byVersion.keysFor(`rv${item.rv}`)));
  inf.on('update', (_k, item) => indexedWhenAnnounced.push(byVersion.keysFor(`rv${item.rv}`)));
  await inf.start();
  await eventually(() => expect(api.watchRequests()).toHaveLength(2), { timeoutMs: 5000 });
  expect(seen).toEqual([
    'add ns/a 1',
    'add ns/b 2',
    'update ns/b 2->12',
    'delete ns/b 12',
    'add ns/c 3',
    'update ns/a 1->21',
  ]);
  expect(indexedWhenAnnounced).toEqual([
    ['Secret/ns/a'],
    ['Secret/ns/b'],
    ['Secret/ns/b'],
    ['Secret/ns/c'],
    ['Secret/ns/a'],
  ]);
  for (const gone of ['rv1', 'rv2', 'rv12']) expect(byVersion.has(gone)).toBe(false);
  expect(byVersion.keysFor('rv21')).toEqual(['Secret/ns/a']);
  expect(byVersion.keysFor('rv3')).toEqual(['Secret/ns/c']);
  expect(byVersion.size).toBe(2);
});

test('an index that throws on an item is logged; the item is cached and announced all the same', async () => {
  api.lists.push(list('10', [a1, b2]));
  const { inf, seen, msgs } = start();
  const index = new ManyToMany();
  inf.addIndex(index, (item) => {
    if (item.name === 'b') throw new Error('malformed');
    return [item.name];
  });
  await inf.start();
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 2']);
  expect(msgs).toContain('informer index threw');
  expect(index.keysFor('a')).toEqual(['ns/a']);
  expect(inf.get('ns/b')).toEqual(b2);
});

test('a bookmark moves the resume point; a closed watch resumes from it without relisting', async () => {
  api.lists.push(list('10', [a1]));
  api.watches.push(
    events(
      [
        ['MODIFIED', secret({ name: 'a', rv: '14' })],
        ['BOOKMARK', { kind: 'Secret', metadata: { resourceVersion: '17' } }],
      ],
      true,
    ),
  );
  const { inf, seen } = start();
  await inf.start();
  await eventually(() => expect(api.watchRequests()).toHaveLength(2), { timeoutMs: 5000 });
  expect(api.watchRequests()[1]?.searchParams.get('resourceVersion')).toBe('17');
  expect(inf.lastResourceVersion).toBe('17');
  expect(seen).toEqual(['add ns/a 1', 'update ns/a 1->14']);
  expect(api.requests.filter((u) => !u.searchParams.has('watch'))).toHaveLength(1);
});

test('a failing watch is retried with backoff from the same resourceVersion', async () => {
  api.lists.push(list('10', [a1]));
  api.watches.push(status(500), status(503), events([['ADDED', secret(b2)]]));
  const { inf, seen, msgs } = start();
  await inf.start();
  await eventually(() => expect(seen).toEqual(['add ns/a 1', 'add ns/b 2']), { timeoutMs: 5000 });
  expect(api.watchRequests().map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '10', '10']);
  expect(msgs.filter((m) => m === 'watch failed; resuming')).toHaveLength(2);
});

test('the backoff after a failed watch is a timer of the injected clock', async () => {
  api.lists.push(list('10', [a1]));
  api.watches.push(status(500), events([['ADDED', secret(b2)]]));
  const clock = new ManualClock();
  const { inf, seen } = start(clock);
  await inf.start();
  await eventually(() => expect(clock.pendingTimers()).toBe(1), { timeoutMs: 5000 });
  expect(api.watchRequests()).toHaveLength(1);
  clock.advance(50);
  await eventually(() => expect(seen).toEqual(['add ns/a 1', 'add ns/b 2']), { timeoutMs: 5000 });
});

test('replayed events (same resourceVersion) and deletes of unknown keys are not announced', async () => {
  api.lists.push(list('10', [a1, b2]));
  api.watches.push(
    events([
      ['ADDED', secret(a1)],
      ['MODIFIED', secret(b2)],
      ['DELETED', secret({ name: 'zz', rv: '11' })],
      ['MODIFIED', secret({ name: 'b', rv: '12' })],
      ['DELETED', secret({ name: 'a', rv: '13' })],
    ]),
  );
  const { inf, seen } = start();
  await inf.start();
  await eventually(() => expect(seen).toHaveLength(4), { timeoutMs: 5000 });
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 2', 'update ns/b 2->12', 'delete ns/a 13']);
  expect(inf.lastResourceVersion).toBe('13');
});

test('pages are followed through continue tokens; a failed first list is retried before start() resolves', async () => {
  api.lists.push(500, list('10', [a1], 'tok1'), list('10', [b2], 'tok2'), list('10', [c3]));
  const { inf, seen } = start();
  await inf.start();
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 2', 'add ns/c 3']);
  const pages = api.requests.filter((u) => !u.searchParams.has('watch'));
  expect(pages.map((u) => u.searchParams.get('continue'))).toEqual([null, null, 'tok1', 'tok2']);
  expect(pages.every((u) => u.searchParams.get('limit') === '500')).toBe(true);
});

test('stop() before the first list succeeds rejects start()', async () => {
  api.lists.push(500);
  const { inf } = start();
  const started = inf.start();
  await eventually(() => expect(api.requests.length).toBeGreaterThan(0), { timeoutMs: 5000 });
  await inf.stop();
  await expect(started).rejects.toThrow(/stopped before it synced/);
});

// listFirst: the selected objects first (their part informer ready at once), then the rest at the
// same resourceVersion while the watch from there already runs.
const MANAGED = 'managed';
const labelled = (o: Obj, managed: boolean): KubernetesObject => ({
  metadata: {
    name: o.name,
    namespace: 'ns',
    resourceVersion: o.rv,
    ...(managed ? { labels: { [MANAGED]: 'true' } } : {}),
  },
});
const page = (rv: string, objs: KubernetesObject[]) => ({
  apiVersion: 'v1',
  kind: 'SecretList',
  metadata: { resourceVersion: rv },
  items: objs,
});

function startSplit(): {
  inf: Informer<Obj>;
  part: Informer<string>;
  seen: string[];
  partSeen: string[];
  msgs: string[];
} {
  const { logger, msgs } = recorder();
  const project = (o: KubernetesObject) => ({ name: o.metadata!.name!, rv: o.metadata!.resourceVersion! });
  const inf = new Informer<Obj>(api.kubeConfig(), {
    path: '/api/v1/namespaces/ns/secrets',
    project,
    logger,
    backoff: { initialMs: 10, maxMs: 50 },
    listFirst: {
      labelSelector: `${MANAGED}=true`,
      restSelector: `${MANAGED}!=true`,
      matches: (o) => o.metadata?.labels?.[MANAGED] === 'true',
    },
  });
  const part = inf.firstPart((o) => `part:${o.metadata!.resourceVersion}`);
  const seen: string[] = [];
  inf.on('add', (k, item) => seen.push(`add ${k} ${item.rv}`));
  inf.on('update', (k, item, old) => seen.push(`update ${k} ${old?.rv}->${item.rv}`));
  inf.on('delete', (k, item) => seen.push(`delete ${k} ${item.rv}`));
  const partSeen: string[] = [];
  part.on('add', (k, item) => partSeen.push(`add ${k} ${item}`));
  part.on('update', (k, item, old) => partSeen.push(`update ${k} ${old}->${item}`));
  part.on('delete', (k, item) => partSeen.push(`delete ${k} ${item}`));
  informer = inf;
  return { inf, part, seen, partSeen, msgs };
}

test('listFirst: the part is ready before the rest is listed; the rest is read at the first resourceVersion and newer watch events win', async () => {
  let releaseRest!: () => void;
  const rest = new Promise<void>((r) => (releaseRest = r));
  api.beforeList = (url) =>
    url.searchParams.get('labelSelector') === `${MANAGED}!=true` ? rest : Promise.resolve();
  api.lists.push(
    page('10', [labelled(a1, true)]),
    // As the rest was at resourceVersion 10: b (since modified), c (since deleted), d (unchanged).
    page('10', [labelled(b2, false), labelled(c3, false), labelled({ name: 'd', rv: '4' }, false)]),
  );
  api.watches.push(
    events([
      ['MODIFIED', labelled({ name: 'b', rv: '11' }, false)],
      ['DELETED', labelled({ name: 'c', rv: '12' }, false)],
      ['MODIFIED', labelled({ name: 'e', rv: '13' }, true)], // joined the selection after 10
    ]),
  );
  const { inf, part, seen, partSeen } = startSplit();
  const all = inf.start();
  await part.start();
  expect(partSeen).toEqual(['add ns/a part:1']);
  expect(inf.hasSynced()).toBe(false);
  await eventually(() => expect(partSeen).toHaveLength(2), { timeoutMs: 5000 });
  expect(partSeen[1]).toBe('add ns/e part:13');
  releaseRest();
  await all;
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 11', 'add ns/e 13', 'add ns/d 4']);
  expect(inf.get('ns/b')?.rv).toBe('11');
  expect(inf.keys().sort()).toEqual(['ns/a', 'ns/b', 'ns/d', 'ns/e']);
  const lists = api.requests.filter((u) => u.searchParams.get('watch') !== 'true');
  expect(lists.map((u) => u.searchParams.get('labelSelector'))).toEqual([
    `${MANAGED}=true`,
    `${MANAGED}!=true`,
  ]);
  expect(lists[1]?.searchParams.get('resourceVersion')).toBe('10');
  expect(lists[1]?.searchParams.get('resourceVersionMatch')).toBe('Exact');
  const [watch] = api.watchRequests();
  expect(watch?.searchParams.get('resourceVersion')).toBe('10');
  expect(watch?.searchParams.get('labelSelector')).toBeNull();
});

test('listFirst: leaving the selection is a delete for the part and an update for the whole; joining it an add', async () => {
  api.lists.push(page('10', [labelled(a1, true)]), page('10', [labelled(b2, false)]));
  api.watches.push(
    events([
      ['MODIFIED', labelled({ name: 'a', rv: '11' }, false)],
      ['MODIFIED', labelled({ name: 'b', rv: '12' }, true)],
      ['DELETED', labelled({ name: 'b', rv: '13' }, true)],
    ]),
  );
  const { inf, seen, partSeen } = startSplit();
  await inf.start();
  await eventually(() => expect(seen).toHaveLength(5), { timeoutMs: 5000 });
  expect(seen).toEqual([
    'add ns/a 1',
    'add ns/b 2',
    'update ns/a 1->11',
    'update ns/b 2->12',
    'delete ns/b 13',
  ]);
  expect(partSeen).toEqual([
    'add ns/a part:1',
    'delete ns/a part:11',
    'add ns/b part:12',
    'delete ns/b part:13',
  ]);
});

test('listFirst: when the first resourceVersion is gone for the rest, everything is listed again', async () => {
  api.lists.push(
    page('10', [labelled(a1, true)]),
    410,
    page('20', [labelled(a1, true), labelled(b2, false)]),
  );
  const { inf, part, seen, msgs } = startSplit();
  await inf.start();
  expect(msgs).toContain('listing the rest failed; listing everything');
  expect(seen).toEqual(['add ns/a 1', 'add ns/b 2']);
  const lists = api.requests.filter((u) => u.searchParams.get('watch') !== 'true');
  expect(lists[2]?.searchParams.get('labelSelector')).toBeNull();
  expect(part.keys()).toEqual(['ns/a']);
  expect(part.hasSynced()).toBe(true);
});

test('listFirst: stopping a part leaves its source running; stopping the source stops its parts', async () => {
  api.lists.push(page('10', [labelled(a1, true)]), page('10', []));
  const { inf, part } = startSplit();
  await inf.start();
  await part.stop();
  expect(inf.hasSynced()).toBe(true);
  expect(inf.keys()).toEqual(['ns/a']);
});

test('listFirst: a part whose source stops before listing rejects its start()', async () => {
  api.lists.push(500);
  const { inf, part } = startSplit();
  const started = part.start();
  await eventually(() => expect(api.requests.length).toBeGreaterThan(0), { timeoutMs: 5000 });
  await inf.stop();
  await expect(started).rejects.toThrow(/stopped before it synced/);
});
