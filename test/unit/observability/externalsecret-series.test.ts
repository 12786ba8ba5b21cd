// The per-ExternalSecret series rendered from compact records at scrape time expose exactly what
// prom-client's own Gauges and Counters did (the "before" is built here from plain prom-client
// metrics fed the same way the controller fed them), and keep nothing per series in prom-client.
import { Counter, Gauge, Registry } from 'prom-client';
import { Metrics, ObjectGauge } from '../../../src/observability/metrics';

const NAMES = [
  'secretsync_externalsecret_ready',
  'secretsync_externalsecret_last_check_timestamp_seconds',
  'externalsecret_status_condition',
  'externalsecret_sync_calls_total',
  'externalsecret_sync_calls_error',
  'externalsecret_reconcile_duration',
] as const;

/** The six metrics as prom-client stored them, fed as the controller and EsoObjectMetrics did. */
class Before {
  readonly registry = new Registry();
  private readonly readyGauge = new Gauge({
    name: 'secretsync_externalsecret_ready',
    help: "1 when an ExternalSecret's Ready condition is True, 0 when False; one series per ExternalSecret, with its store and the condition's reason.",
    labelNames: ['externalsecret_namespace', 'externalsecret', 'store_kind', 'store', 'reason'],
    registers: [this.registry],
  });
  private readonly lastCheckGauge = new Gauge({
    name: 'secretsync_externalsecret_last_check_timestamp_seconds',
    help: "When this process last checked an ExternalSecret's sources successfully (Unix seconds); status.refreshTime moves only on a change or at the heartbeat, so it can be older.",
    labelNames: ['externalsecret_namespace', 'externalsecret'],
    registers: [this.registry],
  });
  private readonly condition = new Gauge({
    name: 'externalsecret_status_condition',
    help: "ESO's: an ExternalSecret's condition, one series per condition and status (1 the current status, 0 the other).",
    labelNames: ['name', 'namespace', 'condition', 'status'],
    registers: [this.registry],
  });
  private readonly calls = new Counter({
    name: 'externalsecret_sync_calls_total',
    help: "ESO's: reconciles of an ExternalSecret.",
    labelNames: ['name', 'namespace'],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'externalsecret_sync_calls_error',
    help: "ESO's: reconciles of an ExternalSecret that failed.",
    labelNames: ['name', 'namespace'],
    registers: [this.registry],
  });
  private readonly duration = new Gauge({
    name: 'externalsecret_reconcile_duration',
    help: "ESO's: duration of an ExternalSecret's last reconcile, in nanoseconds (a Go time.Duration, as ESO reports it).",
    labelNames: ['name', 'namespace'],
    registers: [this.registry],
  });
  private readonly ready = new ObjectGauge(this.readyGauge);
  private readonly lastCheck = new ObjectGauge(this.lastCheckGauge);

  setReady(key: string, l: Record<'store_kind' | 'store' | 'reason', string>, value: 0 | 1): void {
    const [ns, name] = split(key);
    this.ready.set(key, { externalsecret_namespace: ns, externalsecret: name, ...l }, value);
  }
  deleteReady(key: string): void {
    this.ready.delete(key);
  }
  deleteLastCheck(key: string): void {
    this.lastCheck.delete(key);
  }
  setLastCheck(key: string, s: number): void {
    const [ns, name] = split(key);
    this.lastCheck.set(key, { externalsecret_namespace: ns, externalsecret: name }, s);
  }
  setCondition(key: string, status: 'True' | 'False'): void {
    const [namespace, name] = split(key);
    for (const st of ['True', 'False'])
      this.condition.set({ name, namespace, condition: 'Ready', status: st }, st === status ? 1 : 0);
  }
  countReconcile(key: string, failed: boolean, ns: number): void {
    const [namespace, name] = split(key);
    this.calls.inc({ name, namespace });
    this.errors.inc({ name, namespace }, failed ? 1 : 0);
    this.duration.set({ name, namespace }, ns);
  }
  deleteEso(key: string): void {
    const [namespace, name] = split(key);
    for (const status of ['True', 'False'])
      this.condition.remove({ name, namespace, condition: 'Ready', status });
    this.calls.remove({ name, namespace });
    this.errors.remove({ name, namespace });
    this.duration.remove({ name, namespace });
  }
  forget(key: string): void {
    this.deleteReady(key);
    this.lastCheck.delete(key);
    this.deleteEso(key);
  }
}

function split(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** The text of one metric family: HELP, TYPE and its series lines. */
function family(text: string, name: string): string[] {
  const block = text.split('\n\n').find((b) => b.startsWith(`# HELP ${name} `));
  return block ? block.split('\n').filter(Boolean) : [];
}

async function families(registry: Registry): Promise<Record<string, string[]>> {
  const text = await registry.metrics();
  return Object.fromEntries(NAMES.map((n) => [n, family(text, n)]));
}

/** Both stores fed the same calls. */
function both(): {
  before: Before;
  m: Metrics;
  each: (f: (s: Before | Metrics['externalSecrets']) => void) => void;
} {
  const before = new Before();
  const m = new Metrics(false);
  return { before, m, each: (f) => (f(before), f(m.externalSecrets)) };
}

describe('ExternalSecretSeries (per-ExternalSecret series rendered at scrape)', () => {
  test('exposes, byte for byte and in the same order, what prom-client stored', async () => {
    const { before, m, each } = both();
    each((s) => {
      for (let i = 0; i < 5; i++) {
        const key = `team-${i % 2}/app-${i}`;
        s.setCondition(key, i === 3 ? 'False' : 'True');
        s.setReady(
          key,
          {
            store_kind: i === 4 ? 'ClusterSecretStore' : 'SecretStore',
            store: `store-${i}`,
            reason: 'SecretSynced',
          },
          i === 3 ? 0 : 1,
        );
        s.setLastCheck(key, 1764970000.125 + i);
        s.countReconcile(key, i === 3, 12_345_678 * (i + 1));
      }
      s.countReconcile('team-1/app-3', true, 2_000_000_000); // past 2^31: not a small integer
      s.setReady('team-0/bare', { store_kind: '', store: '', reason: 'StoreNotFound' }, 0); // no store named: empty labels
    });
    const want = await families(before.registry);
    expect(want['externalsecret_status_condition']).toHaveLength(2 + 10);
    expect(await families(m.registry)).toEqual(want);
  });

  test('label changes, removals and other controllers’ objects: the same series as prom-client kept', async () => {
    const { before, m, each } = both();
    each((s) => {
      for (const key of ['ns/a', 'ns/b', 'ns/c', 'other/d']) {
        s.setCondition(key, 'True');
        s.setReady(key, { store_kind: 'SecretStore', store: 'st', reason: 'SecretSynced' }, 1);
        s.setLastCheck(key, 100.5);
        s.countReconcile(key, false, 1_000_000);
      }
      s.setReady('ns/a', { store_kind: 'SecretStore', store: 'st', reason: 'SecretSyncedError' }, 0); // reason changes: one series
      s.setCondition('ns/a', 'False');
      s.countReconcile('ns/a', true, 3_000_000);
      s.forget('ns/b'); // deleted
      // Another controller's now: its ready and ESO series go, its last check stays.
      s.deleteReady('ns/c');
      s.deleteEso('ns/c');
      s.deleteEso('other/d'); // ESO's series go and come back from 0
      s.setCondition('other/d', 'True');
      s.countReconcile('other/d', false, 5);
      s.forget('ns/never-seen');
    });
    const sorted = (f: Record<string, string[]>) =>
      Object.fromEntries(
        Object.entries(f).map(([n, lines]) => [n, [...lines.slice(0, 2), ...lines.slice(2).sort()]]),
      );
    const want = sorted(await families(before.registry));
    expect(want['externalsecret_sync_calls_total']).toContain(
      'externalsecret_sync_calls_total{name="d",namespace="other"} 1',
    );
    expect(want['secretsync_externalsecret_last_check_timestamp_seconds']).toHaveLength(2 + 3);
    expect(sorted(await families(m.registry))).toEqual(want);
  });

  test('an object whose series all went leaves no record', () => {
    const s = new Metrics(false).externalSecrets;
    s.setReady('ns/a', { store_kind: 'SecretStore', store: 'st', reason: 'SecretSynced' }, 1);
    s.setLastCheck('ns/a', 1);
    s.setCondition('ns/a', 'True');
    s.countReconcile('ns/a', false, 1);
    s.setLastCheck('ns/b', 1);
    expect(s.size).toBe(2);
    s.deleteReady('ns/a');
    s.deleteEso('ns/a');
    expect(s.size).toBe(2); // its last check remains
    s.deleteLastCheck('ns/a');
    s.forget('ns/b');
    expect(s.size).toBe(0);
  });

  test('reset() of a metric drops its series only', async () => {
    const m = new Metrics(false);
    m.externalSecrets.setReady('ns/a', { store_kind: 'SecretStore', store: 'st', reason: 'SecretSynced' }, 1);
    m.externalSecrets.setLastCheck('ns/a', 7);
    m.externalSecrets.setCondition('ns/a', 'True');
    m.externalSecrets.countReconcile('ns/a', false, 1);
    m.externalSecretReady.reset();
    m.esoStatusCondition.reset();
    const f = await families(m.registry);
    expect(f['secretsync_externalsecret_ready']).toHaveLength(2);
    expect(f['externalsecret_status_condition']).toHaveLength(2);
    expect(f['secretsync_externalsecret_last_check_timestamp_seconds']).toHaveLength(3);
    expect(f['externalsecret_sync_calls_total']).toHaveLength(3);
    m.esoSyncCalls.reset(); // the two counters and the duration are one record
    expect((await families(m.registry))['externalsecret_reconcile_duration']).toHaveLength(2);
    expect(m.externalSecrets.size).toBe(1);
  });

  test('prom-client keeps no series of them, before or after a scrape', async () => {
    const m = new Metrics(false);
    for (let i = 0; i < 100; i++) {
      const key = `ns/es-${i}`;
      m.externalSecrets.setReady(key, { store_kind: 'SecretStore', store: 'st', reason: 'SecretSynced' }, 1);
      m.externalSecrets.setLastCheck(key, i);
      m.externalSecrets.setCondition(key, 'True');
      m.externalSecrets.countReconcile(key, false, 1);
    }
    // prom-client's per-series storage (an internal field): what this change takes away.
    const stored = () =>
      [
        m.externalSecretReady,
        m.externalSecretLastCheck,
        m.esoStatusCondition,
        m.esoSyncCalls,
        m.esoSyncErrors,
        m.esoReconcileDuration,
      ].map((metric) => Object.keys((metric as unknown as { hashMap: object }).hashMap).length);
    expect(stored()).toEqual([0, 0, 0, 0, 0, 0]);
    expect((await m.registry.metrics()).split('\n').filter((l) => l.includes('es-99"'))).toHaveLength(7);
    expect(stored()).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
