// ESO's per-ExternalSecret series (externalsecret_status_condition, _sync_calls_total,
// _sync_calls_error, _reconcile_duration), kept with ESO's labels and meanings. Unlike ESO, an
// ExternalSecret that goes away (or turns out to be another controller's) takes all its series with
// it: ESO leaves a `condition="Deleted"` series and its counters behind for every object it saw.
import type { ExternalSecretSeries } from '../../observability/externalsecret-series';
import type { ReadyState } from './status';

export class EsoObjectMetrics {
  /** Keys whose reconcile in progress reported a failure. */
  private readonly failing = new Set<string>();
  /** Keys that are another controller's (their store names another controller class). */
  private readonly foreign = new Set<string>();

  constructor(private readonly series: ExternalSecretSeries) {}

  /** A Ready decision (undefined: the ExternalSecret is not this controller's; it has no series). */
  condition(key: string, ready: ReadyState | undefined): void {
    if (!ready) {
      this.forget(key);
      this.foreign.add(key);
      return;
    }
    this.foreign.delete(key);
    // As ESO: the current status is 1, the opposite status of the same condition 0.
    this.series.setCondition(key, ready.status);
  }

  /** The reconcile in progress ended in a failure (Ready=False with a reason). */
  failed(key: string): void {
    this.failing.add(key);
  }

  /**
   * A reconcile ended after `elapsedMs`; `exists` is whether the ExternalSecret is still there (a
   * reconcile that outlived its object must not bring its series back).
   */
  reconciled(key: string, exists: boolean, threw: boolean, elapsedMs: number): void {
    const failed = this.failing.delete(key) || threw;
    if (!exists || this.foreign.has(key)) return;
    // The error counter is present from the first reconcile on (ESO's appears with the first
    // error): a ratio needs its zero.
    this.series.countReconcile(key, failed, Math.round(elapsedMs * 1e6));
  }

  /** The ExternalSecret is gone: every ESO series of it goes. */
  forget(key: string): void {
    this.failing.delete(key);
    this.foreign.delete(key);
    this.series.deleteEso(key);
  }
}
