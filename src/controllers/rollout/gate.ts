// Rollout pacing as pure parts, time passed in: gate() decides whether one restart may start now
// (--max-concurrent-rollouts, secretsync.io/rollout-window); InFlight keeps which rollouts count
// against the limit, rebuilt from what the informers see of each workload (so a restarted process
// or a new leader counts the rollouts its predecessor started) plus the restarts this process has
// just sent; WaitingLine keeps the workloads waiting for a slot in the order they came.
import type { RolloutProgress } from './kinds';
import { windowState, type RolloutWindow } from './window';

export type HoldReason = 'max-concurrent-rollouts' | 'rollout-window';

export type GateDecision =
  | { action: 'roll' }
  /** opensAt: when to decide again (absent: never by itself); invalid: the window cannot be read. */
  | { action: 'wait'; reason: 'rollout-window'; opensAt?: number; invalid?: string }
  | { action: 'wait'; reason: 'max-concurrent-rollouts'; inFlight: number };

export interface GateInput {
  workload: string;
  now: number;
  /** Rollouts counting against the limit. */
  inFlight: { has(workload: string): boolean; readonly size: number };
  /** Infinity: unlimited. */
  limit: number;
  /** Workloads that have been waiting for a slot since before this one: they go first. */
  ahead: number;
  window?: RolloutWindow | { invalid: string };
}

/**
 * A closed (or unreadable) window holds the restart whatever the limit; otherwise it rolls if a
 * slot is free once the workloads ahead of it have theirs. A workload already rolling takes no
 * second slot. An unreadable window holds rather than rolls: whoever wrote one wants no restart
 * outside it, and the InvalidReloadAnnotation Event says what to fix.
 */
export function gate(i: GateInput): GateDecision {
  if (i.window) {
    if ('invalid' in i.window) return { action: 'wait', reason: 'rollout-window', invalid: i.window.invalid };
    const w = windowState(i.window, i.now);
    if (!w.open)
      return w.opensAt === undefined
        ? { action: 'wait', reason: 'rollout-window' }
        : { action: 'wait', reason: 'rollout-window', opensAt: w.opensAt };
  }
  if (i.inFlight.has(i.workload) || i.inFlight.size + i.ahead < i.limit) return { action: 'roll' };
  return { action: 'wait', reason: 'max-concurrent-rollouts', inFlight: i.inFlight.size };
}

/** What the informers show of a workload's rollout. */
export interface ObservedRollout {
  /** The pod template's secretsync.io/restartedAt: when secretsync last restarted it. */
  restartedAt?: string;
  progress: RolloutProgress;
}

/** Why a rollout stopped counting. */
export type Release = 'completed' | 'stalled' | 'timed-out' | 'gone';

interface Entry {
  since: number;
  restartedAt: string;
  /** Sent by this process and not yet seen by the informer: older observations leave it be. */
  sent: boolean;
}

export class InFlight {
  private readonly entries = new Map<string, Entry>();
  /**
   * workload → the restart whose rollout stopped counting: it never counts again, even if the
   * status goes back to rolling (a slot it freed may have been handed out already).
   */
  private readonly released = new Map<string, string>();

  constructor(readonly timeoutMs: number) {}

  get size(): number {
    return this.entries.size;
  }

  has(workload: string): boolean {
    return this.entries.has(workload);
  }

  /**
   * The workload as an informer saw it (undefined: deleted or no longer opted in). It counts
   * while secretsync's last restart of it is still rolling and younger than the timeout — also
   * when another process made that restart. Returns why it stopped counting, if it just did.
   */
  observe(workload: string, o: ObservedRollout | undefined, now: number): Release | undefined {
    const e = this.entries.get(workload);
    if (e?.sent && o !== undefined && o.restartedAt !== e.restartedAt) return undefined;
    if (o === undefined) this.released.delete(workload);
    else if (o.restartedAt !== undefined && this.released.get(workload) === o.restartedAt) return undefined;
    const since = o?.restartedAt === undefined ? NaN : Date.parse(o.restartedAt);
    if (o?.progress === 'rolling' && o.restartedAt !== undefined && since + this.timeoutMs > now) {
      this.entries.set(workload, { since, restartedAt: o.restartedAt, sent: false });
      return undefined;
    }
    if (!e) return undefined;
    this.entries.delete(workload);
    if (o === undefined) return 'gone';
    this.released.set(workload, e.restartedAt);
    return o.progress === 'settled' ? 'completed' : o.progress === 'stalled' ? 'stalled' : 'timed-out';
  }

  /** This process is sending a restart stamped `restartedAt`: it counts from `now`. */
  start(workload: string, restartedAt: string, now: number): void {
    this.released.delete(workload);
    this.entries.set(workload, { since: now, restartedAt, sent: true });
  }

  /** The restart stamped `restartedAt` was not made: it stops counting. */
  cancel(workload: string, restartedAt: string): boolean {
    if (this.entries.get(workload)?.restartedAt !== restartedAt) return false;
    this.entries.delete(workload);
    return true;
  }

  /** Rollouts that have counted for the whole timeout stop counting; returns them. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const [wk, e] of this.entries)
      if (e.since + this.timeoutMs <= now) {
        this.entries.delete(wk);
        out.push(wk);
      }
    // Restarts older than the timeout never count again anyway.
    for (const [wk, at] of this.released)
      if (Date.parse(at) + this.timeoutMs <= now) this.released.delete(wk);
    return out;
  }

  /** When the next rollout times out, if any counts. */
  nextExpiry(): number | undefined {
    let at: number | undefined;
    for (const e of this.entries.values())
      if (at === undefined || e.since + this.timeoutMs < at) at = e.since + this.timeoutMs;
    return at;
  }
}

/** Workloads whose restart waits, in the order they first waited (kept when the reason changes). */
export class WaitingLine {
  private readonly line = new Map<string, HoldReason>();

  get size(): number {
    return this.line.size;
  }

  join(workload: string, reason: HoldReason): void {
    this.line.set(workload, reason);
  }

  leave(workload: string): boolean {
    return this.line.delete(workload);
  }

  reason(workload: string): HoldReason | undefined {
    return this.line.get(workload);
  }

  /** Workloads waiting for a slot ahead of this one (all of them if it is not in the line). */
  ahead(workload: string): number {
    let n = 0;
    for (const [wk, reason] of this.line) {
      if (wk === workload) break;
      if (reason === 'max-concurrent-rollouts') n++;
    }
    return n;
  }

  /** The first `n` workloads waiting for a slot. */
  first(n: number): string[] {
    const out: string[] = [];
    for (const [wk, reason] of this.line) {
      if (out.length >= n) break;
      if (reason === 'max-concurrent-rollouts') out.push(wk);
    }
    return out;
  }
}
