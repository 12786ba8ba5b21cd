// Event-driven refresh from Secret Manager's Pub/Sub notifications (the Pub/Sub emulator): a
// rotation reaches the Secret at once although refreshInterval is 1h; unknown and malformed
// messages are acked and counted; a missing subscription sets the store's condition.
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readersYaml, readSecret, storeCondition } from '../../support/es';
import { eventStoreYaml } from '../../support/events';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const suffix = randomBytes(3).toString('hex');
const project = `ev-${suffix}`;
const sm = gcpSecretManager();
const pubsub = new PubSub({ projectId: process.env.PUBSUB_PROJECT_ID });
let topic: Topic;
let ns: string;
let ctl: TestController | undefined;

const notify = (attributes: Record<string, string>, data = '{}') =>
  topic.publishMessage({ data: Buffer.from(data), attributes });

async function metric(name: string): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

beforeAll(async () => {
  ns = await createNamespace('ev-pubsub');
  await installDeploy();
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  [topic] = await pubsub.createTopic(`sm-events-${suffix}`);
  await topic.createSubscription(`secretsync-${suffix}`);
  await putGcpVersion(sm, project, 'db', 'v1');
  const subscriptions = `projects/${process.env.PUBSUB_PROJECT_ID}/subscriptions`;
  await applyYaml(
    eventStoreYaml(ns, 'gcp', {
      subscription: `${subscriptions}/secretsync-${suffix}`,
      gcpProject: project,
    }) +
      eventStoreYaml(ns, 'gcp-missing-sub', {
        subscription: `${subscriptions}/nope-${suffix}`,
        gcpProject: project,
      }) +
      readersYaml(ns, ['db'], () => 'db', { refreshInterval: '1h', secretKey: 'password' }),
  );
  ctl = await startController(ns);
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('v1'), {
    timeoutMs: 20000,
    what: 'first sync',
  });
  await eventually(
    async () =>
      expect(await storeCondition(ns, 'gcp', 'RotationEvents')).toMatchObject({
        status: 'True',
        reason: 'Subscribed',
      }),
    {
      timeoutMs: 20000,
      what: 'subscribed',
    },
  );
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  await pubsub.close();
  await sm.close();
});

test('a SECRET_VERSION_ADD notification refreshes the Secret at once (refreshInterval is 1h)', async () => {
  await putGcpVersion(sm, project, 'db', 'v2');
  await notify(
    {
      eventType: 'SECRET_VERSION_ADD',
      secretId: `projects/${project}/secrets/db`,
      dataFormat: 'JSON_API_V1',
    },
    JSON.stringify({ name: `projects/${project}/secrets/db` }),
  );
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('v2'), {
    timeoutMs: 10000,
    what: 'event-driven refresh',
  });
  await eventually(
    async () =>
      expect(await metric('secretsync_rotation_events_total')).toMatch(
        /source="pubsub",result="enqueued"\} [1-9]/,
      ),
    {
      timeoutMs: 5000,
      what: 'enqueued counted',
    },
  );
});

test('unknown secrets and malformed messages are acked and counted, not retried', async () => {
  await notify({ eventType: 'SECRET_VERSION_ADD', secretId: `projects/${project}/secrets/unrelated` });
  await notify({ hello: 'world' }, 'not json');
  await eventually(
    async () => {
      const m = await metric('secretsync_rotation_events_total');
      expect(m).toMatch(/source="pubsub",result="unknown"\} [1-9]/);
      expect(m).toMatch(/source="pubsub",result="malformed"\} [1-9]/);
    },
    { timeoutMs: 10000, what: 'counted' },
  );
  expect(ctl!.logs.join('')).not.toContain('not json');
});

test('a missing subscription sets the store condition and polling continues', async () => {
  const c = await eventually(
    async () => {
      const x = await storeCondition(ns, 'gcp-missing-sub', 'RotationEvents');
      expect(x).toMatchObject({ status: 'False', reason: 'SubscriptionNotFound' });
      return x!;
    },
    { timeoutMs: 20000, what: 'SubscriptionNotFound' },
  );
  expect(c.message).toMatch(/polling continues/);
});
