// The lean informer against the real apiserver: paginated lists, add/update/delete, projection,
// label selectors, resuming a broken watch without missing a change. (This apiserver's watch cache
// holds every event since it started, so it never answers 410 here; the 410 relist path is
// covered against a scripted apiserver in test/unit/kube/informer.test.ts.)
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from '../../../src/runtime/informer';
import type { Logger } from '../../../src/observability/log';
import { keyDigest } from '../../../src/api/hash';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

jest.setTimeout(60_000);

const { kc, core } = clients();
let ns: string;
const informers: Array<Informer<unknown>> = [];

beforeAll(async () => {
  ns = await createNamespace('informer');
});
afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await deleteNamespace(ns);
});

/** What a Secret informer keeps: metadata and per-key digests, never values. */
interface SecretView {
  name: string;
  resourceVersion: string;
  labels: Record<string, string>;
  digests: Record<string, string>;
}

function projectSecret(obj: KubernetesObject): SecretView {
  const s = obj as V1Secret;
  const digests: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) digests[k] = keyDigest(Buffer.from(v, 'base64'));
  return {
    name: s.metadata?.name ?? '',
    resourceVersion: s.metadata?.resourceVersion ?? '',
    labels: s.metadata?.labels ?? {},
    digests,
  };
}

type Event = [string, string];

function capture(): { logger: Logger; lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, msg, obj });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function secretInformer(opts: Partial<InformerOptions<SecretView>> = {}): {
  inf: Informer<SecretView>;
  events: Event[];
  lines: ReturnType<typeof capture>['lines'];
} {
  const { logger, lines } = capture();
  const inf = new Informer<SecretView>(kc, {
    path: `/api/v1/namespaces/${ns}/secrets`,
    project: projectSecret,
    logger,
    ...opts,
  });
  const events: Event[] = [];
  inf.on('add', (k) => events.push(['add', k]));
  inf.on('update', (k) => events.push(['update', k]));
  inf.on('delete', (k) => events.push(['delete', k]));
  informers.push(inf as Informer<unknown>);
  return { inf, events, lines };
}

const secret = (name: string, labels: Record<string, string>, value: string): V1Secret => ({
  metadata: { name, labels },
  stringData: { password: value },
});

const create = (name: string, labels: Record<string, string>, value = 'v1') =>
  core.createNamespacedSecret({ namespace: ns, body: secret(name, labels, value) });
const update = (name: string, labels: Record<string, string>, value: string) =>
  core.replaceNamespacedSecret({ name, namespace: ns, body: secret(name, labels, value) });
const remove = (name: string) => core.deleteNamespacedSecret({ name, namespace: ns });

test('lists 30 objects in pages of 7, projects them, then emits add/update/delete', async () => {
  const labels = { suite: 'paged' };
  await Promise.all(Array.from({ length: 30 }, (_, i) => create(`paged-${i}`, labels, `value-${i}`)));

  const { inf, events, lines } = secretInformer({ labelSelector: 'suite=paged', pageSize: 7 });
  await inf.start();
  expect(inf.hasSynced()).toBe(true);
  expect(inf.list()).toHaveLength(30);
  expect(events.filter(([e]) => e === 'add')).toHaveLength(30);
  // 30 items at 7 a page: five pages, the continue token followed four times.
  const pages = lines.filter((l) => l.msg === 'listed a page').map((l) => (l.obj as { items: number }).items);
  expect(pages).toEqual([7, 7, 7, 7, 2]);

  const item = inf.get(`${ns}/paged-3`)!;
  expect(Object.keys(item).sort()).toEqual(['digests', 'labels', 'name', 'resourceVersion']);
  expect(item.digests).toEqual({ password: keyDigest(Buffer.from('value-3')) });
  expect(JSON.stringify(inf.list())).not.toContain('value-');

  events.length = 0;
  const olds: Array<SecretView | undefined> = [];
  inf.on('update', (_k, _item, old) => olds.push(old));
  await update('paged-3', labels, 'rotated');
  await create('paged-new', labels);
  await remove('paged-4');
  await eventually(
    () =>
      expect(events).toEqual([
        ['update', `${ns}/paged-3`],
        ['add', `${ns}/paged-new`],
        ['delete', `${ns}/paged-4`],
      ]),
    { timeoutMs: 10_000, what: 'watch events' },
  );
  expect(inf.get(`${ns}/paged-3`)?.digests.password).toBe(keyDigest(Buffer.from('rotated')));
  expect(olds[0]?.digests.password).toBe(keyDigest(Buffer.from('value-3')));
  expect(inf.get(`${ns}/paged-4`)).toBeUndefined();
  expect(inf.list()).toHaveLength(30);
});

test('a label selector limits what is listed and watched; leaving the selector is a delete', async () => {
  await create('sel-in', { suite: 'sel', pick: 'yes' });
  await create('sel-out', { suite: 'sel', pick: 'no' });
  const { inf, events } = secretInformer({ labelSelector: 'suite=sel,pick=yes' });
  await inf.start();
  expect(inf.keys()).toEqual([`${ns}/sel-in`]);

  events.length = 0;
  await create('sel-in-2', { suite: 'sel', pick: 'yes' });
  await update('sel-out', { suite: 'sel', pick: 'no' }, 'changed');
  await update('sel-in', { suite: 'sel', pick: 'no' }, 'v1');
  await eventually(
    () =>
      expect(events).toEqual([
        ['add', `${ns}/sel-in-2`],
        ['delete', `${ns}/sel-in`],
      ]),
    { timeoutMs: 10_000, what: 'selected events' },
  );
  expect(inf.keys()).toEqual([`${ns}/sel-in-2`]);
});

test('a broken watch resumes from the last resourceVersion: changes made in the gap arrive once', async () => {
  const labels = { suite: 'gap' };
  await Promise.all(['gap-a', 'gap-b', 'gap-c'].map((n) => create(n, labels)));
  const { inf, events, lines } = secretInformer({ labelSelector: 'suite=gap' });
  await inf.start();
  events.length = 0;
  const beforeGap = inf.lastResourceVersion;

  const gapMs = 3000;
  const brokeAt = Date.now();
  inf.restartWatch({ delayMs: gapMs });
  await create('gap-d', labels);
  await update('gap-a', labels, 'v2');
  await remove('gap-b');
  expect(Date.now() - brokeAt).toBeLessThan(gapMs); // the changes really fell into the gap
  expect(events).toEqual([]);

  const expected: Event[] = [
    ['add', `${ns}/gap-d`],
    ['update', `${ns}/gap-a`],
    ['delete', `${ns}/gap-b`],
  ];
  await eventually(() => expect(events).toEqual(expected), { timeoutMs: gapMs + 10_000, what: 'gap events' });
  // Resumed, not relisted: the watch picked up where it stopped.
  expect(lines.filter((l) => l.msg === 'listed a page')).toHaveLength(1);

  // Replaying the gap's events again (same resourceVersions; a delete of a key no longer cached)
  // announces nothing twice.
  inf.restartWatch({ resourceVersion: beforeGap });
  await update('gap-c', labels, 'v2');
  await eventually(() => expect(events).toEqual([...expected, ['update', `${ns}/gap-c`]]), {
    timeoutMs: 10_000,
    what: 'event after restart',
  });
});

test('a cluster-scoped path is keyed by name', async () => {
  const label = `informer-test=${ns}`;
  const inf = new Informer(kc, {
    path: '/api/v1/namespaces',
    labelSelector: label,
    project: (o) => ({ name: o.metadata?.name, kind: o.kind }),
  });
  informers.push(inf as Informer<unknown>);
  await core.patchNamespace({
    name: ns,
    body: [{ op: 'add', path: '/metadata/labels/informer-test', value: ns }],
  });
  await eventually(
    async () => {
      await inf.start();
      expect(inf.get(ns)).toEqual({ name: ns, kind: 'Namespace' });
    },
    { timeoutMs: 10_000, what: 'namespace in cache' },
  );
});

test('listFirst: the part is ready on its own list; the rest is read as it was then, and what the watch saw meanwhile wins', async () => {
  const ns2 = await createNamespace('informer-split');
  try {
    const make = (name: string, labels: Record<string, string>, value = 'v1') =>
      core.createNamespacedSecret({ namespace: ns2, body: secret(name, labels, value) });
    const put = (name: string, labels: Record<string, string>, value: string) =>
      core.replaceNamespacedSecret({ name, namespace: ns2, body: secret(name, labels, value) });
    const first = { pick: 'first' };
    await Promise.all([
      make('m-1', first),
      make('m-2', first),
      make('r-1', {}),
      make('r-2', {}),
      make('r-3', {}),
    ]);
    let release!: () => void;
    const restAfter = new Promise<void>((r) => (release = r));
    const { logger, lines } = capture();
    const inf = new Informer<SecretView>(kc, {
      path: `/api/v1/namespaces/${ns2}/secrets`,
      project: projectSecret,
      logger,
      listFirst: {
        labelSelector: 'pick=first',
        restSelector: 'pick!=first',
        matches: (o) => o.metadata?.labels?.pick === 'first',
        restAfter,
      },
    });
    informers.push(inf as Informer<unknown>);
    const part = inf.firstPart((o) => projectSecret(o).digests.password ?? '');
    const all = inf.start();
    await part.start();
    expect(part.keys().sort()).toEqual([`${ns2}/m-1`, `${ns2}/m-2`]);
    expect(inf.hasSynced()).toBe(false);

    // While the rest waits: a newer value, a delete, one joining and one leaving the selection.
    await put('r-1', {}, 'newer');
    await core.deleteNamespacedSecret({ name: 'r-2', namespace: ns2 });
    await put('r-3', first, 'v1');
    await put('m-2', {}, 'v1');
    await eventually(() => expect(part.keys().sort()).toEqual([`${ns2}/m-1`, `${ns2}/r-3`]), {
      timeoutMs: 10_000,
      what: 'the part follows the watch',
    });
    await eventually(() => expect(inf.get(`${ns2}/r-1`)).toBeDefined(), {
      timeoutMs: 10_000,
      what: 'r-1 seen',
    });
    release();
    await all;
    expect(inf.keys().sort()).toEqual([`${ns2}/m-1`, `${ns2}/m-2`, `${ns2}/r-1`, `${ns2}/r-3`]);
    expect(inf.get(`${ns2}/r-1`)?.digests.password).toBe(keyDigest(Buffer.from('newer')));
    // The apiserver served the rest at the first list's resourceVersion (no fallback to a full list).
    expect(lines.map((l) => l.msg)).not.toContain('listing the rest failed; listing everything');
    expect(lines.filter((l) => l.msg === 'listed a page')).toHaveLength(2);
  } finally {
    await deleteNamespace(ns2);
  }
});
