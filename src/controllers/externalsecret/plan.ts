// Fewer provider calls. Per store, a PlannedClient shares one in-flight fetch between every
// ExternalSecret asking for the same (key, version) at the same time — and with the ones that came
// due with it and still wait in the queue (they are moved to its front and the fetched value is
// held for them only, at most SHARE_HOLD_MS, never beyond) — batches payload fetches for
// providers that can (AWS BatchGetSecretValue, 20 per call), and answers version-tag questions
// from a cache of tags — never of values. A tag is reused for up to the asking ExternalSecret's
// refreshInterval, which keeps the interval's promise because a fresh tag that moved is reported
// (onMoved) so that every ExternalSecret reading the key refreshes at once. Where the provider can
// list every tag in a few calls (AWS ListSecrets), one listing answers for all keys.
// `--fetch-plan=naive` turns all of it off (one call per data entry, as ESO does) for the
// benchmark's baseline.
import { ThrottledError, UnavailableError } from '../../providers/core/errors';
import type { FindQuery, RemoteKey, SecretsClient, VersionSweep } from '../../providers/core/types';
import type { Clock, TimerHandle } from '../../runtime/clock';

export type FetchPlanMode = 'planned' | 'naive';

export interface PlanOptions {
  mode: FetchPlanMode;
  clock: Clock;
  /** How long payload requests wait to be batched together (providers with getSecrets only). */
  batchWindowMs?: number;
  /** A tag fetched for `key` differs from the one cached before: its readers should refresh. */
  onMoved?: (key: string) => void;
  /**
   * A payload of `key` arrived: move the ExternalSecrets that read it through this client and
   * wait in the queue to its front, and say how many, so that they share this read.
   */
  shareWith?: (key: string) => number;
  /** A read was answered by one already in flight or just arrived: no provider call (metrics). */
  onShared?: () => void;
}

/** How long a fetched value waits for the queued ExternalSecrets it is shared with. */
export const SHARE_HOLD_MS = 3000;

/**
 * After a refused listing (ListSecrets denied or not supported) tags are asked per key; the listing
 * is tried again after this long (a permission granted later is picked up without a restart; a
 * change of the store starts a new client, which tries at once), not on every refresh.
 */
export const SWEEP_RETRY_AFTER_REFUSAL_MS = 60 * 60_000;

const refId = (ref: RemoteKey) => `${ref.key}@${ref.version ?? ''}`;
/** Inverse of refId: keys may contain '@', versions do not. */
function splitRefId(id: string): [string, string | undefined] {
  const at = id.lastIndexOf('@');
  const version = id.slice(at + 1);
  return [id.slice(0, at), version === '' ? undefined : version];
}

interface CachedTag {
  tag: Promise<string>;
  /** When it was fetched (clock ms). */
  at: number;
  /** The tag, once it arrived. */
  value?: string;
}

/** One payload read, shared while in flight and, once it arrived, with `takers` queued readers. */
interface SharedRead {
  value: Promise<Uint8Array>;
  arrived: boolean;
  takers: number;
  timer?: TimerHandle;
}

interface Waiter {
  ref: RemoteKey;
  resolve: (v: Uint8Array) => void;
  reject: (e: unknown) => void;
}

/** A listing failure that says the listing cannot be used (vs an outage, which is reported). */
function sweepRefusal(err: unknown): boolean {
  return !(err instanceof ThrottledError || err instanceof UnavailableError);
}

export class PlannedClient implements SecretsClient {
  private readonly reads = new Map<string, SharedRead>();
  private readonly tags = new Map<string, CachedTag>();
  private sweep?: { result: Promise<VersionSweep>; at: number };
  /** Calls the last listing took (assume one page before the first). */
  private sweepCalls = 1;
  /** When a listing was last refused (clock ms). */
  private sweepRefusedAt?: number;
  private batch: Waiter[] = [];
  private batchTimer?: TimerHandle;

  constructor(
    readonly inner: SecretsClient,
    private readonly opts: PlanOptions,
  ) {}

  get supportsVersions(): boolean {
    return typeof this.inner.currentVersion === 'function';
  }

  /** Payload reads record their version tag, so a sync needs no separate tag call. */
  get payloadsCarryTags(): boolean {
    return this.opts.mode === 'planned' && typeof this.inner.getSecretWithTag === 'function';
  }

  getSecret(ref: RemoteKey): Promise<Uint8Array> {
    if (this.opts.mode === 'naive') return this.inner.getSecret(ref);
    const id = refId(ref);
    const shared = this.reads.get(id);
    if (shared) {
      if (shared.arrived && --shared.takers <= 0) this.release(id, shared);
      this.opts.onShared?.();
      return shared.value;
    }
    const value = this.inner.getSecrets ? this.enqueue(ref) : this.readTagged(ref);
    const read: SharedRead = { value, arrived: false, takers: 0 };
    this.reads.set(id, read);
    value.then(
      () => {
        read.arrived = true;
        read.takers = this.opts.shareWith?.(ref.key) ?? 0;
        if (read.takers <= 0) this.release(id, read);
        else read.timer = this.opts.clock.setTimeout(() => this.release(id, read), SHARE_HOLD_MS);
      },
      () => this.release(id, read),
    );
    return value;
  }

  private release(id: string, read: SharedRead): void {
    if (read.timer) this.opts.clock.clearTimeout(read.timer);
    if (this.reads.get(id) === read) this.reads.delete(id);
  }

  private readTagged(ref: RemoteKey): Promise<Uint8Array> {
    if (!this.inner.getSecretWithTag) return this.inner.getSecret(ref);
    const at = this.opts.clock.now();
    return this.inner.getSecretWithTag(ref).then(({ value, tag }) => {
      if (tag !== undefined) this.remember(ref, Promise.resolve(tag), at);
      return value;
    });
  }

  private enqueue(ref: RemoteKey): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.batch.push({ ref, resolve, reject });
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- flush() settles every waiter itself: it cannot reject
      this.batchTimer ??= this.opts.clock.setTimeout(() => void this.flush(), this.opts.batchWindowMs ?? 10);
    });
  }

  private async flush(): Promise<void> {
    const waiters = this.batch;
    this.batch = [];
    this.batchTimer = undefined;
    if (waiters.length === 1) {
      this.readOne(waiters[0]!);
      return;
    }
    try {
      const results = await this.inner.getSecrets!(waiters.map((w) => w.ref));
      for (const w of waiters) {
        const r = results.get(refId(w.ref));
        if (r instanceof Error) w.reject(r);
        else if (r === undefined) this.readOne(w);
        else w.resolve(r);
      }
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  /** Settles the waiter with one read, also when the provider throws instead of rejecting. */
  private readOne(w: Waiter): void {
    try {
      this.inner.getSecret(w.ref).then(w.resolve, w.reject);
    } catch (err) {
      w.reject(err);
    }
  }

  /**
   * The current version tag (metadata only), reusing one fetched after `fetchedAfterMs` — for a
   * periodic refresh, after the ExternalSecret last looked, so that it never sees an older state
   * than it saw then, while its sibling ExternalSecrets' checks since count for it.
   */
  async currentVersion(ref: RemoteKey, fetchedAfterMs = Infinity): Promise<string> {
    if (!this.inner.currentVersion) throw new Error('provider has no version tags');
    const id = refId(ref);
    const hit = this.tags.get(id);
    if (this.opts.mode === 'naive') return this.inner.currentVersion(ref);
    if (hit && hit.at > fetchedAfterMs) return hit.tag;
    if (this.sweepPreferred()) {
      const listed = await this.sweepTag(ref, fetchedAfterMs);
      if (listed !== undefined) return listed;
    }
    const tag = this.inner.currentVersion(ref);
    this.remember(ref, tag, this.opts.clock.now());
    return tag;
  }

  /** Caches a tag being fetched and reports it if it differs from the one cached before. */
  private remember(ref: RemoteKey, tag: Promise<string>, at: number): void {
    const id = refId(ref);
    const before = this.tags.get(id)?.value;
    const entry: CachedTag = { tag, at };
    this.tags.set(id, entry);
    tag.then(
      (v) => {
        entry.value = v;
        if (before !== undefined && before !== v) {
          this.dropHeld(ref.key);
          this.opts.onMoved?.(ref.key);
        }
      },
      () => {
        if (this.tags.get(id) === entry) this.tags.delete(id);
      },
    );
  }

  /** Listing every tag is cheaper than asking per key once the store has more keys than pages. */
  private sweepPreferred(): boolean {
    return (
      Boolean(this.inner.sweepVersions) &&
      (this.sweepRefusedAt === undefined ||
        this.opts.clock.now() - this.sweepRefusedAt >= SWEEP_RETRY_AFTER_REFUSAL_MS) &&
      this.sweepCalls <= Math.max(1, this.tags.size / 2)
    );
  }

  /** The tag from a listing made after `fetchedAfterMs` (one listing shared by concurrent askers). */
  private async sweepTag(ref: RemoteKey, fetchedAfterMs: number): Promise<string | undefined> {
    const now = this.opts.clock.now();
    if (!this.sweep || this.sweep.at <= fetchedAfterMs) {
      const result = this.inner.sweepVersions!();
      this.sweep = { result, at: now };
      result.then(
        (listing) => {
          this.sweepRefusedAt = undefined;
          this.sweepCalls = listing.calls;
          // Every key this store was asked about is checked by the one listing.
          for (const [id, cached] of this.tags) {
            const [key, version] = splitRefId(id);
            const tag = listing.tagOf({ key, version });
            if (tag !== undefined && cached.at < now)
              this.remember({ key, version }, Promise.resolve(tag), now);
          }
        },
        (err: unknown) => {
          if (this.sweep?.result === result) this.sweep = undefined;
          // Refused (permissions, unsupported): ask per key for a while; outages are reported.
          if (sweepRefusal(err)) this.sweepRefusedAt = now;
        },
      );
    }
    let listing: VersionSweep;
    const at = this.sweep.at;
    try {
      listing = await this.sweep.result;
    } catch (err) {
      if (sweepRefusal(err)) return undefined;
      throw err;
    }
    const tag = listing.tagOf(ref);
    if (tag === undefined) return undefined;
    const cached = this.tags.get(refId(ref));
    if (cached && cached.at >= at) return cached.tag;
    this.remember(ref, Promise.resolve(tag), at);
    return tag;
  }

  /** Forget cached tags and held values of a key (a rotation event said it changed). */
  invalidate(key: string): void {
    for (const id of this.tags.keys()) if (id.startsWith(`${key}@`)) this.tags.delete(id);
    this.dropHeld(key);
    this.sweep = undefined;
  }

  /** Held values of a key that moved are not shared any more. */
  private dropHeld(key: string): void {
    for (const [id, read] of this.reads) if (read.arrived && id.startsWith(`${key}@`)) this.release(id, read);
  }

  findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>> {
    return this.inner.findSecrets(query);
  }

  async validate(): Promise<string[]> {
    return (await this.inner.validate?.()) ?? [];
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
