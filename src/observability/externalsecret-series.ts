// The per-ExternalSecret series (secretsync's ready and last-check, ESO's status_condition,
// sync_calls_total, sync_calls_error, reconcile_duration) kept as one small record per object,
// keyed `namespace/name`, and rendered when scraped: at 10,000 ExternalSecrets prom-client's own
// storage of their 70,000 series took about 21 MB of heap, these records about 2 MB
// (dev/bench/series-memory.ts).
import type { SeriesSource, SeriesValue } from './rendered-metrics';

type ReadyLabel = 'externalsecret_namespace' | 'externalsecret' | 'store_kind' | 'store' | 'reason';
type ObjectLabel = 'externalsecret_namespace' | 'externalsecret';
type EsoLabel = 'name' | 'namespace';
type ConditionLabel = EsoLabel | 'condition' | 'status';

/** One ExternalSecret's series; a field at its "none" value means that series is absent. */
class Row {
  /** secretsync_externalsecret_ready: 1, 0, or -1 for no series; then its other labels. */
  ready = -1;
  storeKind = '';
  store = '';
  reason = '';
  /** secretsync_externalsecret_last_check_timestamp_seconds; NaN for no series. */
  lastCheck = NaN;
  /** externalsecret_status_condition (Ready): 1 True, 0 False, -1 no series. */
  condition = -1;
  /** ESO's counters and last duration, present together once a reconcile was counted (calls > 0). */
  calls = 0;
  errors = 0;
  durationNs = 0;

  empty(): boolean {
    return this.ready < 0 && Number.isNaN(this.lastCheck) && this.condition < 0 && this.calls === 0;
  }
}

export class ExternalSecretSeries {
  private readonly rows = new Map<string, Row>();

  /**
   * secretsync_externalsecret_ready's series of `key` (one per object: other labels replace it);
   * its namespace and name labels are the key's.
   */
  setReady(
    key: string,
    labels: Readonly<Record<'store_kind' | 'store' | 'reason', string>>,
    value: 0 | 1,
  ): void {
    const r = this.row(key);
    r.ready = value;
    r.storeKind = labels.store_kind;
    r.store = labels.store;
    r.reason = labels.reason;
  }

  deleteReady(key: string): void {
    this.update(key, (r) => {
      r.ready = -1;
      r.storeKind = r.store = r.reason = '';
    });
  }

  setLastCheck(key: string, seconds: number): void {
    this.row(key).lastCheck = seconds;
  }

  deleteLastCheck(key: string): void {
    this.update(key, (r) => (r.lastCheck = NaN));
  }

  /** ESO's Ready condition: the current status 1, the other 0. */
  setCondition(key: string, status: 'True' | 'False'): void {
    this.row(key).condition = status === 'True' ? 1 : 0;
  }

  /** One reconcile for ESO's counters (the error counter from 0 on) and its duration. */
  countReconcile(key: string, failed: boolean, durationNs: number): void {
    const r = this.row(key);
    r.calls++;
    if (failed) r.errors++;
    r.durationNs = durationNs;
  }

  /** All of ESO's series of `key` go (its counters start again from 0 if it comes back). */
  deleteEso(key: string): void {
    this.update(key, (r) => {
      r.condition = -1;
      clearCounts(r);
    });
  }

  /** Every series of `key` goes. */
  forget(key: string): void {
    this.rows.delete(key);
  }

  /** How many ExternalSecrets have any series. */
  get size(): number {
    return this.rows.size;
  }

  readonly ready: SeriesSource<ReadyLabel> = this.source(
    (r) => r.ready >= 0,
    (r, ns, name, out) =>
      out.push({
        labels: {
          externalsecret_namespace: ns,
          externalsecret: name,
          store_kind: r.storeKind,
          store: r.store,
          reason: r.reason,
        },
        value: r.ready,
      }),
    (k) => this.deleteReady(k),
  );

  readonly lastCheck: SeriesSource<ObjectLabel> = this.source(
    (r) => !Number.isNaN(r.lastCheck),
    (r, ns, name, out) =>
      out.push({ labels: { externalsecret_namespace: ns, externalsecret: name }, value: r.lastCheck }),
    (k) => this.deleteLastCheck(k),
  );

  readonly condition: SeriesSource<ConditionLabel> = this.source(
    (r) => r.condition >= 0,
    (r, ns, name, out) => {
      // In the order prom-client kept them: True, then False.
      out.push({ labels: { name, namespace: ns, condition: 'Ready', status: 'True' }, value: r.condition });
      out.push({
        labels: { name, namespace: ns, condition: 'Ready', status: 'False' },
        value: 1 - r.condition,
      });
    },
    (k) => this.update(k, (r) => (r.condition = -1)),
  );

  // ESO's two counters and the duration are one record: a reset() of one resets the three.
  readonly syncCalls: SeriesSource<EsoLabel> = this.source(
    (r) => r.calls > 0,
    (r, ns, name, out) => out.push({ labels: { name, namespace: ns }, value: r.calls }),
    (k) => this.update(k, clearCounts),
  );

  readonly syncErrors: SeriesSource<EsoLabel> = this.source(
    (r) => r.calls > 0,
    (r, ns, name, out) => out.push({ labels: { name, namespace: ns }, value: r.errors }),
    (k) => this.update(k, clearCounts),
  );

  readonly reconcileDuration: SeriesSource<EsoLabel> = this.source(
    (r) => r.calls > 0,
    (r, ns, name, out) => out.push({ labels: { name, namespace: ns }, value: r.durationNs }),
    (k) => this.update(k, clearCounts),
  );

  private source<T extends string>(
    has: (r: Row) => boolean,
    render: (r: Row, namespace: string, name: string, out: SeriesValue<T>[]) => void,
    clear: (key: string) => void,
  ): SeriesSource<T> {
    return {
      values: () => {
        const out: SeriesValue<T>[] = [];
        for (const [key, r] of this.rows) {
          if (!has(r)) continue;
          const i = key.indexOf('/');
          render(r, key.slice(0, i), key.slice(i + 1), out);
        }
        return out;
      },
      clear: () => {
        for (const [key, r] of this.rows) if (has(r)) clear(key);
      },
    };
  }

  private row(key: string): Row {
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = new Row()));
    return r;
  }

  /** Changes `key`'s row, if it has one, and drops it once it has no series left. */
  private update(key: string, change: (r: Row) => void): void {
    const r = this.rows.get(key);
    if (!r) return;
    change(r);
    if (r.empty()) this.rows.delete(key);
  }
}

function clearCounts(r: Row): void {
  r.calls = r.errors = r.durationNs = 0;
}
