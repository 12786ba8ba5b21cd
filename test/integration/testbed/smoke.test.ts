// Proves each testbed component is the real thing: the controller-manager rolls Deployments, the
// apiserver issues verifiable service-account tokens, and the emulators speak their SDKs' protocols.
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { fakeAdmin, fakeRequests, gcpSecretManager, grantGcp } from '../../support/cloud';

const { core, apps } = clients();
let ns: string;

beforeAll(async () => {
  ns = await createNamespace('smoke');
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'app' } } });
});
afterAll(() => deleteNamespace(ns));

async function saToken(audience: string): Promise<string> {
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'app',
    namespace: ns,
    body: { spec: { audiences: [audience], expirationSeconds: 600 } },
  });
  if (!tr.status?.token) throw new Error('TokenRequest returned no token');
  return tr.status.token;
}

test('kube-controller-manager creates a second ReplicaSet when a pod template changes', async () => {
  const labels = { app: 'web' };
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
        },
      },
    },
  });
  const replicaSets = async () =>
    (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items;
  await eventually(async () => expect(await replicaSets()).toHaveLength(1), {
    timeoutMs: 30000,
    what: 'first ReplicaSet',
  });
  await apps.patchNamespacedDeployment({
    name: 'web',
    namespace: ns,
    body: [{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'smoke/rev': '2' } }],
  });
  await eventually(async () => expect(await replicaSets()).toHaveLength(2), {
    timeoutMs: 30000,
    what: 'second ReplicaSet',
  });
});

test('GCP STS accepts a TokenRequest token for the pool audience and refuses another audience', async () => {
  const pool = `${process.env.GOOGLE_CLOUD_PROJECT}.svc.id.goog`;
  const exchange = (subjectToken: string) =>
    fetch(`${process.env.SECRETSYNC_GCP_STS_ENDPOINT}/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: `identitynamespace:${pool}:https://container.googleapis.com/v1/projects/p/locations/l/clusters/c`,
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'https://www.googleapis.com/auth/cloud-platform',
      }),
    });
  const ok = await exchange(await saToken(pool));
  expect(ok.status).toBe(200);
  const { access_token } = (await ok.json()) as { access_token: string };
  expect(access_token).toMatch(/^ya29\./);

  const wrong = await exchange(await saToken('sts.amazonaws.com'));
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { error_description: string }).error_description).toMatch(/audience/);

  const recorded = await fakeRequests('SECRETSYNC_GCP_STS_ENDPOINT');
  expect(recorded.map((r) => r.detail?.subject).filter(Boolean)).toContain(`system:serviceaccount:${ns}:app`);

  // The federated principal may impersonate a Google service account only once it is bound.
  const gsa = `app@${process.env.GOOGLE_CLOUD_PROJECT}.iam.gserviceaccount.com`;
  const generate = () =>
    fetch(
      `${process.env.SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT}/v1/projects/-/serviceAccounts/${gsa}:generateAccessToken`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
      },
    );
  expect((await generate()).status).toBe(403);
  await fakeAdmin('SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT', '/_testbed/bindings', {
    gsa,
    member: `serviceAccount:${pool}[${ns}/app]`,
  });
  expect((await generate()).status).toBe(200);
});

test('AWS STS front verifies web-identity tokens against the trust map before moto sees them', async () => {
  const roleArn = 'arn:aws:iam::123456789012:role/smoke';
  await fakeAdmin('AWS_ENDPOINT_URL_STS', '/_testbed/trust', {
    roleArn,
    subjects: [`system:serviceaccount:${ns}:app`],
    audience: 'sts.amazonaws.com',
  });
  const sts = new STSClient({});
  const assume = async (token: string) =>
    sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: 's',
        WebIdentityToken: token,
      }),
    );
  const ok = await assume(await saToken('sts.amazonaws.com'));
  expect(ok.Credentials?.AccessKeyId).toBeTruthy();
  await expect(assume(await saToken('some-other-audience'))).rejects.toMatchObject({
    name: 'InvalidIdentityTokenException',
  });
});

test('EKS Pod Identity agent exchanges a projected token for credentials that moto accepts', async () => {
  const roleArn = 'arn:aws:iam::123456789012:role/pod-identity';
  await fakeAdmin('SECRETSYNC_EKS_POD_IDENTITY_URL', '/_testbed/associations', {
    subject: `system:serviceaccount:${ns}:app`,
    roleArn,
  });
  const res = await fetch(process.env.SECRETSYNC_EKS_POD_IDENTITY_URL!, {
    headers: { authorization: await saToken('pods.eks.amazonaws.com') },
  });
  expect(res.status).toBe(200);
  const creds = (await res.json()) as { AccessKeyId: string; Token: string };
  expect(creds.AccessKeyId).toBeTruthy();
  const refused = await fetch(process.env.SECRETSYNC_EKS_POD_IDENTITY_URL!, {
    headers: { authorization: await saToken('sts.amazonaws.com') },
  });
  expect(refused.status).toBe(401);
});

test('Secret Manager: a version created by the admin and accessed with an ambient token once granted', async () => {
  const admin = gcpSecretManager();
  const client = gcpSecretManager({ ambient: true });
  // A project of its own: other test files grant the ambient identity roles on the default one.
  const project = `smoke-${randomBytes(3).toString('hex')}`;
  const id = 'smoke';
  const name = `projects/${project}/secrets/${id}`;
  await admin.createSecret({
    parent: `projects/${project}`,
    secretId: id,
    secret: { replication: { automatic: {} } },
  });
  await admin.addSecretVersion({ parent: name, payload: { data: Buffer.from('v1') } });
  await admin.addSecretVersion({ parent: name, payload: { data: Buffer.from('v2') } });
  // Nothing is allowed until granted: 403, as for a secret that does not exist.
  await expect(client.accessSecretVersion({ name: `${name}/versions/latest` })).rejects.toMatchObject({
    code: 7,
    message: expect.stringContaining(
      `Permission 'secretmanager.versions.access' denied for resource '${name}/versions/latest'`,
    ),
  });
  await grantGcp(name, 'roles/secretmanager.secretAccessor');
  const [latest] = await client.accessSecretVersion({ name: `${name}/versions/latest` });
  expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe('v2');
  expect(latest.name).toBe(`${name}/versions/2`);
  // The accessor role carries no metadata permission, and no other secret.
  await expect(client.getSecretVersion({ name: `${name}/versions/latest` })).rejects.toMatchObject({
    code: 7,
  });
  await expect(
    client.accessSecretVersion({ name: `projects/${project}/secrets/nope/versions/latest` }),
  ).rejects.toMatchObject({ code: 7 });
  await expect(
    admin.accessSecretVersion({ name: `projects/${project}/secrets/nope/versions/latest` }),
  ).rejects.toMatchObject({ code: 5 });
  const tokenCalls = (await fakeRequests('GCE_METADATA_HOST')).filter((r) => r.path.endsWith('/token'));
  expect(tokenCalls.length).toBeGreaterThan(0);
  await Promise.all([client.close(), admin.close()]);
});

test('moto serves GetSecretValue and BatchGetSecretValue', async () => {
  const sm = new SecretsManagerClient({});
  const a = `smoke/${randomBytes(3).toString('hex')}/a`;
  const b = `smoke/${randomBytes(3).toString('hex')}/b`;
  await sm.send(new CreateSecretCommand({ Name: a, SecretString: '{"user":"alice"}' }));
  await sm.send(new CreateSecretCommand({ Name: b, SecretBinary: Buffer.from([0, 1, 2]) }));
  const got = await sm.send(new GetSecretValueCommand({ SecretId: a }));
  expect(got.SecretString).toBe('{"user":"alice"}');
  const batch = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: [a, b] }));
  expect(batch.SecretValues?.map((v) => v.Name).sort()).toEqual([a, b].sort());
  expect(Buffer.from(batch.SecretValues!.find((v) => v.Name === b)!.SecretBinary!)).toEqual(
    Buffer.from([0, 1, 2]),
  );
});

test('a Pub/Sub message round-trips through the emulator', async () => {
  const pubsub = new PubSub({ projectId: process.env.PUBSUB_PROJECT_ID });
  const suffix = randomBytes(3).toString('hex');
  const [topic] = await pubsub.createTopic(`smoke-${suffix}`);
  const [sub] = await topic.createSubscription(`smoke-sub-${suffix}`);
  const received = new Promise<Message>((resolve) => sub.once('message', resolve));
  await topic.publishMessage({
    data: Buffer.from('{}'),
    attributes: { eventType: 'SECRET_VERSION_ADD', secretId: 'projects/p/secrets/s' },
  });
  const msg = await received;
  msg.ack();
  expect(msg.attributes.eventType).toBe('SECRET_VERSION_ADD');
  await sub.close();
  await pubsub.close();
});

test('an SQS message round-trips through moto', async () => {
  const sqs = new SQSClient({});
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `smoke-${randomBytes(3).toString('hex')}` }),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"source":"aws.secretsmanager"}' }));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
  expect(got.Messages?.[0]?.Body).toBe('{"source":"aws.secretsmanager"}');
});
