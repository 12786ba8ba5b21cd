// Lease-based leader election with client-go's semantics, so that of N controller replicas exactly
// one reconciles and a replacement takes over within seconds of the leader dying (lease expiry)
// or stopping (released lease). The record rules live in kube/lease.ts; this is the I/O loop.
//
// Timing (client-go defaults 15 s / 10 s / 2 s): a candidate tries every retryPeriod (+ up to 20 %
// jitter) and takes the Lease when it has no holder or renewTime + leaseDurationSeconds has
// passed, writing with the resourceVersion it read (a 409 means another candidate won). The leader
// renews every retryPeriod; it stops leading as soon as it sees another valid holder, or when no
// renewal has succeeded for renewDeadline (< leaseDuration, so it stops before anyone else may
// start). stop() gives the lease up (no holder, 1 s duration) so the next leader starts at once.
import type { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  acquiredSpec,
  explainLeaseFailure,
  type Lease,
  type LeaseFailure,
  type LeaseSpec,
  releasedSpec,
  validHolder,
} from '../kube/lease';
import { errorText, type Logger, noopLogger } from '../observability/log';
import { isApiError, KubeApiError, kubeRequest } from '../kube/request';
import { resourcePath } from '../kube/resources';
import { type Clock, systemClock, type TimerHandle } from './clock';

export interface LeaderDurations {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_DURATIONS: LeaderDurations = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

const JITTER = 0.2;

/** pod name (POD_NAME from the downward API, else the hostname) + "_" + a random suffix. */
export function leaderIdentity(podName = process.env.POD_NAME || hostname()): string {
  return `${podName}_${randomBytes(4).toString('hex')}`;
}

export interface LeaderElectorOptions {
  kc: KubeConfig;
  namespace: string;
  /** Lease name. */
  name: string;
  /** holderIdentity; default leaderIdentity(). Must be unique per replica. */
  identity?: string;
  durations?: Partial<LeaderDurations>;
  logger?: Logger;
  clock?: Clock;
  /** Called when this replica becomes leader. Not awaited; start the controllers here. */
  onStartedLeading: () => void | Promise<void>;
  /** Called when leadership ends (lost, or stop()); awaited by stop() before the lease is released. */
  onStoppedLeading: () => void | Promise<void>;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?: (identity: string) => void;
}

type Attempt = 'leading' | 'held' | 'failed';

export class LeaderElector {
  readonly identity: string;
  private readonly durations: LeaderDurations;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly path: string;
  private readonly loopAbort = new AbortController();
  private leader = false;
  private stopped = false;
  private running?: Promise<void>;
  private lease?: Lease;
  private lastRenewMs = 0;
  private observedHolder?: string;
  private wake?: () => void;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.identity = opts.identity ?? leaderIdentity();
    this.durations = { ...DEFAULT_LEADER_DURATIONS, ...opts.durations };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.durations;
    if (!(retryPeriodMs > 0 && renewDeadlineMs > retryPeriodMs && leaseDurationMs > renewDeadlineMs)) {
      throw new Error(
        `leader election needs leaseDuration > renewDeadline > retryPeriod > 0 (got ${leaseDurationMs}/${renewDeadlineMs}/${retryPeriodMs} ms)`,
      );
    }
    if (!this.identity) throw new Error('leader election needs a non-empty identity');
    this.log = opts.logger ?? noopLogger;
    this.clock = opts.clock ?? systemClock;
    this.path = resourcePath('Lease', { namespace: opts.namespace });
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Campaigns until stop(): lead, and after losing the lease, campaign again. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops campaigning; a leader calls onStoppedLeading, then releases the lease. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.loopAbort.abort();
      this.wake?.();
    }
    await this.running;
  }

  private get leaseDurationSeconds(): number {
    return Math.ceil(this.durations.leaseDurationMs / 1000);
  }

  private get ctx(): Record<string, string> {
    return { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.identity };
  }

  private async loop(): Promise<void> {
    const { retryPeriodMs } = this.durations;
    while (!this.stopped) {
      const attempt = await this.tryAcquireOrRenew(this.durations.renewDeadlineMs);
      if (attempt !== 'leading') {
        await this.sleep(retryPeriodMs * (1 + Math.random() * JITTER));
        continue;
      }
      this.lastRenewMs = this.clock.now();
      this.leader = true;
      this.log.info({ ...this.ctx }, 'became leader');
      this.callStarted();
      if (this.stopped) break;
      const why = await this.renewUntilLost();
      if (this.stopped) break;
      this.leader = false;
      this.log.warn({ ...this.ctx, why }, 'lost leadership');
      await this.callStopped();
    }
    if (this.leader) {
      this.leader = false;
      this.log.info({ ...this.ctx }, 'stopping; giving up leadership');
      await this.callStopped();
    }
    await this.release();
  }

  /** Renews every retryPeriod; returns why leadership ended (or undefined when stopped). */
  private async renewUntilLost(): Promise<string | undefined> {
    const { renewDeadlineMs, retryPeriodMs } = this.durations;
    for (;;) {
      const deadline = this.lastRenewMs + renewDeadlineMs;
      await this.sleep(Math.min(retryPeriodMs, deadline - this.clock.now()));
      if (this.stopped) return undefined;
      const sentAt = this.clock.now();
      if (sentAt >= deadline) return `no successful renewal within ${renewDeadlineMs} ms`;
      const attempt = await this.tryAcquireOrRenew(deadline - sentAt);
      if (this.stopped) return undefined;
      if (attempt === 'leading') this.lastRenewMs = sentAt;
      else if (attempt === 'held')
        return `the lease is held by ${this.observedHolder ?? 'another candidate'}`;
    }
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<Attempt> {
    // Fast path: the leader writes over the record it last wrote, without a read (as client-go).
    if (this.leader && this.lease) {
      try {
        this.lease = await this.put(
          this.lease,
          acquiredSpec(this.lease.spec, this.identity, this.clock.now(), this.leaseDurationSeconds),
          timeoutMs,
        );
        return 'leading';
      } catch (err) {
        if (!isApiError(err, 409)) return this.failed('renew', err);
      }
    }
    let lease: Lease;
    try {
      lease = await kubeRequest<Lease>(this.opts.kc, {
        path: this.leasePath,
        signal: this.loopAbort.signal,
        timeoutMs,
      });
    } catch (err) {
      if (!isApiError(err, 404)) return this.failed('read', err);
      try {
        this.lease = await kubeRequest<Lease>(this.opts.kc, {
          method: 'POST',
          path: this.path,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.opts.name, namespace: this.opts.namespace },
            spec: acquiredSpec(undefined, this.identity, this.clock.now(), this.leaseDurationSeconds),
          },
          signal: this.loopAbort.signal,
          timeoutMs,
        });
        this.observe(this.identity);
        return 'leading';
      } catch (createErr) {
        return isApiError(createErr, 409) ? 'failed' : this.failed('create', createErr);
      }
    }
    this.lease = lease;
    const holder = validHolder(lease.spec, this.clock.now());
    if (holder !== undefined) this.observe(holder);
    if (holder !== undefined && holder !== this.identity) return 'held';
    try {
      this.lease = await this.put(
        lease,
        acquiredSpec(lease.spec, this.identity, this.clock.now(), this.leaseDurationSeconds),
        timeoutMs,
      );
      this.observe(this.identity);
      return 'leading';
    } catch (err) {
      if (isApiError(err, 409)) {
        this.log.debug({ ...this.ctx }, 'lease update conflicted; another candidate wrote it first');
        return 'failed';
      }
      return this.failed('update', err);
    }
  }

  /** On a graceful stop: clears the holder if it is still us, so the next leader need not wait. */
  private async release(): Promise<void> {
    const timeoutMs = this.durations.renewDeadlineMs;
    try {
      const lease = await kubeRequest<Lease>(this.opts.kc, { path: this.leasePath, timeoutMs });
      if (lease.spec?.holderIdentity !== this.identity) return;
      this.lease = await this.put(lease, releasedSpec(lease.spec, this.clock.now()), timeoutMs, false);
      this.log.info({ ...this.ctx }, 'released the lease');
    } catch (err) {
      if (isApiError(err, 404)) return;
      this.log.warn(
        { ...this.ctx, err: errorText(err) },
        'could not release the lease; it expires by itself',
      );
    }
  }

  private get leasePath(): string {
    return `${this.path}/${encodeURIComponent(this.opts.name)}`;
  }

  private put(lease: Lease, spec: LeaseSpec, timeoutMs: number, abortable = true): Promise<Lease> {
    return kubeRequest<Lease>(this.opts.kc, {
      method: 'PUT',
      path: this.leasePath,
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec },
      signal: abortable ? this.loopAbort.signal : undefined,
      timeoutMs,
    });
  }

  /** Logs why, in one line naming the fix, on every failed attempt (the first one is at start). */
  private failed(op: LeaseFailure['op'], err: unknown): Attempt {
    if (this.stopped) return 'failed';
    const error = errorText(err);
    const code = err instanceof KubeApiError ? err.code : undefined;
    const message = explainLeaseFailure({
      op,
      code,
      error,
      namespace: this.opts.namespace,
      name: this.opts.name,
    });
    this.log.warn({ ...this.ctx, op, code, err: error }, message);
    return 'failed';
  }

  private observe(holder: string): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    if (holder !== this.identity) this.log.info({ ...this.ctx, leader: holder }, 'observed a new leader');
    try {
      this.opts.onNewLeader?.(holder);
    } catch (err) {
      this.log.error({ ...this.ctx, err: errorText(err) }, 'onNewLeader threw');
    }
  }

  private callStarted(): void {
    try {
      void Promise.resolve(this.opts.onStartedLeading()).catch((err: unknown) =>
        this.log.error({ ...this.ctx, err: errorText(err) }, 'onStartedLeading failed'),
      );
    } catch (err) {
      this.log.error({ ...this.ctx, err: errorText(err) }, 'onStartedLeading threw');
    }
  }

  private async callStopped(): Promise<void> {
    try {
      await this.opts.onStoppedLeading();
    } catch (err) {
      this.log.error({ ...this.ctx, err: errorText(err) }, 'onStoppedLeading failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      let handle: TimerHandle | undefined = undefined;
      const done = (): void => {
        if (handle !== undefined) this.clock.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      handle = this.clock.setTimeout(done, Math.max(0, ms));
    });
  }
}
