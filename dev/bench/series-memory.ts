// Heap held by the per-ExternalSecret metric series at N ExternalSecrets (seven series each), with
// the controller's calls (Ready decision, last check, reconcile end), measured in a fresh process
// between two global.gc(): `store` is the real Metrics (records rendered at scrape), `prom-client`
// the same series stored by prom-client's Gauges and Counters, as before the store.
//   node dist/dev/bench/series-memory.js [N=10000]
import { execFileSync } from 'node:child_process';
import { Counter, Gauge, Registry } from 'prom-client';
import { EsoObjectMetrics } from '../../src/controllers/externalsecret/eso-metrics';
import { readyLabels } from '../../src/controllers/externalsecret/status';
import { Metrics, ObjectGauge } from '../../src/observability/metrics';

const VARIANTS = ['prom-client', 'store'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sink {
  ready(key: string, labels: ReturnType<typeof readyLabels>, value: 0 | 1): void;
  lastCheck(key: string, seconds: number): void;
  condition(key: string, status: 'True' | 'False'): void;
  reconciled(key: string, durationNs: number): void;
  scrape(): Promise<string>;
}

function storeSink(): Sink {
  const m = new Metrics(false);
  const eso = new EsoObjectMetrics(m.externalSecrets);
  return {
    ready: (k, l, v) => m.externalSecrets.setReady(k, l, v),
    lastCheck: (k, s) => m.externalSecrets.setLastCheck(k, s),
    condition: (k, status) => eso.condition(k, { status, reason: 'SecretSynced', message: '' }),
    reconciled: (k, ns) => eso.reconciled(k, true, false, ns / 1e6),
    scrape: () => m.registry.metrics(),
  };
}

function promClientSink(): Sink {
  const registry = new Registry();
  const g = (name: string, labelNames: string[]) =>
    new Gauge({ name, help: name, labelNames, registers: [registry] });
  const c = (name: string) =>
    new Counter({ name, help: name, labelNames: ['name', 'namespace'], registers: [registry] });
  const object = ['externalsecret_namespace', 'externalsecret'];
  const ready = new ObjectGauge(g('ready', [...object, 'store_kind', 'store', 'reason']));
  const lastCheck = new ObjectGauge(g('last_check', object));
  const condition = g('condition', ['name', 'namespace', 'condition', 'status']);
  const [calls, errors, duration] = [c('calls'), c('errors'), g('duration', ['name', 'namespace'])];
  const labels = new Map<string, { name: string; namespace: string }>(); // EsoObjectMetrics kept these
  const of = (key: string) => {
    let l = labels.get(key);
    if (!l)
      labels.set(
        key,
        (l = { name: key.slice(key.indexOf('/') + 1), namespace: key.slice(0, key.indexOf('/')) }),
      );
    return l;
  };
  return {
    ready: (k, l, v) => ready.set(k, l, v),
    lastCheck: (k, s) =>
      lastCheck.set(k, { externalsecret_namespace: of(k).namespace, externalsecret: of(k).name }, s),
    condition: (k, status) => {
      for (const s of ['True', 'False'])
        condition.set({ ...of(k), condition: 'Ready', status: s }, s === status ? 1 : 0);
    },
    reconciled: (k, ns) => {
      calls.inc(of(k));
      errors.inc(of(k), 0);
      duration.set(of(k), ns);
    },
    scrape: () => registry.metrics(),
  };
}

async function seriesLines(sink: Sink): Promise<number> {
  return (await sink.scrape()).split('\n').filter((l) => l && !l.startsWith('#')).length;
}

async function measure(variant: Variant, n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  // The objects as the informer holds them: their strings are not the series' cost.
  const objects = Array.from({ length: n }, (_, i) => ({
    metadata: { namespace: `bench-${i % 100}`, name: `es-${String(i).padStart(5, '0')}` },
    spec: { secretStoreRef: { kind: 'SecretStore', name: `store-${i % 30}` } },
  }));
  const sink = variant === 'store' ? storeSink() : promClientSink();
  await sink.scrape(); // the code paths warmed
  const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
  const before = heap();
  const now = Date.now();
  for (const es of objects) {
    const { namespace, name } = es.metadata;
    // Each callback builds its own key, as the controller's do.
    sink.condition(`${namespace}/${name}`, 'True');
    sink.ready(`${namespace}/${name}`, readyLabels(es, 'SecretSynced'), 1);
    sink.lastCheck(`${namespace}/${name}`, (now + 1234.5) / 1000);
    sink.reconciled(`${namespace}/${name}`, 12_345_678);
  }
  const after = heap();
  const lines = await seriesLines(sink); // the text goes with the helper's frame
  const afterScrape = heap();
  if (objects.length !== n) throw new Error('unreachable'); // they live on past the last heap()
  console.log(
    JSON.stringify({
      variant,
      n,
      series: lines,
      heapMB: +((after - before) / 1e6).toFixed(2),
      afterScrapeMB: +((afterScrape - before) / 1e6).toFixed(2),
    }),
  );
}

const n = Number(process.argv[2] ?? 10_000);
const variant = process.argv[3] as Variant | undefined;
if (variant)
  measure(variant, n).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
else
  for (const v of VARIANTS)
    process.stdout.write(
      execFileSync(process.execPath, ['--expose-gc', __filename, String(n), v], { encoding: 'utf8' }),
    );
