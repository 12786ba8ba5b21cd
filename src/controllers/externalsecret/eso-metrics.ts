// ESO's per-ExternalSecret series (externalsecret_status_condition, _sync_calls_total,
// _sync_calls_error, _reconcile_duration), kept with ESO's labels and meanings. Unlike ESO, an
// ExternalSecret that goes away (or turns out to be another controller's) takes all its series with
// it: ESO leaves a `condition="Deleted"` series and its counters behind for every object it saw.
import type { Metrics } from '../../observability/metrics';
import type { ReadyState } from './status';

type EsoMetricsOf = Pick<
  Metrics,
  'esoStatusCondition' | 'esoSyncCalls' | 'esoSyncErrors' | 'esoReconcileDuration'
>;

const STATUSES = ['True', 'False'] as const;

export class EsoObjectMetrics {
  /** namespace/name → its labels, for the objects that have series. */
  private readonly objects = new Map<string, { name: string; namespace: string }>();
  /** Keys whose reconcile in progress reported a failure. */
  private readonly failing = new Set<string>();
  /** Keys that are another controller's (their store names another controller class). */
  private readonly foreign = new Set<string>();

  constructor(private readonly m: EsoMetricsOf) {}

  /** A Ready decision (undefined: the ExternalSecret is not this controller's; it has no series). */
  condition(key: string, ready: ReadyState | undefined): void {
    if (!ready) {
      this.forget(key);
      this.foreign.add(key);
      return;
    }
    this.foreign.delete(key);
    const labels = this.labels(key);
    // As ESO: the current status is 1, the opposite status of the same condition 0.
    for (const status of STATUSES)
      this.m.esoStatusCondition.set(
        { ...labels, condition: 'Ready', status },
        status === ready.status ? 1 : 0,
      );
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
    const labels = this.labels(key);
    this.m.esoSyncCalls.inc(labels);
    // Present from the first reconcile on (ESO's appears with the first error): a ratio needs its zero.
    this.m.esoSyncErrors.inc(labels, failed ? 1 : 0);
    this.m.esoReconcileDuration.set(labels, Math.round(elapsedMs * 1e6));
  }

  /** The ExternalSecret is gone: every series of it goes. */
  forget(key: string): void {
    this.failing.delete(key);
    this.foreign.delete(key);
    const labels = this.objects.get(key);
    if (!labels) return;
    this.objects.delete(key);
    for (const status of STATUSES)
      this.m.esoStatusCondition.remove({ ...labels, condition: 'Ready', status });
    this.m.esoSyncCalls.remove(labels);
    this.m.esoSyncErrors.remove(labels);
    this.m.esoReconcileDuration.remove(labels);
  }

  private labels(key: string): { name: string; namespace: string } {
    let labels = this.objects.get(key);
    if (!labels) {
      const i = key.indexOf('/');
      labels = { name: key.slice(i + 1), namespace: key.slice(0, i) };
      this.objects.set(key, labels);
    }
    return labels;
  }
}
