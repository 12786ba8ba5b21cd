// This replica's membership of a shard ring (I/O edge of shard-ring.ts): one Lease per replica,
// labelled with the ring, renewed every retryPeriod like the leader Lease and carrying the ring
// view this replica has drained to. Each round lists the ring's Leases, updates the view, and
// acknowledges it once no reconcile runs in a namespace this replica no longer may act on.
// A replica acts only while its own Lease was renewed within renewDeadline (< leaseDuration), so
// a replica cut off from the apiserver stops before the others take its namespaces over.
import type { KubeConfig } from '@kubernetes/client-node';
import { acquiredSpec, type Lease } from '../kube/lease';
import { isApiError, kubeRequest } from '../kube/request';
import { resourcePath } from '../kube/resources';
import { errorText, type Logger, noopLogger } from '../observability/log';
import { type Clock, systemClock, type TimerHandle } from './clock';
import type { Decision, Done } from './decision';
import type { LeaderDurations } from './leader';
import {
  expiredLeases,
  INITIAL_VIEW,
  liveMembers,
  mayAct,
  observeMembers,
  type Ring,
  SHARD_ACK_ANNOTATION,
  SHARD_RING_LABEL,
  type ShardView,
  viewId,
} from './shard-ring';
import {
  emptyOutbox,
  expire,
  type Outbox,
  post,
  type RelayMessage,
  type Seen,
  SHARD_RELAY_ANNOTATION,
  takeNew,
} from './shard-relay';

/** What the controllers ask before (and tell after) reconciling an object of a namespace. */
export interface ShardGate {
  /** True (and counted as in flight) when this replica may act on the namespace now. */
  tryEnter(namespace: string): boolean;
  leave(namespace: string): void;
  /** Whether this replica may act on the namespace now (tryEnter without entering). */
  mayAct(namespace: string): boolean;
}

export interface ShardMemberOptions {
  kc: KubeConfig;
  namespace: string;
  ring: string;
  identity: string;
  durations: LeaderDurations;
  logger?: Logger;
  clock?: Clock;
  /** The view changed: namespaces may have been gained (re-enqueue what they hold). */
  onViewChange?: () => void;
  /** Messages other members posted (shard-relay.ts), new since the last round. */
  onMessages?: (messages: RelayMessage[]) => void;
}

/** Messages stay in the outbox this many lease durations (a member listing late still sees them). */
const RELAY_KEEP_ROUNDS = 2;

/** A Lease name from an identity (pod_suffix): lower-case DNS subdomain characters only. */
export function shardLeaseName(ring: string, identity: string): string {
  return `${ring}-${identity.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`.slice(0, 253);
}

export class ShardMember implements ShardGate {
  private view: ShardView = INITIAL_VIEW;
  private readonly inflight = new Map<string, number>();
  private ack = '';
  private lastRenewMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private running?: Promise<void>;
  private timer?: TimerHandle;
  private wake?: () => void;
  private outbox: Outbox;
  /** Posted since the last renewal: the next round starts without waiting a retry period. */
  private posted = false;
  private seen: Seen = new Map();
  private firstRound = true;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly collection: string;
  readonly leaseName: string;

  constructor(private readonly opts: ShardMemberOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.collection = resourcePath('Lease', { namespace: opts.namespace });
    this.leaseName = shardLeaseName(opts.ring, opts.identity);
    this.outbox = emptyOutbox(`${opts.identity}@${this.clock.now()}`);
  }

  /** Posts a message to the other members: written in this replica's Lease at once. */
  post(topic: string, items: readonly string[]): void {
    if (this.stopped) return;
    this.outbox = post(this.outbox, topic, items, this.clock.now());
    this.posted = true;
    this.wake?.();
  }

  tryEnter(namespace: string): boolean {
    if (!this.mayAct(namespace)) return false;
    this.inflight.set(namespace, (this.inflight.get(namespace) ?? 0) + 1);
    return true;
  }

  leave(namespace: string): void {
    const n = (this.inflight.get(namespace) ?? 0) - 1;
    if (n > 0) this.inflight.set(namespace, n);
    else this.inflight.delete(namespace);
  }

  mayAct(namespace: string): boolean {
    const fresh = this.clock.now() - this.lastRenewMs < this.opts.durations.renewDeadlineMs;
    return fresh && !this.stopped && mayAct(this.view, this.opts.identity, namespace);
  }

  /** The current ring view (what the sharder labels by). */
  ring(): Ring {
    return this.view.current;
  }

  /** The members of the current view (for logs and tests). */
  members(): readonly string[] {
    return this.view.current.members;
  }

  /** Renews and observes every retryPeriod until stop(). */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Stops acting at once, then deletes the Lease so the others take the share over without
   * waiting; release false leaves it to expire (as after a crash).
   */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (!release) return;
    try {
      await kubeRequest(this.opts.kc, {
        method: 'DELETE',
        path: this.leasePath(this.leaseName),
        timeoutMs: 5000,
      });
      this.log.info({ lease: this.leaseName }, 'left the shard ring');
    } catch (err) {
      if (!isApiError(err, 404))
        this.log.warn(
          { lease: this.leaseName, err: errorText(err) },
          'could not delete the shard Lease; it expires by itself',
        );
    }
  }

  private leasePath(name: string): string {
    return `${this.collection}/${encodeURIComponent(name)}`;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let failed = false;
      try {
        await this.round();
      } catch (err) {
        failed = true;
        this.log.warn({ ring: this.opts.ring, err: errorText(err) }, 'shard ring round failed; retrying');
      }
      // A message posted during the round goes out at once (a failed round waits as usual).
      if (failed || !this.posted) await this.sleep(this.opts.durations.retryPeriodMs);
    }
  }

  /** One round: list the ring, update the view, acknowledge when drained, renew our Lease. */
  async round(): Promise<void> {
    const list = await kubeRequest<{ items?: Lease[] }>(this.opts.kc, {
      path: this.collection,
      query: { labelSelector: `${SHARD_RING_LABEL}=${this.opts.ring}` },
      timeoutMs: this.opts.durations.renewDeadlineMs,
    });
    if (this.stopped) return;
    const leases = list.items ?? [];
    const now = this.clock.now();
    const before = this.signature();
    // Keys skipped while our Lease was stale were dropped: a fresh renewal enqueues them again.
    const wasStale = now - this.lastRenewMs >= this.opts.durations.renewDeadlineMs;
    // Without a fresh Lease of our own we are no member, whatever the list says.
    const members = liveMembers(leases, now).filter(
      (m) =>
        m.identity !== this.opts.identity || now - this.lastRenewMs < this.opts.durations.renewDeadlineMs,
    );
    this.view = observeMembers(this.view, members);
    if (this.drained()) this.ack = viewId(this.view.current.members);
    const taken = takeNew(this.seen, leases, this.leaseName, this.firstRound);
    this.seen = taken.seen;
    this.firstRound = false;
    if (taken.messages.length > 0) this.opts.onMessages?.(taken.messages);
    const own = leases.find((l) => l.metadata?.name === this.leaseName);
    const sentAt = this.clock.now();
    this.posted = false;
    // Kept long enough for every live member to list it a few times.
    this.outbox = expire(this.outbox, sentAt, RELAY_KEEP_ROUNDS * this.opts.durations.leaseDurationMs);
    await this.renew(own);
    this.lastRenewMs = sentAt;
    if (this.signature() !== before || wasStale) {
      this.log.info(
        { ring: this.opts.ring, members: this.view.current.members, settling: this.view.restrict.length > 0 },
        'shard ring view changed',
      );
      this.opts.onViewChange?.();
    }
    for (const l of expiredLeases(leases, now)) await this.deleteExpired(l);
  }

  private signature(): string {
    return [this.view.current, ...this.view.restrict].map((r) => viewId(r.members)).join('/');
  }

  /** No reconcile in flight in a namespace we may no longer act on. */
  private drained(): boolean {
    for (const ns of this.inflight.keys()) if (!mayAct(this.view, this.opts.identity, ns)) return false;
    return true;
  }

  private async renew(own: Lease | undefined): Promise<void> {
    const seconds = Math.ceil(this.opts.durations.leaseDurationMs / 1000);
    const metadata = {
      ...(own?.metadata ?? { name: this.leaseName, namespace: this.opts.namespace }),
      labels: {
        ...(own?.metadata?.labels as Record<string, string> | undefined),
        [SHARD_RING_LABEL]: this.opts.ring,
      },
      annotations: {
        ...(own?.metadata?.annotations as Record<string, string> | undefined),
        [SHARD_ACK_ANNOTATION]: this.ack,
        [SHARD_RELAY_ANNOTATION]: JSON.stringify(this.outbox),
      },
    };
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata,
      spec: acquiredSpec(own?.spec, this.opts.identity, this.clock.now(), seconds),
    };
    await kubeRequest<Lease>(this.opts.kc, {
      method: own ? 'PUT' : 'POST',
      path: own ? this.leasePath(this.leaseName) : this.collection,
      body,
      timeoutMs: this.opts.durations.renewDeadlineMs,
    });
  }

  /** A crashed replica's Lease: deleted (only if unchanged since read) so the ring list stays short. */
  private async deleteExpired(l: Lease): Promise<void> {
    const name = l.metadata?.name;
    if (!name || name === this.leaseName) return;
    try {
      await kubeRequest(this.opts.kc, {
        method: 'DELETE',
        path: this.leasePath(name),
        body: { preconditions: { resourceVersion: l.metadata?.resourceVersion } },
        timeoutMs: 5000,
      });
    } catch (err) {
      if (!isApiError(err, 404) && !isApiError(err, 409))
        this.log.debug({ lease: name, err: errorText(err) }, 'could not delete an expired shard Lease');
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.timer = this.clock.setTimeout(done, Math.max(0, ms));
    });
  }
}

/** What a reconcile skipped for another replica's namespace returns: no metrics, no log line. */
export const NOT_OURS: Done = Object.freeze({ kind: 'done' });

/**
 * Runs a reconcile only when the gate lets this replica act on the namespace (always without a
 * gate); otherwise forgets the key: it is enqueued again when this replica gains the namespace.
 */
export async function gated(
  gate: ShardGate | undefined,
  namespace: string,
  reconcile: () => Decision | Promise<Decision>,
): Promise<Decision> {
  if (!gate) return reconcile();
  if (!gate.tryEnter(namespace)) return NOT_OURS;
  try {
    return await reconcile();
  } finally {
    gate.leave(namespace);
  }
}
