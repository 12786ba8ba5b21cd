// The SQS source across a cut connection and a hanging one, and against duplicate and
// out-of-order events. The controller's SQS client reaches moto through Toxiproxy (Secrets Manager
// goes straight to moto); the test sends events straight to moto. refreshInterval is 1h
// throughout, so a Secret that changes within seconds was refreshed by the event.
//
// Checked: while the proxy is down for longer than a long poll the store's RotationEvents
// condition says so and the loop retries on its bounded schedule (attempts counted from its log);
// a connection that accepts and never answers fails each long poll at its deadline instead of
// stalling the loop; after either, the condition recovers and an event sent then reaches the
// Secret within one capped backoff delay (plus a long poll's deadline for the hanging case); the
// same event twice and an older one after it make one Secret write and leave the newest value; no
// secret value appears in the controller's log.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECONNECT, SQS_RECEIVE_TIMEOUT_MS, SQS_WAIT_SECONDS } from '../../../src/events/source';
import { startToxiproxy, type Proxy, type Toxiproxy } from '../../../dev/testbed/toxiproxy';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readersYaml, readSecret, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import {
  cutAndRestore,
  eventStoreYaml,
  logLines,
  maxAttemptsWithin,
  metricSum,
  metricsText,
  settled,
} from '../../support/events';
import { createNamespace, deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const logDir = join(repo, '.testbed', 'events');
const suffix = randomBytes(3).toString('hex');
const secretName = `evr/${suffix}/db`;
const canary = `CANARY-${randomBytes(8).toString('hex')}`;
/** Values by label; assertions compare labels so that a failure never prints a value. */
const values: Record<string, string> = {};
const value = (label: string) => (values[label] ??= `${canary}-${label}`);
/** Longer than a long poll and than the backoff cap. */
const CUT_MS = Math.max(SQS_WAIT_SECONDS * 1000, RECONNECT.maxMs) + 5_000;
/** From an event sent while the loop is connected to the Secret written (≤ one long poll + sync). */
const SYNC_MS = 15_000;
/** An event sent after the endpoint returns: one capped delay, then the sync. */
const AFTER_RESTORE_MS = RECONNECT.maxMs + 2_000 + SYNC_MS;

jest.setTimeout(4 * 60_000);

const direct = { endpoint: process.env.AWS_ENDPOINT_URL };
const sm = new SecretsManagerClient(direct);
const sqs = new SQSClient(direct);
let tp: Toxiproxy | undefined;
let proxy: Proxy;
let queueUrl: string;
let ns: string;
let ctl: TestController | undefined;
let arn: string;

const event = (eventName: string, secretId: string) =>
  JSON.stringify({
    version: '0',
    source: 'aws.secretsmanager',
    'detail-type': 'AWS API Call via CloudTrail',
    detail: { eventSource: 'secretsmanager.amazonaws.com', eventName, requestParameters: { secretId } },
  });

const send = (body: string) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

async function rotate(label: string): Promise<void> {
  const put = await sm.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: value(label) }));
  arn = put.ARN!;
  await send(event('PutSecretValue', arn));
}

async function label(): Promise<string> {
  const v = decoded(await readSecret(ns, 'db')).password;
  return Object.entries(values).find(([, x]) => x === v)?.[0] ?? (v === undefined ? 'missing' : 'other');
}

const condition = () => storeCondition(ns, 'aws', 'RotationEvents');

async function subscribed(timeoutMs: number, what: string): Promise<void> {
  await eventually(
    async () => expect(await condition()).toMatchObject({ status: 'True', reason: 'Subscribed' }),
    { timeoutMs, what },
  );
}

beforeAll(async () => {
  await installDeploy();
  mkdirSync(logDir, { recursive: true });
  ns = await createNamespace('ev-reconnect-sqs');
  tp = await startToxiproxy({ logDir });
  proxy = await tp.proxy(`sqs-${suffix}`, process.env.AWS_ENDPOINT_URL!);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `secretsync-r-${suffix}` }))).QueueUrl!;
  // Only the controller's SQS client goes through the proxy: the SDK sends to the queue URL's host,
  // so the store names the queue by a URL on the proxy.
  process.env.AWS_ENDPOINT_URL_SQS = proxy.url;
  const proxiedQueueUrl = `${proxy.url}${new URL(queueUrl).pathname}`;
  await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: value('v0') }));
  await applyYaml(
    eventStoreYaml(ns, 'aws', { queueUrl: proxiedQueueUrl }) +
      readersYaml(ns, ['db'], () => secretName, {
        refreshInterval: '1h',
        store: 'aws',
        secretKey: 'password',
      }),
  );
  ctl = await startController(ns);
  await eventually(async () => expect(await label()).toBe('v0'), { timeoutMs: 30_000, what: 'first sync' });
  await subscribed(30_000, 'subscribed');
}, 3 * 60_000);

afterAll(async () => {
  await ctl?.stop();
  // The controller's log, for a failure's post-mortem (values are canaries, checked below).
  if (ctl) writeFileSync(join(logDir, `reconnect-sqs-controller-${suffix}.log`), ctl.logs.join(''));
  await tp?.stop();
  delete process.env.AWS_ENDPOINT_URL_SQS;
  if (ns) await deleteNamespace(ns);
  // No secret value in anything the controller logged.
  expect(ctl?.logs.join('') ?? '').not.toContain(canary);
});

// A failed test leaves no fault behind for the next one.
afterEach(() => tp?.reset());

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
      expect(c).toMatchObject({ status: 'False', reason: 'QueueUnavailable' });
      expect(c?.message).toMatch(/polling continues/);
    },
  });

  await subscribed(RECONNECT.maxMs + SYNC_MS, 'RotationEvents=True after the cut');
  await rotate('v2');
  await eventually(async () => expect(await label()).toBe('v2'), {
    timeoutMs: SYNC_MS,
    what: 'event refresh after the cut',
  });
  expect(Date.now() - restoredAt).toBeLessThan(AFTER_RESTORE_MS + SYNC_MS);
});

test('a connection that never answers fails each long poll at its deadline; events resume after it', async () => {
  const hungAt = Date.now();
  // Requests reach moto; its answers are held back for longer than a poll's deadline, on a
  // connection that stays open. (A `timeout` toxic closes the SDK's connections at once here,
  // which is the cut above, not a hang.)
  await proxy.addToxic({
    name: 'hang',
    type: 'latency',
    stream: 'downstream',
    attributes: { latency: 3 * SQS_RECEIVE_TIMEOUT_MS },
  });
  // An event sent now is received by moto for a poll whose answer is lost: it comes back after
  // the message's visibility timeout, not lost.
  await rotate('v3');
  // The poll in flight (or the next) gets no answer and fails at its deadline, not minutes later.
  await eventually(
    async () => {
      const c = await condition();
      expect(c).toMatchObject({ status: 'False', reason: 'QueueUnavailable' });
      expect(c?.message).toMatch(/TimeoutError/);
    },
    {
      timeoutMs: 2 * SQS_RECEIVE_TIMEOUT_MS + RECONNECT.maxMs,
      what: 'RotationEvents=False (TimeoutError) while hanging',
    },
  );
  const removedAt = Date.now();
  await proxy.removeToxic('hang');
  const attempts = logLines(ctl!.logs, 'rotation event source reconnecting', hungAt, removedAt).length;
  expect(attempts).toBeLessThanOrEqual(
    maxAttemptsWithin(removedAt - hungAt, SQS_RECEIVE_TIMEOUT_MS, SQS_RECEIVE_TIMEOUT_MS),
  );
  // A poll in flight when the toxic goes fails at its deadline; the next one, after one delay, works.
  await subscribed(SQS_RECEIVE_TIMEOUT_MS + RECONNECT.maxMs + SYNC_MS, 'RotationEvents=True after hanging');
  await rotate('v4');
  await eventually(async () => expect(await label()).toBe('v4'), {
    timeoutMs: SYNC_MS,
    what: 'event refresh after hanging',
  });
});

test('duplicates and reordering are harmless: three events, one Secret write, the newest value', async () => {
  const before = await metricsText(ctl!.metricsPort);
  const older = arn;
  await rotate('v5');
  await send(event('PutSecretValue', arn)); // the same event again
  await send(event('UpdateSecretVersionStage', older)); // an older event after the newer one
  const enqueued = (t: string) =>
    metricSum(t, 'secretsync_rotation_events_total', { source: 'sqs', result: 'enqueued' });
  const syncs = (t: string, result: string) =>
    metricSum(t, 'secretsync_externalsecret_syncs_total', { result });
  await eventually(
    async () => expect(enqueued(await metricsText(ctl!.metricsPort)) - enqueued(before)).toBe(3),
    { timeoutMs: SYNC_MS, what: 'three events enqueued' },
  );
  const after = await settled(
    async () => {
      const m = await metricsText(ctl!.metricsPort);
      return {
        synced: syncs(m, 'synced') - syncs(before, 'synced'),
        unchanged: syncs(m, 'unchanged') - syncs(before, 'unchanged'),
        errors: syncs(m, 'error') - syncs(before, 'error'),
      };
    },
    (v) => expect(v.synced).toBeGreaterThanOrEqual(1),
    { timeoutMs: SYNC_MS, what: 'reconciles settled' },
  );
  expect(await label()).toBe('v5');
  expect(after.synced).toBe(1); // one Secret write
  expect(after.errors).toBe(0);
  expect(after.synced + after.unchanged).toBeLessThanOrEqual(3); // at most one reconcile per event
});
