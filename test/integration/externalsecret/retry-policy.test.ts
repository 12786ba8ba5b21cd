// A failure that retrying cannot fix (the provider rejects the reference: InvalidRefError) is not
// retried with backoff: the ExternalSecret waits for a change or its next refresh, so the provider
// sees one attempt, not one per backoff step — and fixing the ExternalSecret syncs it at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../../src/runtime/workqueue';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, decoded, patchMerge, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

jest.setTimeout(90_000);

const REFRESH_INTERVAL_MS = 3_600_000;
/** Backoff retries would make three more attempts in this window (1 s, 2 s, 4 s apart by default). */
const WINDOW_MS = backoffDelay(0) + backoffDelay(1) + backoffDelay(2) + 1000;
/** A reconcile after an object changes: informer delivery plus one sync against the fake provider. */
const PROMPT_MS = 10_000;

let ns: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  ns = await createNamespace('es-retry');
  await installDeploy();
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'app-db', value: 'v1' }] } } },
  });
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

async function rejectedFinds(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ctl!.metricsPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('secretsync_provider_calls_total{') &&
        l.includes('provider="fake"') &&
        l.includes('op="findSecrets"') &&
        l.includes('result="InvalidRemoteRef"'),
    );
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('a reference the provider rejects is tried once per refresh, not per backoff step; a fix syncs at once', async () => {
  const es = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'tagged', namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      target: { name: 'tagged' },
      // The fake provider has no tags and answers InvalidRefError.
      dataFrom: [{ find: { tags: { team: 'a' } } }],
    },
  };
  await createObject(es);
  await eventually(async () => expect(ready(await readEs(ns, 'tagged')).reason).toBe('InvalidRemoteRef'), {
    timeoutMs: PROMPT_MS,
    what: 'Ready=False InvalidRemoteRef',
  });
  const first = await rejectedFinds();
  expect(first).toBeGreaterThanOrEqual(1);

  await sleep(WINDOW_MS);
  // No refresh falls in the window, so no further attempt may either.
  expect((await rejectedFinds()) - first).toBeLessThanOrEqual(Math.floor(WINDOW_MS / REFRESH_INTERVAL_MS));

  await patchMerge(es, { spec: { ...es.spec, dataFrom: [{ find: { name: { regexp: '^app-' } } }] } });
  await eventually(async () => expect(ready(await readEs(ns, 'tagged')).status).toBe('True'), {
    timeoutMs: PROMPT_MS,
    what: 'synced after the fix',
  });
  expect(decoded(await readSecret(ns, 'tagged'))).toEqual({ 'app-db': 'v1' });
});
