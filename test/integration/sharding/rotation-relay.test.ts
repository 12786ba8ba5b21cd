// Rotation events with --sharding: the leader holds the store's Pub/Sub subscription, yet a
// rotation reaches the ExternalSecrets of every replica's share at once (relayed through the shard
// Leases, runtime/shard-relay.ts), not at their next refresh (1h here).
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { buildRing, ownerOf } from '../../../src/runtime/shard-ring';
import { join } from 'node:path';
import { applyFile, applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readersYaml, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const suffix = randomBytes(3).toString('hex');
const project = `relay-${suffix}`;
const store = `relay-${suffix}`;
const NAMESPACES = 9;
const RETRY_MS = 500;
const FLAGS = {
  sharding: true,
  shardRing: `r-${suffix}`,
  leaseDuration: '6s',
  renewDeadline: '4s',
  retryPeriod: `${RETRY_MS}ms`,
  concurrency: '4',
};
/** The leader's next round posts, each member's next round takes: a few retry periods, plus a sync. */
const RELAY_MS = 10 * RETRY_MS + 10_000;

const sm = gcpSecretManager();
const pubsub = new PubSub({ projectId: process.env.PUBSUB_PROJECT_ID });
let topic: Topic;
let namespaces: string[] = [];
const replicas: TestController[] = [];

async function clusterStoreCondition(
  type: string,
): Promise<{ status?: string; reason?: string } | undefined> {
  const s = (await clients().objects.read({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: store },
  })) as unknown as { status?: { conditions?: { type: string; status?: string; reason?: string }[] } };
  return s.status?.conditions?.find((c) => c.type === type);
}

async function allAt(value: string, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      for (const ns of namespaces) expect(decoded(await readSecret(ns, 'db')).password).toBe(value);
    },
    { timeoutMs, what: `every namespace's Secret at ${value}` },
  );
}

beforeAll(async () => {
  await installDeploy();
  await applyFile(join(__dirname, '..', '..', '..', 'overlays', 'components', 'sharding', 'rbac.yaml'));
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  await putGcpVersion(sm, project, 'db', 'v1');
  [topic] = await pubsub.createTopic(`relay-${suffix}`);
  await topic.createSubscription(`relay-${suffix}`);
  namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => createNamespace('relay')));
  await applyYaml(`---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: ${store}
  annotations: {secretsync.io/pubsub-subscription: projects/${process.env.PUBSUB_PROJECT_ID}/subscriptions/relay-${suffix}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
`);
  await applyYaml(
    namespaces
      .map((ns) =>
        readersYaml(ns, ['db'], () => 'db', { refreshInterval: '1h', secretKey: 'password' }).replace(
          `secretStoreRef: {name: gcp}`,
          `secretStoreRef: {name: ${store}, kind: ClusterSecretStore}`,
        ),
      )
      .join(''),
  );
  for (let i = 0; i < 3; i++) replicas.push(await startController('shard-relay', FLAGS, { embed: {} }));
  await allAt('v1', 60_000);
  await eventually(
    async () => expect(await clusterStoreCondition('RotationEvents')).toMatchObject({ status: 'True' }),
    {
      timeoutMs: 30_000,
      what: 'the leader subscribed',
    },
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all(namespaces.map((ns) => deleteNamespace(ns)));
  await clients()
    .objects.delete({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: store },
    })
    .catch(() => undefined);
  await pubsub.close();
  await sm.close();
});

test('a rotation event reaches the Secrets of every replica at once, not at the next refresh', async () => {
  // The case worth testing: namespaces the event's receiver (the leader) does not own.
  const lease = (await clients().objects.read({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'secretsync-shard-relay', namespace: 'secretsync-system' },
  })) as unknown as { spec?: { holderIdentity?: string } };
  const leader = lease.spec?.holderIdentity;
  const ring = buildRing(replicas.map((r) => r.identity));
  const elsewhere = namespaces.filter((ns) => ownerOf(ring, ns) !== leader);
  expect(elsewhere.length).toBeGreaterThan(0);

  await putGcpVersion(sm, project, 'db', 'v2');
  await topic.publishMessage({
    data: Buffer.from(JSON.stringify({ name: `projects/${project}/secrets/db` })),
    attributes: {
      eventType: 'SECRET_VERSION_ADD',
      secretId: `projects/${project}/secrets/db`,
      dataFormat: 'JSON_API_V1',
    },
  });
  await allAt('v2', RELAY_MS);
});
