// The same ExternalSecret manifest syncs from GCP Secret Manager and from AWS Secrets Manager:
// only the SecretStore behind the name `primary` changes.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const key = `shared-db-${randomBytes(3).toString('hex')}`;
const project = `same-${randomBytes(3).toString('hex')}`;
const controllers: TestController[] = [];
const namespaces: string[] = [];

const externalSecret = (ns: string) => `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: db, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: primary, kind: SecretStore}
  data:
    - {secretKey: password, remoteRef: {key: ${key}}}
`;

beforeAll(async () => {
  await installDeploy();
  const sm = gcpSecretManager();
  await sm.createSecret({
    parent: `projects/${project}`,
    secretId: key,
    secret: { replication: { automatic: {} } },
  });
  await sm.addSecretVersion({
    parent: `projects/${project}/secrets/${key}`,
    payload: { data: Buffer.from('from-gcp') },
  });
  await grantGcp(`projects/${project}/secrets/${key}`, 'roles/secretmanager.secretAccessor');
  await sm.close();
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: key, SecretString: 'from-aws' }));
});

afterAll(async () => {
  for (const c of controllers) await c.stop();
  for (const ns of namespaces) await deleteNamespace(ns);
});

test.each([
  ['gcpsm', () => `{gcpsm: {projectID: ${project}}}`, 'from-gcp'],
  ['aws', () => `{aws: {service: SecretsManager, region: ${process.env.AWS_REGION}}}`, 'from-aws'],
])('with a %s store', async (_kind, provider, expected) => {
  const ns = await createNamespace('same');
  namespaces.push(ns);
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: primary, namespace: ${ns}}
spec: {provider: ${provider()}}
`);
  await applyYaml(externalSecret(ns));
  controllers.push(await startController(ns));
  await eventually(async () => expect(decoded(await readSecret(ns, 'db')).password).toBe(expected), {
    timeoutMs: 20000,
    what: 'synced',
  });
});
