// Deleting a namespace that holds a GCP SecretStore and its ExternalSecrets, again and again while
// their provider calls are in flight, must leave the controller running and serving. It once
// crashed it: the store's delete event validated the deleted store with the cached client and then
// closed that client under the validation call, whose failure became an unhandled rejection. An
// edit of the store could close the new generation's client under its validation the same way (a
// narrower race, which the second test guards but did not catch before the fix).
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { startController, type TestController } from '../../support/controller';
import { decoded, readSecret, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, deleteNamespace } from '../../support/kube';

const project = `nsdel-${randomBytes(3).toString('hex')}`;
const ns = `nsdel-${randomBytes(3).toString('hex')}`;
const sm = gcpSecretManager();
const ROUNDS = 4;
const KEYS = 5;
const ES_PER_ROUND = 20;
// A sync needs one provider call and two apiserver writes; a namespace delete waits for the
// controller-manager's namespace controller. Both are seconds on a quiet machine.
const SYNC_MS = 30_000;
const NAMESPACE_GONE_MS = 60_000;

let ctl: TestController | undefined;
const rejections: string[] = [];
const onRejection = (reason: unknown) =>
  rejections.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  for (let k = 0; k < KEYS; k++) await putGcpVersion(sm, project, `k${k}`, `v${k}`);
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  ctl = await startController(ns);
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await ctl?.stop();
  await deleteNamespace(ns);
  await sm.close();
});

async function populate(round: number): Promise<void> {
  await clients().core.createNamespace({ body: { metadata: { name: ns } } });
  const es = Array.from(
    { length: ES_PER_ROUND },
    (_, i) => `
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es-${i}, namespace: ${ns}}
spec:
  refreshInterval: 1s
  secretStoreRef: {name: gsm, kind: SecretStore}
  target: {name: es-${i}}
  data: [{secretKey: v, remoteRef: {key: k${(i + round) % KEYS}}}]`,
  ).join('');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gsm, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
${es}`);
}

function namespaceExists(): Promise<boolean> {
  return clients()
    .core.readNamespace({ name: ns })
    .then(
      () => true,
      (err: unknown) => {
        if ((err as { code?: number }).code === 404) return false;
        throw err;
      },
    );
}

async function namespaceGone(): Promise<void> {
  await eventually(async () => expect(await namespaceExists()).toBe(false), {
    timeoutMs: NAMESPACE_GONE_MS,
    what: `namespace ${ns} deleted`,
  });
}

test('repeated deletes of a namespace with a GCP SecretStore in use leave the controller serving', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    await populate(round);
    // Some have synced and the rest are being fetched (refreshInterval 1s keeps calls coming).
    await eventually(
      async () => expect(decoded(await readSecret(ns, 'es-0'))).toEqual({ v: `v${round % KEYS}` }),
      { timeoutMs: SYNC_MS, what: `round ${round}: first Secret synced` },
    );
    await clients().core.deleteNamespace({ name: ns });
    await namespaceGone();
    expect({ round, rejections }).toEqual({ round, rejections: [] });
  }
  // Still serving: the namespace again, every ExternalSecret synced.
  await populate(ROUNDS);
  await eventually(
    async () => {
      for (let i = 0; i < ES_PER_ROUND; i++)
        expect(decoded(await readSecret(ns, `es-${i}`))).toEqual({ v: `v${(i + ROUNDS) % KEYS}` });
    },
    { timeoutMs: SYNC_MS, what: 'every Secret synced after the deletes' },
  );
  expect(rejections).toEqual([]);
  expect(ctl!.logs.join('')).not.toMatch(/"msg":"stopped after losing the lease"/);
});

test('edits of the store while it is in use: each generation is validated with its own client', async () => {
  // The namespace the test above left serving (or a fresh one when run alone).
  if (!(await namespaceExists())) await populate(ROUNDS);
  for (let edit = 1; edit <= ROUNDS; edit++) {
    await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gsm, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}, refreshInterval: ${edit}}
`);
    await eventually(
      async () => {
        const c = await storeCondition(ns, 'gsm');
        expect(c).toMatchObject({ status: 'True', reason: 'Valid' });
        expect(c?.message).toMatch(/refreshInterval is not used/);
      },
      { timeoutMs: SYNC_MS, what: `edit ${edit}: store Valid` },
    );
    expect({ edit, rejections }).toEqual({ edit, rejections: [] });
  }
  await eventually(
    async () => expect(decoded(await readSecret(ns, 'es-1'))).toEqual({ v: `v${(1 + ROUNDS) % KEYS}` }),
    { timeoutMs: SYNC_MS, what: 'still syncing' },
  );
});
