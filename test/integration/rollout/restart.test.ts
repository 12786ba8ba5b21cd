// Restarts and leader changes: a controller that starts again, or a standby that takes over,
// restarts nothing when nothing changed (the hash is recorded on the workload, not in memory),
// and a change made while no controller was running is caught, once, on start.
import { startController, type TestController } from '../../support/controller';
import { createNamespace, deleteNamespace } from '../../support/kube';
import {
  apps,
  decided,
  deployment,
  envKey,
  events,
  FLAGS,
  putSecret,
  reaches,
  recorded,
  replicaSets,
  staysAt,
} from './helpers';

let ns: string;
const running: TestController[] = [];

async function start(): Promise<TestController> {
  const c = await startController(ns, FLAGS);
  running.push(c);
  return c;
}

async function stop(c: TestController): Promise<void> {
  await c.stop();
  running.splice(running.indexOf(c), 1);
}

beforeAll(async () => {
  ns = await createNamespace('rollout-restart');
});

afterEach(async () => {
  for (const c of [...running]) await stop(c);
});

afterAll(() => deleteNamespace(ns));

const wk = (name: string) => `Deployment/${ns}/${name}`;
const rs = (name: string) => () => replicaSets(ns, name);
const AUTO = { 'reloader.stakater.com/auto': 'true' };

async function created(name: string): Promise<void> {
  await putSecret(ns, name, { k: '1' });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment(name, { annotations: AUTO, pod: { env: [envKey(name, 'k')] } }),
  });
  await recorded(ns, 'Deployment', name);
  await reaches(rs(name), 1, `first ReplicaSet of ${name}`);
}

test('a controller restarted with nothing changed restarts nothing', async () => {
  const first = await start();
  await created('steady');
  await stop(first);
  const second = await start();
  expect(await decided(second, 0, wk('steady'))).toMatchObject({ action: 'none' });
  await staysAt(rs('steady'), 1);
});

test('a change made while the controller was down: exactly one rollout after start', async () => {
  const first = await start();
  await created('down');
  await stop(first);
  await putSecret(ns, 'down', { k: '2' });
  const second = await start();
  await reaches(rs('down'), 2, 'rollout after start');
  expect(await decided(second, 0, wk('down'))).toMatchObject({ action: 'restart' });
  await staysAt(rs('down'), 2);
  const ev = (await events(ns, 'down')).filter((e) => e.reason === 'RolloutTriggered');
  expect(ev.map((e) => e.message)).toEqual([
    expect.stringContaining('Secret down changed while secretsync was not watching'),
  ]);
});

test('the leader stops and a standby takes over: nothing restarts; the standby acts on the next change', async () => {
  const leader = await start();
  const standby = await start();
  await created('ha');
  expect(standby.logs.join('')).not.toContain(`"workload":"${wk('ha')}"`);
  await stop(leader);
  expect(await decided(standby, 0, wk('ha'))).toMatchObject({ action: 'none' });
  await staysAt(rs('ha'), 1);
  const from = standby.logs.length;
  await putSecret(ns, 'ha', { k: '2' });
  await reaches(rs('ha'), 2, 'rollout by the new leader');
  expect(await decided(standby, from, wk('ha'), 'Secret/ha')).toMatchObject({ action: 'restart' });
  await staysAt(rs('ha'), 2);
});
