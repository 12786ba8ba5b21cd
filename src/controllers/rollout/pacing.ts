// Rollout pacing wired to time and the work queue: the controller asks admit() before each
// restart, tells observe() what its workload informers see, and pacing re-queues the workloads
// waiting for a slot when one frees (a rollout completes, stalls, times out, or was not made) and
// times the rollouts out. With no limit, nothing is tracked: only rollout windows apply.
import { ROLLOUT_ANNOTATION } from '../../api/constants';
import type { Clock, TimerHandle } from '../../runtime/clock';
import { gate, InFlight, WaitingLine, type GateDecision, type ObservedRollout } from './gate';
import type { RolloutWindow } from './window';

export interface PacingOptions {
  /** --max-concurrent-rollouts; Infinity: unlimited. */
  limit: number;
  /** --rollout-progress-timeout. */
  timeoutMs: number;
  clock: Clock;
  /** Decide on this waiting workload again (a slot is free for it). */
  requeue(workload: string): void;
  /** A rollout stopped counting without completing; called on the leader only. */
  abandoned(workload: string, why: 'stalled' | 'timed-out'): void;
  /** The number of rollouts in flight, whenever it changes. */
  count?(n: number): void;
}

export class Pacing {
  readonly inFlight: InFlight;
  readonly line = new WaitingLine();
  private running = false;
  private timer?: TimerHandle;
  private timerAt?: number;

  constructor(private readonly opts: PacingOptions) {
    this.inFlight = new InFlight(opts.timeoutMs);
  }

  private get limited(): boolean {
    return Number.isFinite(this.opts.limit);
  }

  /** What an informer shows of a workload (undefined: gone or no longer opted in); any replica. */
  observe(workload: string, rollout: ObservedRollout | undefined): void {
    if (!this.limited) return;
    const why = this.inFlight.observe(workload, rollout, this.opts.clock.now());
    if (why === 'stalled' || why === 'timed-out') this.report(workload, why);
    this.changed();
  }

  /**
   * Whether a restart of the workload may be sent now, stamped `restartedAt`. When it may, it
   * counts at once (before the patch is sent: two workers never both take the last slot).
   */
  admit(
    workload: string,
    window: RolloutWindow | { invalid: string } | undefined,
    restartedAt: string,
  ): GateDecision {
    const now = this.opts.clock.now();
    const d = gate({
      workload,
      now,
      inFlight: this.inFlight,
      limit: this.opts.limit,
      ahead: this.line.ahead(workload),
      ...(window && { window }),
    });
    if (d.action === 'wait') {
      this.line.join(workload, d.reason);
      return d;
    }
    this.line.leave(workload);
    if (this.limited) {
      this.inFlight.start(workload, restartedAt, now);
      this.changed();
    }
    return d;
  }

  /** The admitted restart was not made; `rollout` is the workload as last seen, still counted if it rolls. */
  cancel(workload: string, restartedAt: string, rollout: ObservedRollout | undefined): void {
    if (!this.inFlight.cancel(workload, restartedAt)) return;
    this.inFlight.observe(workload, rollout, this.opts.clock.now());
    this.changed();
  }

  /** The workload's restart no longer waits (nothing to roll, or it rolled). */
  leave(workload: string): void {
    if (this.line.leave(workload)) this.changed();
  }

  /** The workload is gone or no longer opted in. */
  forget(workload: string): void {
    this.line.leave(workload);
    this.observe(workload, undefined);
  }

  /** On the leader: from now on slots are handed out, rollouts time out and are reported. */
  start(): void {
    this.running = true;
    this.inFlight.expire(this.opts.clock.now()); // timed out while another process led
    this.changed();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  private report(workload: string, why: 'stalled' | 'timed-out'): void {
    if (this.running) this.opts.abandoned(workload, why);
  }

  /** After any change: hand free slots to the first waiting workloads, re-arm the timeout. */
  private changed(): void {
    this.opts.count?.(this.inFlight.size);
    if (!this.running) return;
    const free = this.opts.limit - this.inFlight.size;
    if (free > 0) for (const wk of this.line.first(free)) this.opts.requeue(wk);
    const at = this.inFlight.nextExpiry();
    if (at === this.timerAt) return;
    this.disarm();
    if (at === undefined) return;
    this.timerAt = at;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = this.timerAt = undefined;
      for (const wk of this.inFlight.expire(this.opts.clock.now())) this.report(wk, 'timed-out');
      this.changed();
    }, at - this.opts.clock.now());
  }

  private disarm(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.timerAt = undefined;
  }
}

/** The Event message of a restart that waits. */
export function pacingMessage(
  d: Extract<GateDecision, { action: 'wait' }>,
  limit: number,
  window: RolloutWindow | { invalid: string } | undefined,
): string {
  if (d.reason === 'max-concurrent-rollouts')
    return `restart waits: ${d.inFlight} rollouts in flight, --max-concurrent-rollouts is ${limit}; it starts when a slot frees`;
  if (d.invalid !== undefined || window === undefined || 'invalid' in window)
    return `restart waits: ${ROLLOUT_ANNOTATION.rolloutWindow} cannot be read (${d.invalid ?? 'invalid'}); fix it to roll`;
  const which = `${ROLLOUT_ANNOTATION.rolloutWindow} "${window.expression}" (${window.timeZone})`;
  return d.opensAt === undefined
    ? `restart waits: ${which} never opens again; change it to roll`
    : `restart waits for ${which}: it opens at ${new Date(d.opensAt).toISOString()}`;
}
