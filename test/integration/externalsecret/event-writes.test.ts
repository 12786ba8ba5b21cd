// Events are written without waiting (EventRecorder.event, kube/events.ts): one the apiserver refuses fails nothing else,
// and is logged (object, reason, error) and counted in secretsync_background_failures_total — not
// dropped in silence. Against the real apiserver, as a ServiceAccount with no RBAC at all.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import pino from 'pino';
import { EventRecorder } from '../../../src/kube/events';
import { Metrics } from '../../../src/observability/metrics';
import { serviceAccountKubeConfig } from '../../resilience/support/cluster';
import { eventually } from '../../support/eventually';
import { adminConfig, clients, createNamespace, deleteNamespace } from '../../support/kube';

let ns: string;
const { core } = clients();

beforeAll(async () => {
  ns = await createNamespace('event-writes');
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'no-rbac' } } });
});
afterAll(() => deleteNamespace(ns));

function io(kc: ReturnType<typeof adminConfig>) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const metrics = new Metrics(false);
  const failures = async () =>
    (await metrics.backgroundFailures.get()).values.find((v) => v.labels.task === 'event')?.value ?? 0;
  return { recorder: new EventRecorder(kc, { logger: pino(sink), metrics }), logs, failures };
}

const target = (name: string): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, uid: '00000000-0000-0000-0000-000000000001' },
});

test('a refused Event write is logged with its object and reason and counted', async () => {
  const { recorder, logs, failures } = io(await serviceAccountKubeConfig('no-rbac', ns));
  recorder.event(target('refused'), 'Warning', 'SomethingHappened', 'a message');
  await eventually(async () => expect(await failures()).toBe(1), { timeoutMs: 10_000, what: 'counted' });
  expect(logs).toEqual([
    expect.objectContaining({
      level: 40,
      task: 'event',
      object: `ConfigMap/${ns}/refused`,
      reason: 'SomethingHappened',
      err: expect.stringMatching(/forbidden|403/i) as unknown,
    }),
  ]);
});

test('a written Event is neither logged nor counted', async () => {
  const { recorder, logs, failures } = io(adminConfig());
  recorder.event(target('written'), 'Normal', 'SomethingHappened', 'a message');
  await eventually(
    async () => {
      const list = await core.listNamespacedEvent({ namespace: ns });
      expect(list.items.map((e) => e.involvedObject.name)).toContain('written');
    },
    { timeoutMs: 10_000, what: 'Event written' },
  );
  expect(await failures()).toBe(0);
  expect(logs).toEqual([]);
});
