// A store's conditions list is written as a whole, by more than one writer (the Ready check, the
// rotation-event source, other replicas), each starting from the copy it last saw. Against the real
// apiserver: writers holding stale copies keep each other's conditions, and an unchanged condition
// writes nothing.
import { randomBytes } from 'node:crypto';
import { writeStoreStatus, type StoreCondition } from '../../../src/controllers/secretstore/store-status';
import type { StoreObject } from '../../../src/controllers/secretstore/store';
import { applyYaml } from '../../support/apply';
import { controllerKubeConfig, installDeploy } from '../../support/controller';
import { adminConfig, createNamespace, deleteNamespace } from '../../support/kube';
import { kubeRequest } from '../../../src/kube/request';

let ns: string;
const name = `st-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await installDeploy(); // CRDs and the controller's RBAC
  ns = await createNamespace('store-status');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ${name}, namespace: ${ns}}
spec: {provider: {fake: {data: []}}}`);
});

afterAll(async () => {
  await deleteNamespace(ns);
});

/** A copy of the store as an informer would hold it before any status was written. */
const staleCopy = (): StoreObject & { conditions?: StoreCondition[] } => ({
  kind: 'SecretStore',
  name,
  namespace: ns,
  generation: 1,
  spec: { provider: { fake: { data: [] } } } as StoreObject['spec'],
});

async function liveConditions(): Promise<StoreCondition[]> {
  const live = await kubeRequest<{ status?: { conditions?: StoreCondition[] } }>(adminConfig(), {
    method: 'GET',
    path: `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores/${name}`,
  });
  return live.status?.conditions ?? [];
}

test("writers from stale copies keep each other's conditions; the same condition again writes nothing", async () => {
  // As the controller: its RBAC (deploy/rbac.yaml) must allow what the write does.
  const kc = await controllerKubeConfig();
  const ready: StoreCondition = {
    type: 'Ready',
    status: 'True',
    reason: 'Valid',
    message: 'store validated',
  };
  const events: StoreCondition = {
    type: 'RotationEvents',
    status: 'True',
    reason: 'Subscribed',
    message: 'receiving rotation events',
  };
  // Each from its own copy with no conditions, as two writers racing would hold them.
  expect(await writeStoreStatus(kc, staleCopy(), ready)).toBe(true);
  expect(await writeStoreStatus(kc, staleCopy(), events)).toBe(true);
  const both = await liveConditions();
  expect(both.map((c) => c.type).sort()).toEqual(['Ready', 'RotationEvents']);
  // Concurrently as well: every condition written survives.
  const types = ['A', 'B', 'C', 'D'].map((t) => ({ ...events, type: t }) as unknown as StoreCondition);
  await Promise.all(types.map((c) => writeStoreStatus(kc, staleCopy(), c)));
  expect((await liveConditions()).map((c) => c.type).sort()).toEqual([
    'A',
    'B',
    'C',
    'D',
    'Ready',
    'RotationEvents',
  ]);
  // A stale copy that lacks Ready, asked to write the Ready the server already has: no write.
  expect(await writeStoreStatus(kc, staleCopy(), ready)).toBe(false);
});
