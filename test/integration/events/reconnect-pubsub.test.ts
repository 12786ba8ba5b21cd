// The Pub/Sub source across a cut connection and an emulator restart, and against duplicate and
// out-of-order notifications. The controller reaches a Pub/Sub emulator of this file's own (the
// shared one serves other files, and this one is restarted) through Toxiproxy. refreshInterval
// is 1h throughout, so a Secret that changes within seconds was refreshed by the event.
//
// Checked: while the proxy is down (longer than the reconnect backoff's cap) the store's
// RotationEvents condition says so and the source retries on its bounded schedule (attempts
// counted from its log); once the proxy is back the condition recovers and a rotation published
// after that reaches the Secret within one capped backoff delay; after an emulator restart (which
// loses topics and subscriptions, recreated here as an operator would) the same; the same
// notification twice makes one Secret write, an older version's notification after a newer one
// none, and the Secret holds the newest value; no secret value appears in the controller's log.
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECONNECT } from '../../../src/events/source';
import { startToxiproxy, type Proxy, type Toxiproxy } from '../../../dev/testbed/toxiproxy';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readersYaml, readSecret, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import {
  cutAndRestore,
  eventStoreYaml,
  metricSum,
  metricsText,
  gcpCalls,
  settled,
  startPubSubEmulator,
  type PubSubEmulator,
} from '../../support/events';
import { createNamespace, deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const logDir = join(repo, '.testbed', 'events');
const suffix = randomBytes(3).toString('hex');
const project = `evr-${suffix}`;
const psProject = `evr-ps-${suffix}`;
const topicId = `sm-events-${suffix}`;
const subId = `secretsync-${suffix}`;
const canary = `CANARY-${randomBytes(8).toString('hex')}`;
/** Values by label; assertions compare labels so that a failure never prints a value. */
const values: Record<string, string> = {};
const value = (label: string) => (values[label] ??= `${canary}-${label}`);
/** Longer than the backoff cap, so the source's delays reach it during the cut. */
const CUT_MS = RECONNECT.maxMs + 10_000;
/** From a rotation published once the source is connected to the Secret written (reconcile). */
const SYNC_MS = 15_000;
/** The subscription's ack deadline: a message handed to a request the cut killed returns after it. */
const ACK_DEADLINE_S = 10;
/** A rotation published after the endpoint returns: one capped delay, then the sync. */
const AFTER_RESTORE_MS = RECONNECT.maxMs + 2_000 + SYNC_MS;

jest.setTimeout(4 * 60_000);

const sm = gcpSecretManager();
let emulator: PubSubEmulator | undefined;
let tp: Toxiproxy | undefined;
let proxy: Proxy;
let admin: PubSub;
let topic: Topic;
let ns: string;
let ctl: TestController | undefined;
let version = 0;

async function label(): Promise<string> {
  const v = decoded(await readSecret(ns, 'db')).password;
  return Object.entries(values).find(([, x]) => x === v)?.[0] ?? (v === undefined ? 'missing' : 'other');
}

/** Creates the notification topic and the controller's subscription on the private emulator. */
async function createSubscription(): Promise<void> {
  [topic] = await admin.createTopic(topicId);
  await topic.createSubscription(subId, { ackDeadlineSeconds: ACK_DEADLINE_S });
}

/** Adds a version and publishes Secret Manager's SECRET_VERSION_ADD notification for it. */
async function rotate(label: string): Promise<number> {
  await putGcpVersion(sm, project, 'db', value(label));
  version++;
  await notify(version);
  return version;
}

function notify(v: number): Promise<string> {
  const secretId = `projects/${project}/secrets/db`;
  return topic.publishMessage({
    data: Buffer.from(JSON.stringify({ name: `${secretId}/versions/${v}` })),
    attributes: { eventType: 'SECRET_VERSION_ADD', secretId, dataFormat: 'JSON_API_V1' },
  });
}

const condition = () => storeCondition(ns, 'gcp', 'RotationEvents');

async function subscribed(timeoutMs: number, what: string): Promise<void> {
  await eventually(
    async () => expect(await condition()).toMatchObject({ status: 'True', reason: 'Subscribed' }),
    {
      timeoutMs,
      what,
    },
  );
}

beforeAll(async () => {
  await installDeploy();
  // Viewer too: payload reads are counted, and change checks should read metadata.
  await grantGcp(project, ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor']);
  mkdirSync(logDir, { recursive: true });
  ns = await createNamespace('ev-reconnect-ps');
  emulator = await startPubSubEmulator(logDir);
  tp = await startToxiproxy({ logDir });
  proxy = await tp.proxy(`pubsub-${suffix}`, emulator.host);
  // The test's own client goes straight to the emulator; the controller's goes through the proxy.
  admin = new PubSub({ projectId: psProject, apiEndpoint: emulator.host });
  process.env.PUBSUB_EMULATOR_HOST = proxy.listen;
  await createSubscription();
  await putGcpVersion(sm, project, 'db', value('v0'));
  await applyYaml(
    eventStoreYaml(ns, 'gcp', {
      subscription: `projects/${psProject}/subscriptions/${subId}`,
      gcpProject: project,
    }) + readersYaml(ns, ['db'], () => 'db', { refreshInterval: '1h', secretKey: 'password' }),
  );
  ctl = await startController(ns);
  await eventually(async () => expect(await label()).toBe('v0'), { timeoutMs: 30_000, what: 'first sync' });
  await subscribed(30_000, 'subscribed');
}, 5 * 60_000);

afterAll(async () => {
  await ctl?.stop();
  // The controller's log, for a failure's post-mortem (values are canaries, checked below).
  if (ctl) writeFileSync(join(logDir, `reconnect-pubsub-controller-${suffix}.log`), ctl.logs.join(''));
  await admin?.close();
  await sm.close();
  await tp?.stop();
  await emulator?.stop();
  if (ns) await deleteNamespace(ns);
  // No secret value in anything the controller logged.
  expect(ctl?.logs.join('') ?? '').not.toContain(canary);
});

test('events flow before any fault', async () => {
  await rotate('v1');
  await eventually(async () => expect(await label()).toBe('v1'), {
    timeoutMs: SYNC_MS,
    what: 'event refresh',
  });
});

test('a cut connection is reported, retried on the bounded schedule, and events resume after it', async () => {
  const restoredAt = await cutAndRestore({
    proxy,
    logs: ctl!.logs,
    cutMs: CUT_MS,
    condition,
    down: (c) => {
      expect(c?.status).toBe('False');
      expect(c?.message).toMatch(/polling continues/);
    },
  });

  // The condition recovers once the source has reconnected (at most one capped delay later).
  await subscribed(RECONNECT.maxMs + SYNC_MS, 'RotationEvents=True after the cut');
  const published = Date.now();
  await rotate('v2');
  // The emulator may still hand the message to a Pull the cut killed; it then redelivers it once
  // the ack deadline passes (at-least-once), as in the next test. refreshInterval is 1h, so a
  // refresh within this deadline still comes from the event.
  const redelivery = 3 * ACK_DEADLINE_S * 1000;
  await eventually(async () => expect(await label()).toBe('v2'), {
    timeoutMs: SYNC_MS + redelivery,
    what: 'event refresh after the cut',
  });
  expect(Date.now() - restoredAt).toBeLessThan(AFTER_RESTORE_MS + redelivery + (published - restoredAt));
});

test('a rotation published right after the connection returns is not lost', async () => {
  await proxy.setEnabled(false);
  await eventually(async () => expect((await condition())?.status).toBe('False'), {
    timeoutMs: RECONNECT.maxMs,
    what: 'RotationEvents=False',
  });
  await proxy.setEnabled(true);
  // Published at once: the source may still be in its backoff delay; the subscription keeps it.
  // The emulator may also hand it to the Pull the cut killed (it notices late): then it is
  // redelivered once the ack deadline has passed (measured: one ack deadline).
  await rotate('v3');
  await eventually(async () => expect(await label()).toBe('v3'), {
    timeoutMs: AFTER_RESTORE_MS + 3 * ACK_DEADLINE_S * 1000,
    what: 'event refresh after reconnecting',
  });
  await subscribed(SYNC_MS, 'RotationEvents=True');
});

test('an emulator restart loses the subscription; once recreated, events flow again', async () => {
  await emulator!.restart();
  // The restarted emulator has neither topic nor subscription: the store says which is missing.
  await eventually(
    async () => expect(await condition()).toMatchObject({ status: 'False', reason: 'SubscriptionNotFound' }),
    { timeoutMs: RECONNECT.maxMs + SYNC_MS, what: 'SubscriptionNotFound after the restart' },
  );
  await admin.close();
  admin = new PubSub({ projectId: psProject, apiEndpoint: emulator!.host });
  await createSubscription();
  const recreated = Date.now();
  await subscribed(RECONNECT.maxMs + SYNC_MS, 'RotationEvents=True after the subscription is recreated');
  await rotate('v4');
  await eventually(async () => expect(await label()).toBe('v4'), {
    timeoutMs: SYNC_MS,
    what: 'event refresh after the restart',
  });
  expect(Date.now() - recreated).toBeLessThan(AFTER_RESTORE_MS + SYNC_MS);
});

test('duplicates and reordering are harmless: three notifications, one Secret write, the newest value', async () => {
  const before = await metricsText(ctl!.metricsPort);
  const callsBefore = await gcpCalls(project);
  const newer = await rotate('v5');
  await notify(newer); // the same notification again
  await notify(newer - 1); // an older version's notification after the newer one
  const enqueued = (t: string) =>
    metricSum(t, 'secretsync_rotation_events_total', { source: 'pubsub', result: 'enqueued' });
  const syncs = (t: string, result: string) =>
    metricSum(t, 'secretsync_externalsecret_syncs_total', { result });
  await eventually(
    async () => expect(enqueued(await metricsText(ctl!.metricsPort)) - enqueued(before)).toBe(3),
    {
      timeoutMs: SYNC_MS,
      what: 'three notifications enqueued',
    },
  );
  // Each notification enqueues a refresh (the queue may merge them); once the counts stop moving:
  const after = await settled(
    async () => {
      const m = await metricsText(ctl!.metricsPort);
      const c = await gcpCalls(project);
      return {
        synced: syncs(m, 'synced') - syncs(before, 'synced'),
        unchanged: syncs(m, 'unchanged') - syncs(before, 'unchanged'),
        errors: syncs(m, 'error') - syncs(before, 'error'),
        access: (c.AccessSecretVersion ?? 0) - (callsBefore.AccessSecretVersion ?? 0),
      };
    },
    (v) => expect(v.synced).toBeGreaterThanOrEqual(1),
    { timeoutMs: SYNC_MS, what: 'reconciles settled' },
  );
  expect(await label()).toBe('v5');
  expect(after.synced).toBe(1); // one Secret write
  expect(after.errors).toBe(0);
  expect(after.synced + after.unchanged).toBeLessThanOrEqual(3); // at most one reconcile per notification
  // An event names a secret, not a value: each refresh re-reads the payload (never more than one
  // read per notification), and since the value read is the newest, only the first one writes.
  expect(after.access).toBeGreaterThanOrEqual(1);
  expect(after.access).toBeLessThanOrEqual(3);
});
