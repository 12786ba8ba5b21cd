// Measures rotation → all new pods Ready on the testbed's node: from the new version's write in
// Secret Manager until a Deployment of 2 replicas has 2 Ready pods, none of them from before, each
// reporting the new value's hash. Once with polling (refreshInterval 10s) and once event-driven
// (refreshInterval 1h, Secret Manager's notification on the Pub/Sub emulator), over a handful of
// rotations each (8: p99 is then the slowest sample). A measurement, not a test of speed: it runs only with SECRETSYNC_MEASURE=1, prints
// its figures and appends them to .testbed/figures/rollout-pods.jsonl; it asserts only that every
// rotation completed.
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { storeCondition } from '../../support/es';
import { eventStoreYaml } from '../../support/events';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { NODE_START_TIMEOUT_MS, useNode } from '../../support/node';
import { ACT_MS, FLAGS } from '../rollout/helpers';
import type { TestbedNode } from '../../../dev/testbed/node';
import {
  POD_READY_MS,
  allPodsSee,
  appDeployment,
  isReady,
  percentile,
  pods,
  seen,
  sha256,
  uids,
} from './apps';

const measure = process.env.SECRETSYNC_MEASURE === '1' ? test : test.skip;
const ROTATIONS = 8;
const POLL_INTERVAL_S = 10;
const repo = join(__dirname, '..', '..', '..');

const suffix = randomBytes(3).toString('hex');
const project = `lat-${suffix}`;
const sm = gcpSecretManager();
const pubsub = new PubSub({ projectId: process.env.PUBSUB_PROJECT_ID });
const { apps } = clients();
const AUTO = { 'reloader.stakater.com/auto': 'true' };
const values: string[] = [];
let topic: Topic;
let node: TestbedNode;
let ns: string;
let ctl: TestController | undefined;

// A rotation's worst case: the refresh (up to the interval, or the event), the controller acting,
// and two pods started one after the other (maxSurge 1, maxUnavailable 0).
const ROTATION_MS = POLL_INTERVAL_S * 1000 + ACT_MS + 2 * POD_READY_MS;

const fresh = () => {
  const v = randomBytes(16).toString('hex');
  values.push(v);
  return v;
};

beforeAll(async () => {
  if (process.env.SECRETSYNC_MEASURE !== '1') return;
  node = await useNode();
  ns = await createNamespace('rollout-latency');
  await installDeploy();
  await eventually(() => clients().core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
  [topic] = await pubsub.createTopic(`sm-events-${suffix}`);
  await topic.createSubscription(`secretsync-${suffix}`);
  for (const id of ['polled', 'notified']) await putGcpVersion(sm, project, id, fresh());
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  const subscription = `projects/${process.env.PUBSUB_PROJECT_ID}/subscriptions/secretsync-${suffix}`;
  const es = (name: string, refresh: string) => `---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: ${refresh}
  secretStoreRef: {name: gcp, kind: SecretStore}
  target: {name: ${name}}
  data:
    - {secretKey: value, remoteRef: {key: ${name}}}
`;
  await applyYaml(
    eventStoreYaml(ns, 'gcp', { subscription, gcpProject: project }) +
      es('polled', `${POLL_INTERVAL_S}s`) +
      es('notified', '1h'),
  );
  ctl = await startController(ns, FLAGS);
  await eventually(
    async () =>
      expect(await storeCondition(ns, 'gcp', 'RotationEvents')).toMatchObject({
        status: 'True',
        reason: 'Subscribed',
      }),
    { timeoutMs: 30_000, what: 'subscribed' },
  );
  for (const [i, name] of ['polled', 'notified'].entries()) {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: appDeployment(node, name, { secret: name, key: 'value', replicas: 2, annotations: AUTO }),
    });
    await eventually(() => allPodsSee(ns, name, 2, sha256(values[i]!)), {
      timeoutMs: 2 * POD_READY_MS,
      what: `${name}: 2 pods Ready`,
    });
  }
}, NODE_START_TIMEOUT_MS);

afterAll(async () => {
  await ctl?.stop();
  const logs = ctl?.logs.join('') ?? '';
  if (ns) await deleteNamespace(ns);
  await pubsub.close();
  await sm.close();
  for (const v of values) expect(logs.includes(v)).toBe(false);
});

/** Rotates `name` ROTATIONS times; the ms from each write until all new pods are Ready. */
async function rotations(name: string, notify: boolean): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < ROTATIONS; i++) {
    const old = uids(await pods(ns, name));
    // Polled: the write lands at a random point of the refresh period, not at the point where the
    // last rotation happened to finish (which would bias every sample the same way).
    if (!notify) await sleep(Math.random() * POLL_INTERVAL_S * 1000);
    const v = fresh();
    const t0 = Date.now();
    await putGcpVersion(sm, project, name, v);
    if (notify)
      await topic.publishMessage({
        data: Buffer.from(JSON.stringify({ name: `projects/${project}/secrets/${name}` })),
        attributes: {
          eventType: 'SECRET_VERSION_ADD',
          secretId: `projects/${project}/secrets/${name}`,
          dataFormat: 'JSON_API_V1',
        },
      });
    // Done when 2 Ready pods that are not among the old ones report the new hash (old pods may
    // still be terminating: they no longer serve).
    await eventually(
      async () => {
        const renewed = (await pods(ns, name)).filter((p) => isReady(p) && !old.includes(p.metadata!.uid!));
        if (renewed.length !== 2) throw new Error(`${renewed.length} new Ready pods`);
        for (const p of renewed) expect((await seen(p)).env).toBe(sha256(v));
      },
      { timeoutMs: ROTATION_MS, intervalMs: 100, what: `${name} rotation ${i + 1}: 2 new pods Ready` },
    );
    ms.push(Date.now() - t0);
    // The next rotation starts from a settled Deployment (the old pods gone).
    await eventually(() => allPodsSee(ns, name, 2, sha256(v), old), {
      timeoutMs: 60_000,
      what: `${name}: old pods gone`,
    });
  }
  return ms;
}

measure(
  'rotation → all new pods Ready, polling and event-driven (printed, not asserted)',
  async () => {
    const polled = await rotations('polled', false);
    const notified = await rotations('notified', true);
    const fig = (xs: number[]) => ({
      n: xs.length,
      p50Ms: percentile(xs, 50),
      p99Ms: percentile(xs, 99),
      samplesMs: xs,
    });
    const figures = {
      measuredAt: new Date().toISOString(),
      replicas: 2,
      polling: { refreshIntervalS: POLL_INTERVAL_S, ...fig(polled) },
      eventDriven: fig(notified),
    };
    mkdirSync(join(repo, '.testbed', 'figures'), { recursive: true });
    appendFileSync(join(repo, '.testbed', 'figures', 'rollout-pods.jsonl'), JSON.stringify(figures) + '\n');
    console.log(`rotation → all new pods Ready: ${JSON.stringify(figures)}`);
    expect(polled).toHaveLength(ROTATIONS);
    expect(notified).toHaveLength(ROTATIONS);
  },
  2 * ROTATIONS * (POLL_INTERVAL_S * 1000 + ROTATION_MS + 60_000),
);
