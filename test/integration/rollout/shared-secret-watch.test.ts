// The sync and rollout sides share one list and watch of Secrets: the rollout side's informer of
// every Secret lists the managed ones first and feeds the sync side's view of them; the other
// Secrets are listed only once the sync side has listed its own (it does not wait for them).
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, FLAGS } from './helpers';

let ns: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  ns = await createNamespace('shared-watch');
  await installDeploy();
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'db-pass', value: 'v1' }] } } },
  });
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      data: [{ secretKey: 'password', remoteRef: { key: 'db-pass' } }],
    },
  });
  const { core } = clients();
  await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: `other-${i}` }, stringData: { k: 'v' } },
      }),
    ),
  );
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

interface Line {
  msg?: string;
  path?: string;
  labelSelector?: string;
  items?: number;
  externalSecret?: string;
}

test('one Secret list and watch serves both sides; the unmanaged Secrets are listed after the sync side has listed', async () => {
  // A first controller writes the managed Secret; the second one is the one observed starting.
  const first = await startController(ns, FLAGS);
  await eventually(async () => expect((await readSecret(ns, 'db'))?.data?.password).toBeDefined(), {
    timeoutMs: ACT_MS,
    what: 'managed Secret written',
  });
  await first.stop();
  ctl = await startController(ns, FLAGS);
  await eventually(() => expect(ctl!.logs.join('')).toContain('"externalSecret":"' + ns + '/db"'), {
    timeoutMs: ACT_MS,
    what: 'the ExternalSecret reconciled',
  });
  const secretsPath = `/api/v1/namespaces/${ns}/secrets`;
  const lines = ctl.logs
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  const pages = lines.filter((l) => l.msg === 'listed a page' && l.path === secretsPath);
  // Two lists, each once: the managed Secrets, then the rest (no second list of the managed ones).
  expect(pages.map((p) => p.labelSelector)).toEqual([
    'reconcile.external-secrets.io/managed=true',
    'reconcile.external-secrets.io/managed!=true',
  ]);
  expect(pages.map((p) => p.items)).toEqual([1, 5]);
  const at = (pred: (l: Line) => boolean) => lines.findIndex(pred);
  const esSynced = at((l) => l.msg === 'informer synced' && (l.path ?? '').endsWith(`${ns}/externalsecrets`));
  const managedSynced = at(
    (l) => l.msg === 'informer synced' && l.path === secretsPath && l.labelSelector !== undefined,
  );
  const restPage = lines.indexOf(pages[1]!);
  expect(esSynced).toBeGreaterThanOrEqual(0);
  expect(managedSynced).toBeGreaterThanOrEqual(0);
  expect(restPage).toBeGreaterThan(Math.max(esSynced, managedSynced));
});
