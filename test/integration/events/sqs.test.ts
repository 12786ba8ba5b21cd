// Event-driven refresh from Secrets Manager events delivered to SQS (moto): a PutSecretValue event
// refreshes the Secret at once although refreshInterval is 1h; malformed bodies are deleted and
// counted; a missing queue sets the store's condition.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readersYaml, readSecret, storeCondition } from '../../support/es';
import { eventStoreYaml } from '../../support/events';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const suffix = randomBytes(3).toString('hex');
const secretName = `ev/${suffix}/db`;
const sm = new SecretsManagerClient({});
const sqs = new SQSClient({});
let queueUrl: string;
let ns: string;
let ctl: TestController | undefined;

const event = (eventName: string, secretId: string) =>
  JSON.stringify({
    version: '0',
    source: 'aws.secretsmanager',
    'detail-type': 'AWS API Call via CloudTrail',
    detail: { eventSource: 'secretsmanager.amazonaws.com', eventName, requestParameters: { secretId } },
  });

async function metric(name: string): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

beforeAll(async () => {
  ns = await createNamespace('ev-sqs');
  await installDeploy();
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `secretsync-${suffix}` }))).QueueUrl!;
  await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: 'v1' }));
  await applyYaml(
    eventStoreYaml(ns, 'aws', { queueUrl }) +
      eventStoreYaml(ns, 'aws-missing-queue', { queueUrl: `${queueUrl}-nope` }) +
      readersYaml(ns, ['db'], () => secretName, {
        refreshInterval: '1h',
        store: 'aws',
        secretKey: 'password',
      }),
  );
  ctl = await startController(ns);
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('v1'), {
    timeoutMs: 20000,
    what: 'first sync',
  });
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

test('a PutSecretValue event (by ARN) refreshes the Secret at once and the message is deleted', async () => {
  const put = await sm.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: 'v2' }));
  await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: event('PutSecretValue', put.ARN!) }),
  );
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe('v2'), {
    timeoutMs: 30000,
    what: 'event-driven refresh',
  });
  await eventually(
    async () => {
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
      );
      expect(
        Number(attrs.Attributes?.ApproximateNumberOfMessages) +
          Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible),
      ).toBe(0);
    },
    { timeoutMs: 10000, what: 'message deleted' },
  );
});

test('malformed bodies are deleted and counted', async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'garbage' }));
  await eventually(
    async () =>
      expect(await metric('secretsync_rotation_events_total')).toMatch(
        /source="sqs",result="malformed"\} [1-9]/,
      ),
    {
      timeoutMs: 30000,
      what: 'malformed counted',
    },
  );
});

test('a missing queue sets the store condition', async () => {
  await eventually(
    async () => {
      expect(await storeCondition(ns, 'aws-missing-queue', 'RotationEvents')).toMatchObject({
        status: 'False',
        reason: 'QueueNotFound',
      });
    },
    { timeoutMs: 30000, what: 'QueueNotFound' },
  );
});
