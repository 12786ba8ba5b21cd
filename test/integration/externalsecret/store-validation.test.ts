// Store validation: Ready=True Valid after one cheap provider call; ValidationFailed with the
// identity's own message when that call cannot be made (a Google SA the KSA may not impersonate).
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { grantGcp } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const project = `sv-${randomBytes(3).toString('hex')}`;
let ns: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  ns = await createNamespace('store-val');
  await installDeploy();
  // ListSecrets, the validation call (without it the store would be Valid with a note).
  await grantGcp(project, 'roles/secretmanager.viewer');
  await applyYaml(`
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: ${ns}
  annotations: {iam.gke.io/gcp-service-account: "unbound@${project}.iam.gserviceaccount.com"}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ambient, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}, retrySettings: {maxRetries: 3, retryInterval: 10s}}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: unbound, namespace: ${ns}}
spec:
  provider:
    gcpsm:
      projectID: ${project}
      auth:
        workloadIdentity:
          serviceAccountRef: {name: app}
          clusterLocation: europe-west1
          clusterName: testbed
          clusterProjectID: ${project}
`);
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

test('a working store is Valid, and says which ESO fields it does not use', async () => {
  const c = await eventually(
    async () => {
      const x = await storeCondition(ns, 'ambient');
      expect(x).toMatchObject({ status: 'True', reason: 'Valid' });
      return x!;
    },
    { timeoutMs: 20000, what: 'Valid' },
  );
  expect(c.message).toBe(
    'store validated; retrySettings is not used (failures back off per key, 1 s to 5 min)',
  );
});

test('a store whose identity cannot get a token is ValidationFailed with a message that fixes it', async () => {
  const c = await eventually(
    async () => {
      const x = await storeCondition(ns, 'unbound');
      expect(x).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
      return x!;
    },
    { timeoutMs: 20000, what: 'ValidationFailed' },
  );
  expect(c.message).toMatch(/roles\/iam\.workloadIdentityUser/);
});
