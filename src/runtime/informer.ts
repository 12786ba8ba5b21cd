// A lean informer: paginated list + streaming watch of one resource path, keeping only a caller's
// projection of each object (for Secrets: metadata and per-key digests, never values), so memory
// stays small with 10k objects. client-node's own informer keeps whole objects and has no
// projection; this one also resumes from the last resourceVersion after a broken watch, relists
// on 410 Gone and emits the difference, and never re-announces an unchanged resourceVersion.
import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import { diffCaches } from './cache-diff';
import { errorName, errorText, type Logger, noopLogger } from '../observability/log';
import { isApiError, kubeList } from '../kube/request';
import { acceptingConfig, METADATA_LIST_ACCEPT, METADATA_ACCEPT } from '../kube/metadata';
import { systemClock, type Clock } from './clock';
import type { ManyToMany } from './many-to-many';

export type InformerEvent = 'add' | 'update' | 'delete';

/**
 * add: (key, item). update: (key, item, old). delete: (key, last known state, cached state) —
 * after a relist, the last known state is the cached one (the final object was never seen).
 */
export type InformerHandler<T> = (key: string, item: T, old?: T) => void;

export interface InformerOptions<T> {
  /** Collection path: /api/v1/secrets, /api/v1/namespaces/ns/secrets, /apis/group/v1/plural. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * List and watch metadata only (PartialObjectMetadata: no spec, status or data); the projection
   * then sees objects of kind PartialObjectMetadata.
   */
  metadataOnly?: boolean;
  /** Keep only what the caller needs of an object. Lists' items get the list's apiVersion/kind. */
  project: (obj: KubernetesObject) => T;
  /** Cache key; default namespace/name (name alone for cluster-scoped objects), as client-go. */
  key?: (obj: KubernetesObject) => string;
  /** Items per list page (limit + continue); default 500. */
  pageSize?: number;
  logger?: Logger;
  /** Retry delays after failed lists/watches: initial (default 1 s), doubling to max (default 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Server-side watch timeout; default random 5–10 min, as client-go. */
  watchTimeoutSeconds?: number;
  /** Timeout of each list page request; default 60 s. */
  listTimeoutMs?: number;
  /** Backoff sleeps and watch durations; default the system clock. */
  clock?: Clock;
  /**
   * List the objects `labelSelector` selects first (what another consumer needs at once, see
   * firstPart()), then, while already watching from that list's resourceVersion, the others
   * (`restSelector`, its complement) as they were at that same resourceVersion. start() resolves
   * once both are cached; firstPart() informers are ready after the first. Relists after a 410
   * list everything at once.
   */
  listFirst?: ListFirst;
}

export interface ListFirst {
  labelSelector: string;
  restSelector: string;
  /** Whether an object is selected by labelSelector (watch events are matched in-process). */
  matches: (obj: KubernetesObject) => boolean;
  /** Items per page of the first list; default the informer's pageSize. */
  pageSize?: number;
  /**
   * The rest is listed once this settles (e.g. once the first part's consumer has listed all it
   * needs, so that the two do not compete); the watch runs meanwhile. Default: at once.
   */
  restAfter?: Promise<unknown>;
}

/** namespace/name, or name for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  return obj.metadata?.namespace ? `${obj.metadata.namespace}/${name}` : name;
}

/** A list response without its items (the typed V1ListMeta renames continue to _continue). */
interface ListPage {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
}

interface Entry<T> {
  item: T;
  resourceVersion: string;
}

/** One list request's outcome: this informer's entries and each firstPart() child's. */
interface Listed<T> {
  items: Map<string, Entry<T>>;
  parts: Map<string, Entry<unknown>>[];
  resourceVersion: string;
}

/** What an item is indexed under, and under which key (default: its cache key). */
interface IndexBinding<T> {
  index: ManyToMany;
  valuesOf: (item: T) => readonly string[];
  keyOf: (key: string) => string;
}

type Outcome =
  | { kind: 'stopped' }
  | { kind: 'closed'; restart: boolean } // server/inactivity close, or restartWatch()
  | { kind: 'gone'; message: string } // 410: our resourceVersion is too old
  | { kind: 'error'; err: unknown };

const QUICK_CLOSE_MS = 1000;
const HEALTHY_WATCH_MS = 10_000;

export class Informer<T> {
  private readonly cache = new Map<string, Entry<T>>();
  private readonly handlers: Record<InformerEvent, Set<InformerHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  private readonly indexes: IndexBinding<T>[] = [];
  private readonly log: Logger;
  private readonly keyOf: (obj: KubernetesObject) => string;
  private readonly what: Record<string, string>;
  private readonly watchConfig: KubeConfig;
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private failures = 0;
  private loopDone?: Promise<void>;
  private startPromise?: Promise<void>;
  private settleStart?: (err?: Error) => void;
  private currentWatch?: AbortController;
  private abortReason?: 'restart' | 'stop';
  private pendingGapMs = 0;
  private pendingResourceVersion?: string;
  private readonly listAbort = new AbortController();
  private wake?: () => void;
  private endWatch?: () => void;
  /** firstPart() informers: fed from this one's lists and watch events, with no requests of their own. */
  private readonly parts: Informer<unknown>[] = [];
  private fedBy?: Informer<unknown>;
  /** While the rest of a listFirst list is being read: keys deleted since the first list. */
  private tombstones?: Set<string>;
  /** Bumped by every full relist: a rest listing begun before one is dropped. */
  private generation = 0;
  private relistRequested = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: InformerOptions<T>,
  ) {
    this.log = opts.logger ?? noopLogger;
    this.keyOf = opts.key ?? objectKey;
    this.what = { path: opts.path };
    this.watchConfig = opts.metadataOnly ? acceptingConfig(kc, METADATA_ACCEPT) : kc;
    if (opts.labelSelector) this.what.labelSelector = opts.labelSelector;
    if (opts.fieldSelector) this.what.fieldSelector = opts.fieldSelector;
  }

  /** Subscribes a handler; returns a function that unsubscribes it. */
  on(event: InformerEvent, handler: InformerHandler<T>): () => void {
    this.handlers[event].add(handler);
    return () => this.handlers[event].delete(handler);
  }

  /**
   * Keeps `index` in step with the cache (client-go's indexers): each cached item maps to
   * `valuesOf(item)`, under `keyOf(cache key)`; a deleted item leaves it. Updated before any handler
   * sees the event, so handlers read an index that already includes it. Several informers may
   * feed one index, with keyOf telling their keys apart.
   */
  addIndex(
    index: ManyToMany,
    valuesOf: (item: T) => readonly string[],
    keyOf: (key: string) => string = (key) => key,
  ): void {
    const binding = { index, valuesOf, keyOf };
    this.indexes.push(binding);
    for (const [key, entry] of this.cache) this.reindexOne(binding, 'add', key, entry.item);
  }

  /**
   * An informer of the objects listFirst selects, with its own projection, cache, handlers and
   * indexes, fed by this informer's list and watch (one stream for both consumers). Its start()
   * starts this informer and resolves once the first list is in; its stop() stops only itself.
   */
  firstPart<U>(project: (obj: KubernetesObject) => U): Informer<U> {
    const first = this.opts.listFirst;
    if (!first) throw new Error(`informer for ${this.opts.path} has no listFirst`);
    const part = new Informer<U>(this.kc, {
      path: this.opts.path,
      labelSelector: first.labelSelector,
      project,
      key: this.opts.key,
      logger: this.opts.logger,
      clock: this.opts.clock,
    });
    part.fedBy = this as Informer<unknown>;
    this.parts.push(part as Informer<unknown>);
    return part;
  }

  /** Starts list+watch; resolves once the first full list is cached and its adds emitted. */
  start(): Promise<void> {
    if (this.startPromise) return this.startPromise;
    if (this.stopped) return Promise.reject(new Error(`informer for ${this.opts.path} was stopped`));
    this.startPromise = new Promise<void>((resolve, reject) => {
      this.settleStart = (err) => {
        this.settleStart = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    if (this.fedBy) {
      // Its source reports its own failures; this one settles when fed or stopped.
      if (this.synced) this.settleStart?.();
      else this.fedBy.start().catch(() => undefined);
      return this.startPromise;
    }
    this.loopDone = this.loop().catch((err: unknown) => {
      this.log.error({ ...this.what, err: errorText(err) }, 'informer loop crashed');
      this.settleStart?.(err instanceof Error ? err : new Error(String(err)));
    });
    return this.startPromise;
  }

  /** Stops watching; resolves when the loop has exited. A pending start() rejects. */
  async stop(): Promise<void> {
    if (this.stopped) return this.loopDone;
    this.stopped = true;
    this.abortReason = 'stop';
    this.currentWatch?.abort();
    this.endWatch?.();
    this.listAbort.abort();
    this.wake?.();
    this.settleStart?.(new Error(`informer for ${this.opts.path} stopped before it synced`));
    // Parts cannot outlive their source.
    await Promise.all(this.parts.map((part) => part.stop()));
    await this.loopDone;
  }

  get(key: string): T | undefined {
    return this.cache.get(key)?.item;
  }

  list(): T[] {
    return [...this.cache.values()].map((e) => e.item);
  }

  /** How many objects the cache holds. */
  get size(): number {
    return this.cache.size;
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** The cached keys without copying them (do not add or remove entries while iterating). */
  keysView(): IterableIterator<string> {
    return this.cache.keys();
  }

  /**
   * Replaces the cached item of `key` with one read out of band (e.g. a GET, for a caller whose
   * projection kept less of the object before), when `replace(cached)` says so. Emits nothing:
   * the object did not change. A later watch event with the same resourceVersion is skipped as
   * usual, a newer one overwrites. Returns whether the item was stored.
   */
  fill(key: string, item: T, resourceVersion: string, replace: (cached: T) => boolean): boolean {
    const entry = this.cache.get(key);
    if (!entry || !replace(entry.item)) return false;
    this.cache.set(key, { item, resourceVersion });
    this.reindex('update', key, item);
    return true;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the next watch resumes from (last list, event or bookmark). */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /**
   * Breaks the current watch; the informer re-watches from the last resourceVersion after
   * `delayMs` (default 0). For tests and operators: `resourceVersion` overrides where the next
   * watch starts (an expired one exercises the 410 relist path).
   */
  restartWatch(opts: { delayMs?: number; resourceVersion?: string } = {}): void {
    this.pendingGapMs = opts.delayMs ?? 0;
    this.pendingResourceVersion = opts.resourceVersion;
    this.abortReason = 'restart';
    this.currentWatch?.abort();
  }

  private async loop(): Promise<void> {
    let needList = true;
    let firstListed = false;
    while (!this.stopped) {
      if (needList) {
        const split = !firstListed && !this.synced ? this.opts.listFirst : undefined;
        try {
          if (split) await this.listFirstPart(split);
          else await this.relist();
          needList = false;
          this.failures = 0;
        } catch (err) {
          if (this.stopped) break;
          this.log.warn({ ...this.what, err: errorText(err) }, 'list failed; retrying');
          await this.backoff();
          continue;
        }
        if (split) {
          firstListed = true;
          const [rv, generation] = [this.resourceVersion, this.generation];
          const go = () => this.listRest(split, rv, generation);
          if (split.restAfter) void split.restAfter.then(go, go);
          else go();
        } else this.markSynced();
      }
      if (this.pendingGapMs > 0) {
        const gap = this.pendingGapMs;
        this.pendingGapMs = 0;
        await this.sleep(gap);
        if (this.stopped) break;
      }
      if (this.pendingResourceVersion !== undefined) {
        this.resourceVersion = this.pendingResourceVersion;
        this.pendingResourceVersion = undefined;
      }
      const clock = this.opts.clock ?? systemClock;
      const started = clock.now();
      const { outcome, events } = await this.watchOnce();
      const lasted = clock.now() - started;
      if (events > 0 || lasted >= HEALTHY_WATCH_MS) this.failures = 0;
      switch (outcome.kind) {
        case 'stopped':
          return;
        case 'gone':
          this.log.info(
            { ...this.what, resourceVersion: this.resourceVersion, message: outcome.message },
            'watch expired (410); relisting',
          );
          needList = true;
          break;
        case 'closed':
          if (this.relistRequested) {
            this.relistRequested = false;
            needList = true;
            break;
          }
          this.log.debug(
            { ...this.what, resourceVersion: this.resourceVersion, restart: outcome.restart },
            'watch closed; resuming',
          );
          if (!outcome.restart && events === 0 && lasted < QUICK_CLOSE_MS) await this.backoff();
          break;
        case 'error':
          this.log.warn(
            { ...this.what, resourceVersion: this.resourceVersion, err: errorText(outcome.err) },
            'watch failed; resuming',
          );
          await this.backoff();
          break;
      }
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.log.info(
      { ...this.what, items: this.cache.size, resourceVersion: this.resourceVersion },
      'informer synced',
    );
    this.settleStart?.();
  }

  /** Lists every page, then replaces the cache (and its parts' caches), emitting the differences. */
  private async relist(): Promise<void> {
    this.generation++;
    this.tombstones = undefined;
    const listed = await this.listPages({
      labelSelector: this.opts.labelSelector,
      pageSize: this.opts.pageSize ?? 500,
    });
    this.replace(listed.items, listed.resourceVersion);
    this.parts.forEach((part, i) => part.replaceFed(listed.parts[i]!, listed.resourceVersion));
  }

  /** listFirst: the selected objects, whose parts are then ready; the rest follows (listRest). */
  private async listFirstPart(first: ListFirst): Promise<void> {
    const listed = await this.listPages({
      labelSelector: first.labelSelector,
      pageSize: first.pageSize ?? this.opts.pageSize ?? 500,
    });
    this.replace(listed.items, listed.resourceVersion);
    this.parts.forEach((part, i) => part.replaceFed(listed.parts[i]!, listed.resourceVersion));
    this.tombstones = new Set();
    this.log.info(
      { ...this.what, labelSelector: first.labelSelector, items: listed.items.size },
      'informer listed its first part',
    );
  }

  /**
   * The rest, as it was at the first list's resourceVersion, while the watch from there runs:
   * what the watch has brought (or deleted) since is newer and kept. If that resourceVersion is
   * gone (or the list fails), everything is listed again.
   */
  private listRest(first: ListFirst, resourceVersion: string, generation: number): void {
    this.listPages(
      { labelSelector: first.restSelector, pageSize: this.opts.pageSize ?? 500 },
      resourceVersion,
    ).then(
      (listed) => {
        if (this.stopped || generation !== this.generation) return;
        const deleted = this.tombstones ?? new Set<string>();
        this.tombstones = undefined;
        for (const [key, entry] of listed.items) {
          if (this.cache.has(key) || deleted.has(key)) continue;
          this.cache.set(key, entry);
          this.emit('add', key, entry.item);
        }
        this.markSynced();
      },
      (err: unknown) => {
        if (this.stopped || generation !== this.generation) return;
        this.log.warn({ ...this.what, err: errorText(err) }, 'listing the rest failed; listing everything');
        this.relistRequested = true;
        this.abortReason = 'restart';
        this.currentWatch?.abort();
      },
    );
  }

  /**
   * Lists every page (at `exactVersion` when given), projecting each object as it comes: for this
   * informer and for each part whose selection it is in.
   */
  private async listPages(
    sel: { labelSelector?: string; pageSize: number },
    exactVersion?: string,
  ): Promise<Listed<T>> {
    const items = new Map<string, Entry<T>>();
    const parts = this.parts.map(() => new Map<string, Entry<unknown>>());
    const matches = this.opts.listFirst?.matches;
    let resourceVersion = '';
    let cont: string | undefined;
    let restarts = 0;
    do {
      let page: ListPage;
      let count = 0;
      // Each object is projected as it arrives and dropped; the page is never held whole.
      const onObject = (obj: KubernetesObject, before: ListPage | undefined) => {
        count++;
        if (obj.apiVersion === undefined && before?.apiVersion) obj.apiVersion = before.apiVersion;
        const kind = before?.kind?.replace(/List$/, '');
        if (obj.kind === undefined && kind) obj.kind = kind;
        const entry = this.projectEntry(obj);
        if (entry) items.set(entry[0], entry[1]);
        if (matches?.(obj))
          this.parts.forEach((part, i) => {
            const e = part.projectEntry(obj);
            if (e) parts[i]!.set(e[0], e[1]);
          });
      };
      try {
        page = await kubeList<ListPage>(
          this.kc,
          {
            path: this.opts.path,
            query: {
              labelSelector: sel.labelSelector,
              fieldSelector: this.opts.fieldSelector,
              limit: sel.pageSize,
              continue: cont,
              ...(exactVersion && cont === undefined
                ? { resourceVersion: exactVersion, resourceVersionMatch: 'Exact' }
                : {}),
            },
            accept: this.opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
            signal: this.listAbort.signal,
            timeoutMs: this.opts.listTimeoutMs ?? 60_000,
          },
          (obj, before) => onObject(obj as KubernetesObject, before),
        );
      } catch (err) {
        // An expired continue token: start the list over (a few times) rather than back off.
        if (cont !== undefined && exactVersion === undefined && isApiError(err, 410) && restarts++ < 3) {
          this.log.info({ ...this.what }, 'list continue token expired; listing again');
          items.clear();
          for (const p of parts) p.clear();
          cont = undefined;
          continue;
        }
        throw err;
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
      this.log.debug(
        { ...this.what, labelSelector: sel.labelSelector, items: count, more: cont !== undefined },
        'listed a page',
      );
    } while (cont !== undefined);
    return { items, parts, resourceVersion };
  }

  /** A part's cache replaced by what its source listed; the first one makes it synced. */
  private replaceFed(items: Map<string, Entry<unknown>>, resourceVersion: string): void {
    if (this.stopped) return;
    this.replace(items as Map<string, Entry<T>>, resourceVersion);
    this.markSynced();
  }

  /** Replaces the cache with `items`, emitting the differences. */
  private replace(items: Map<string, Entry<T>>, resourceVersion: string): void {
    const old = new Map(this.cache);
    const diff = diffCaches(old, items);
    this.cache.clear();
    for (const [k, v] of items) this.cache.set(k, v);
    this.resourceVersion = resourceVersion;
    if (this.synced) {
      this.log.info({ ...this.what, ...counts(diff), resourceVersion }, 'relisted');
    }
    for (const key of diff.deleted) {
      const before = old.get(key);
      if (before) this.emit('delete', key, before.item, before.item);
    }
    for (const key of diff.added) {
      const now = items.get(key);
      if (now) this.emit('add', key, now.item);
    }
    for (const key of diff.updated) {
      const now = items.get(key);
      if (now) this.emit('update', key, now.item, old.get(key)?.item);
    }
  }

  private watchOnce(): Promise<{ outcome: Outcome; events: number }> {
    this.abortReason = this.stopped ? 'stop' : undefined;
    return new Promise((resolve) => {
      let settled = false;
      let events = 0;
      let terminal: Outcome | undefined;
      let controller: AbortController | undefined;
      const finish = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        this.currentWatch = undefined;
        this.endWatch = undefined;
        controller?.abort();
        resolve({ outcome, events });
      };
      // stop() ends the wait at once, even while the watch request is still connecting (the
      // connection itself is aborted as soon as Watch hands out its controller).
      this.endWatch = () => finish({ kind: 'stopped' });
      const query = {
        allowWatchBookmarks: true,
        resourceVersion: this.resourceVersion || undefined,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
      };
      new Watch(this.watchConfig)
        .watch(
          this.opts.path,
          query,
          (phase: string, obj: unknown) => {
            if (settled || terminal) return;
            events++;
            terminal = this.onWatchEvent(phase, obj as KubernetesObject);
            if (!terminal) this.feedParts(phase, obj as KubernetesObject);
            if (terminal) controller?.abort();
          },
          (err: unknown) => finish(terminal ?? this.classify(err)),
        )
        .then((ctrl) => {
          controller = ctrl;
          if (settled) return ctrl.abort();
          this.currentWatch = ctrl;
          if (this.abortReason !== undefined || terminal) ctrl.abort();
        })
        .catch((err: unknown) => finish(this.stopped ? { kind: 'stopped' } : { kind: 'error', err }));
    });
  }

  private classify(err: unknown): Outcome {
    if (this.stopped) return { kind: 'stopped' };
    if (this.abortReason === 'restart') return { kind: 'closed', restart: true };
    if (err === null || err === undefined) return { kind: 'closed', restart: false };
    // client-node's Watch aborts a connection silent for 30 s; resuming is routine.
    if (errorName(err) === 'TimeoutError') return { kind: 'closed', restart: false };
    if ((err as { statusCode?: unknown }).statusCode === 410)
      return { kind: 'gone', message: errorText(err) };
    return { kind: 'error', err };
  }

  /** Applies one watch event; returns an outcome when the event ends the watch (ERROR). */
  private onWatchEvent(phase: string, obj: KubernetesObject): Outcome | undefined {
    const rv = obj?.metadata?.resourceVersion;
    switch (phase) {
      case 'ADDED':
      case 'MODIFIED': {
        if (rv) this.resourceVersion = rv;
        const entry = this.projectEntry(obj);
        if (!entry) return undefined;
        const [key, next] = entry;
        const before = this.cache.get(key);
        if (before && before.resourceVersion === next.resourceVersion) return undefined;
        this.cache.set(key, next);
        if (before) this.emit('update', key, next.item, before.item);
        else this.emit('add', key, next.item);
        return undefined;
      }
      case 'DELETED': {
        if (rv) this.resourceVersion = rv;
        const key = this.keyOf(obj);
        this.tombstones?.add(key);
        const before = this.cache.get(key);
        if (!before) return undefined; // never seen, or its deletion already handled (a replay)
        this.cache.delete(key);
        this.emit('delete', key, this.projectEntry(obj)?.[1].item ?? before.item, before.item);
        return undefined;
      }
      case 'BOOKMARK':
        if (rv) this.resourceVersion = rv;
        return undefined;
      case 'ERROR': {
        const status = obj as { code?: number; reason?: string; message?: string };
        const message = `${status.code ?? '?'} ${status.reason ?? ''}: ${status.message ?? ''}`;
        if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
          return { kind: 'gone', message };
        }
        return { kind: 'error', err: new Error(`watch ERROR event ${message}`) };
      }
      default:
        this.log.warn({ ...this.what, phase }, 'unknown watch event type');
        return undefined;
    }
  }

  /** A watch event, as each part sees it: leaving the selection is a delete. */
  private feedParts(phase: string, obj: KubernetesObject): void {
    if (this.parts.length === 0) return;
    const inPart = (phase === 'ADDED' || phase === 'MODIFIED') && this.opts.listFirst?.matches(obj);
    const partPhase = phase === 'ADDED' || phase === 'MODIFIED' ? (inPart ? phase : 'DELETED') : phase;
    for (const part of this.parts) if (!part.stopped && part.synced) part.onWatchEvent(partPhase, obj);
  }

  private projectEntry(obj: KubernetesObject): [string, Entry<T>] | undefined {
    try {
      return [
        this.keyOf(obj),
        { item: this.opts.project(obj), resourceVersion: obj.metadata?.resourceVersion ?? '' },
      ];
    } catch (err) {
      this.log.error(
        { ...this.what, key: objectKey(obj), err: errorText(err) },
        'projection failed; object skipped',
      );
      return undefined;
    }
  }

  private emit(event: InformerEvent, key: string, item: T, old?: T): void {
    this.reindex(event, key, item);
    for (const handler of this.handlers[event]) {
      try {
        handler(key, item, old);
      } catch (err) {
        this.log.error({ ...this.what, event, key, err: errorText(err) }, 'informer handler threw');
      }
    }
  }

  private reindex(event: InformerEvent, key: string, item: T): void {
    for (const binding of this.indexes) this.reindexOne(binding, event, key, item);
  }

  private reindexOne(
    { index, valuesOf, keyOf }: IndexBinding<T>,
    event: InformerEvent,
    key: string,
    item: T,
  ): void {
    try {
      if (event === 'delete') index.delete(keyOf(key));
      else index.set(keyOf(key), valuesOf(item));
    } catch (err) {
      this.log.error({ ...this.what, event, key, err: errorText(err) }, 'informer index threw');
    }
  }

  private async backoff(): Promise<void> {
    const initial = this.opts.backoff?.initialMs ?? 1000;
    const max = this.opts.backoff?.maxMs ?? 30_000;
    const base = Math.min(initial * 2 ** this.failures, max);
    this.failures++;
    await this.sleep(base / 2 + Math.random() * (base / 2));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const clock = this.opts.clock ?? systemClock;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(done, ms);
      function done(): void {
        clock.clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function counts(diff: { added: string[]; updated: string[]; deleted: string[] }): Record<string, number> {
  return { added: diff.added.length, updated: diff.updated.length, deleted: diff.deleted.length };
}
