// Two replicas: one leader does the work; when it stops (releasing its lease) the other takes over.
// Also the metrics and health endpoints of a running controller.
import { randomBytes } from 'node:crypto';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
let ns: string;
const replicas: TestController[] = [];
let survivor: TestController | undefined;

const leaderGauge = async (c: TestController) => {
  const text = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
  return /^secretsync_leader (\d)/m.exec(text)?.[1];
};

beforeAll(async () => {
  ns = await createNamespace('es-ha');
  await installDeploy();
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec: {provider: {fake: {data: [{key: k, value: ${CANARY}}]}}}
`);
  replicas.push(await startController(ns), await startController(ns));
});

afterAll(async () => {
  for (const r of replicas) await r.stop(); // stop() is idempotent
  await deleteNamespace(ns);
  for (const r of replicas) expect(r.logs.join('')).not.toContain(CANARY);
});

test('exactly one replica leads; the other takes over when the leader stops', async () => {
  const leaders = await eventually(
    async () => {
      const g = await Promise.all(replicas.map(leaderGauge));
      expect(g.filter((x) => x === '1')).toHaveLength(1);
      return g;
    },
    { timeoutMs: 10000, what: 'one leader' },
  );
  const leader = replicas[leaders.indexOf('1')]!;
  const follower = replicas[leaders.indexOf('0')]!;

  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: one, namespace: ${ns}}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: v, remoteRef: {key: k}}]
`);
  await eventually(async () => expect(decoded(await readSecret(ns, 'one')).v).toBe(CANARY), {
    timeoutMs: 20000,
    what: 'synced',
  });
  expect(follower.logs.join('')).not.toMatch(/"msg":"reconciled"/);

  await leader.stop();
  survivor = follower;
  // The released lease lets the follower lead within a retry period (0.5 s in tests) plus margin.
  await eventually(async () => expect(await leaderGauge(follower)).toBe('1'), {
    timeoutMs: 5000,
    what: 'takeover',
  });
  await clients().core.deleteNamespacedSecret({ name: 'one', namespace: ns });
  await eventually(async () => expect(decoded(await readSecret(ns, 'one')).v).toBe(CANARY), {
    timeoutMs: 20000,
    what: 'repaired by new leader',
  });
});

test('metrics and health endpoints answer and carry no values', async () => {
  const base = `http://127.0.0.1:${survivor!.metricsPort}`;
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toMatch(/secretsync_externalsecret_syncs_total\{result="synced"\} \d+/);
  expect(text).toMatch(/secretsync_provider_calls_total\{provider="fake",op="getSecret",result="ok"\} \d+/);
  expect(text).not.toContain(CANARY);
});
