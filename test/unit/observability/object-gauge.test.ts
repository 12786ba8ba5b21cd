// ObjectGauge keeps one series per object while its other labels change, and removes it when the
// object is forgotten; read back through the registry's exposition, as Prometheus would scrape it.
import { Metrics, ObjectGauge } from '../../../src/observability/metrics';

async function series(m: Metrics, name: string): Promise<string[]> {
  return (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}{`));
}

test('setting an object again with another reason replaces its series; delete removes it', async () => {
  const m = new Metrics(false);
  const g = new ObjectGauge(m.rolloutWaiting);
  const labels = (workload: string, reason: string) => ({
    kind: 'Deployment',
    workload_namespace: 'ns',
    workload,
    reason,
  });
  g.set('Deployment/ns/a', labels('a', 'missing-object'), 1);
  g.set('Deployment/ns/b', labels('b', 'paused'), 1);
  g.set('Deployment/ns/a', labels('a', 'forbidden'), 1);
  expect(await series(m, 'secretsync_rollout_waiting')).toEqual([
    'secretsync_rollout_waiting{kind="Deployment",workload_namespace="ns",workload="b",reason="paused"} 1',
    'secretsync_rollout_waiting{kind="Deployment",workload_namespace="ns",workload="a",reason="forbidden"} 1',
  ]);
  expect(g.labels('Deployment/ns/a')?.reason).toBe('forbidden');
  g.delete('Deployment/ns/b');
  g.delete('Deployment/ns/unknown');
  expect(g.has('Deployment/ns/b')).toBe(false);
  expect(await series(m, 'secretsync_rollout_waiting')).toEqual([
    'secretsync_rollout_waiting{kind="Deployment",workload_namespace="ns",workload="a",reason="forbidden"} 1',
  ]);
});

test('the same labels with a new value update the one series', async () => {
  const m = new Metrics(false);
  const g = new ObjectGauge(m.storeReady);
  const l = {
    store_kind: 'ClusterSecretStore',
    store_namespace: '',
    store: 'gcp',
    provider: 'gcpsm',
    reason: 'Valid',
  };
  g.set('ClusterSecretStore//gcp', l, 0);
  g.set('ClusterSecretStore//gcp', { ...l }, 1);
  expect(await series(m, 'secretsync_store_ready')).toEqual([
    'secretsync_store_ready{store_kind="ClusterSecretStore",store_namespace="",store="gcp",provider="gcpsm",reason="Valid"} 1',
  ]);
});
