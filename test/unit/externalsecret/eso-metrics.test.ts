import { Metrics } from '../../../src/observability/metrics';
import { EsoObjectMetrics } from '../../../src/controllers/externalsecret/eso-metrics';

async function series(m: Metrics, name: string): Promise<string[]> {
  const text = await m.registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .sort();
}

const ok = { status: 'True' as const, reason: 'SecretSynced', message: '' };
const bad = { status: 'False' as const, reason: 'StoreNotFound', message: '' };

describe('EsoObjectMetrics (ESO externalsecret_* series)', () => {
  test('status_condition: the current status 1, the other 0, as ESO', async () => {
    const m = new Metrics(false);
    const eso = new EsoObjectMetrics(m.externalSecrets);
    eso.condition('ns/app', ok);
    expect(await series(m, 'externalsecret_status_condition')).toEqual([
      'externalsecret_status_condition{name="app",namespace="ns",condition="Ready",status="False"} 0',
      'externalsecret_status_condition{name="app",namespace="ns",condition="Ready",status="True"} 1',
    ]);
    eso.condition('ns/app', bad);
    expect(await series(m, 'externalsecret_status_condition')).toEqual([
      'externalsecret_status_condition{name="app",namespace="ns",condition="Ready",status="False"} 1',
      'externalsecret_status_condition{name="app",namespace="ns",condition="Ready",status="True"} 0',
    ]);
  });

  test('sync_calls_total counts reconciles, sync_calls_error the failed ones, duration in nanoseconds', async () => {
    const m = new Metrics(false);
    const eso = new EsoObjectMetrics(m.externalSecrets);
    eso.reconciled('ns/app', true, false, 12.5);
    eso.failed('ns/app');
    eso.reconciled('ns/app', true, false, 3);
    eso.reconciled('ns/app', true, true, 4); // a reconcile that threw
    expect(await series(m, 'externalsecret_sync_calls_total')).toEqual([
      'externalsecret_sync_calls_total{name="app",namespace="ns"} 3',
    ]);
    expect(await series(m, 'externalsecret_sync_calls_error')).toEqual([
      'externalsecret_sync_calls_error{name="app",namespace="ns"} 2',
    ]);
    expect(await series(m, 'externalsecret_reconcile_duration')).toEqual([
      'externalsecret_reconcile_duration{name="app",namespace="ns"} 4000000',
    ]);
  });

  test('an ExternalSecret gone or another controller’s has no series left', async () => {
    const m = new Metrics(false);
    const eso = new EsoObjectMetrics(m.externalSecrets);
    eso.condition('ns/a', ok);
    eso.reconciled('ns/a', true, false, 1);
    eso.condition('ns/b', ok);
    eso.reconciled('ns/b', true, false, 1);
    eso.forget('ns/a');
    eso.condition('ns/b', undefined); // its store names another controller class
    eso.reconciled('ns/b', true, false, 1);
    eso.reconciled('ns/c', false, false, 1); // deleted while it was reconciled
    for (const name of [
      'externalsecret_status_condition',
      'externalsecret_sync_calls_total',
      'externalsecret_sync_calls_error',
      'externalsecret_reconcile_duration',
    ])
      expect(await series(m, name)).toEqual([]);
  });
});

describe('Reloader counters', () => {
  test('reload_executed_total shows both outcomes from the start; by namespace as they happen', async () => {
    const m = new Metrics(false);
    expect(await series(m, 'reloader_reload_executed_total')).toEqual([
      'reloader_reload_executed_total{success="false"} 0',
      'reloader_reload_executed_total{success="true"} 0',
    ]);
    m.reloaded('apps', true);
    m.reloaded('apps', true);
    m.reloaded('web', false);
    expect(await series(m, 'reloader_reload_executed_total')).toEqual([
      'reloader_reload_executed_total{success="false"} 1',
      'reloader_reload_executed_total{success="true"} 2',
    ]);
    expect(await series(m, 'reloader_reload_executed_total_by_namespace')).toEqual([
      'reloader_reload_executed_total_by_namespace{success="false",namespace="web"} 1',
      'reloader_reload_executed_total_by_namespace{success="true",namespace="apps"} 2',
    ]);
  });
});
