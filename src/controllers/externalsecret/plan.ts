// Fewer provider calls. Per store, a PlannedClient shares one in-flight fetch between every
// ExternalSecret asking for the same (key, version) at the same time, batches payload fetches for
// providers that can (AWS BatchGetSecretValue, 20 per call), and answers version-tag questions
// from a short-lived cache of tags — never of values. `--fetch-plan=naive` turns all of it off
// (one call per data entry, as ESO does) for the benchmark's baseline.
import type { FindQuery, RemoteKey, SecretsClient } from '../../providers/types';
import type { Clock } from '../../util/clock';

export type FetchPlanMode = 'planned' | 'naive';

export interface PlanOptions {
  mode: FetchPlanMode;
  clock: Clock;
  /** How long payload requests wait to be batched together (providers with getSecrets only). */
  batchWindowMs?: number;
}

const refId = (ref: RemoteKey) => `${ref.key}@${ref.version ?? ''}`;

interface Waiter {
  ref: RemoteKey;
  resolve: (v: Uint8Array) => void;
  reject: (e: unknown) => void;
}

export class PlannedClient implements SecretsClient {
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly tags = new Map<string, { tag: Promise<string>; at: number }>();
  private batch: Waiter[] = [];
  private batchTimer?: ReturnType<typeof setTimeout>;

  constructor(
    readonly inner: SecretsClient,
    private readonly opts: PlanOptions,
  ) {}

  get supportsVersions(): boolean {
    return typeof this.inner.currentVersion === 'function';
  }

  getSecret(ref: RemoteKey): Promise<Uint8Array> {
    if (this.opts.mode === 'naive') return this.inner.getSecret(ref);
    const id = refId(ref);
    let p = this.inflight.get(id);
    if (!p) {
      p = this.inner.getSecrets ? this.enqueue(ref) : this.inner.getSecret(ref);
      this.inflight.set(id, p);
      const clear = () => this.inflight.delete(id);
      p.then(clear, clear);
    }
    return p;
  }

  private enqueue(ref: RemoteKey): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.batch.push({ ref, resolve, reject });
      this.batchTimer ??= setTimeout(() => void this.flush(), this.opts.batchWindowMs ?? 10);
    });
  }

  private async flush(): Promise<void> {
    const waiters = this.batch;
    this.batch = [];
    this.batchTimer = undefined;
    if (waiters.length === 1) {
      const [w] = waiters as [Waiter];
      this.inner.getSecret(w.ref).then(w.resolve, w.reject);
      return;
    }
    try {
      const results = await this.inner.getSecrets!(waiters.map((w) => w.ref));
      for (const w of waiters) {
        const r = results.get(refId(w.ref));
        if (r instanceof Error) w.reject(r);
        else if (r === undefined) this.inner.getSecret(w.ref).then(w.resolve, w.reject);
        else w.resolve(r);
      }
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  /** The current version tag, reusing one fetched within `maxAgeMs` (metadata only). */
  currentVersion(ref: RemoteKey, maxAgeMs = 0): Promise<string> {
    if (!this.inner.currentVersion) return Promise.reject(new Error('provider has no version tags'));
    const id = refId(ref);
    const now = this.opts.clock.now();
    const hit = this.tags.get(id);
    if (this.opts.mode === 'planned' && hit && now - hit.at <= maxAgeMs) return hit.tag;
    const tag = this.inner.currentVersion(ref);
    this.tags.set(id, { tag, at: now });
    tag.catch(() => this.tags.delete(id));
    return tag;
  }

  /** Forget cached tags of a key (a rotation event said it changed). */
  invalidate(key: string): void {
    for (const id of this.tags.keys()) if (id.startsWith(`${key}@`)) this.tags.delete(id);
  }

  findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>> {
    return this.inner.findSecrets(query);
  }

  async validate(): Promise<void> {
    await this.inner.validate?.();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
