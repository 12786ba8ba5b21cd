// kube-apiserver SIGKILLed and restarted, on this scenario's own testbed instance (never the shared
// one). While it is down, etcd is changed underneath it — a managed Secret deleted, a SecretStore's
// value rotated (as the apiserver would store it: generation bumped) — and right after it is back,
// before the controller's watches have resumed, an ExternalSecret is created and another's spec
// changed; then etcd is compacted, so every watch resuming from its old resourceVersion gets 410
// Gone. ExternalSecrets refresh hourly, so only the informers can bring these changes in: every
// one must land, and no Secret may be lost on the way.
//
// The controller runs without leader election here: a leader that cannot renew its lease for the
// renew deadline exits by design (a new process relists on start, as leader-kill.test.ts shows);
// what is tested is that the informers of a process that stays up recover.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestbed, type Testbed } from '../../dev/testbed';
import { httpsOk } from '../../dev/testbed/controlplane';
import { applyFile } from '../support/apply';
import { installDeploy, startController, type TestController } from '../support/controller';
import { createObject, patchMerge, readEs } from '../support/es';
import { eventually } from '../support/eventually';
import { clients } from '../support/kube';
import { findCanaries, newCanary } from './support/canary';
import { losses, managedSecrets } from './support/cluster';
import { Etcd } from './support/etcd';
import { knobs, recordFigures, saveLogs, timeUntil } from './support/knobs';

const DOWN_MS = knobs.apiserverDownMs;
const repo = join(__dirname, '..', '..');
jest.setTimeout(DOWN_MS + 300_000);

const ns = 'rs-apiserver';
let tb: Testbed | undefined;
let ctl: TestController | undefined;
const canaries = [newCanary(), newCanary(), newCanary(), newCanary()];

function store(values: string[]) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: values.map((value, i) => ({ key: `k${i}`, value })) } } },
  };
}

function es(name: string, key: string, secretKey = 'value') {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey, remoteRef: { key } }],
    },
  };
}

beforeAll(async () => {
  tb = await startTestbed({
    name: 'resilience-apiserver',
    withPubSub: false,
    withMoto: false,
    progress: (l) => void process.stderr.write(`${l}\n`),
  });
  // Everything below (admin clients, kubectl, the controller's ServiceAccount) uses this instance.
  Object.assign(process.env, tb.env);
  // The CRDs are registered here, before anything else. Registering a new CRD group-version can
  // crash kube-apiserver v1.36.3 on a race inside kube-openapi (isOpenApiCacheRace in
  // dev/testbed/controlplane.ts); the testbed restarts it when its log shows that crash and
  // records it in apiserverRespawns. A call cut off by such a restart is made again (surviving); any
  // other failure fails the scenario.
  for (const f of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'])
    await surviving(() => applyFile(join(repo, 'crds', `${f}.yaml`)));
  await installDeploy();
  await clients().core.createNamespace({ body: { metadata: { name: ns } } });
  await createObject(store(canaries.slice(0, 3)));
  for (let i = 0; i < 3; i++) await createObject(es(`es-${i}`, `k${i}`));
  ctl = await startController(ns, { leaderElect: false });
});

/** Runs an admin call; if the apiserver crashed on the known race meanwhile, again once it is back. */
async function surviving<T>(call: () => Promise<T>): Promise<T> {
  const before = tb!.apiserverRespawns.length;
  try {
    return await call();
  } catch (err) {
    if (!(await restartedAfterKnownCrash(before))) throw err;
    return call();
  }
}

/**
 * After a failed call: true once the apiserver, if it crashed on the known race during the
 * call, is back (the testbed notes the crash when the process exits, restarts it and waits for it
 * within its own 180 s readiness deadline); false if it did not crash that way.
 */
async function restartedAfterKnownCrash(before: number): Promise<boolean> {
  // The exit is seen when the process ends, before kubectl reports the dropped connection; a
  // second covers the event loop.
  const noted = await timeUntil(
    async () => {
      if (tb!.apiserverRespawns.length === before) throw new Error('no restart');
    },
    1000,
    50,
  );
  if (noted === undefined) return false;
  await eventually(
    async () => {
      if (!(await httpsOk(`${tb!.apiserverUrl}/readyz`, tb!.adminToken))) throw new Error('not ready');
    },
    { timeoutMs: 185_000, what: 'kube-apiserver back after the known crash' },
  );
  return true;
}

afterAll(async () => {
  await ctl?.stop();
  saveLogs('apiserver-restart-controller', ctl?.logs);
  await tb?.stop();
});

test('informers recover from an apiserver restart and 410 Gone; no change is missed', async () => {
  const current = async (want: Record<string, Record<string, string>>) => {
    const now = await managedSecrets(ns);
    for (const [name, data] of Object.entries(want)) expect(now.get(name)).toEqual(data);
  };
  await eventually(
    () =>
      current({
        'es-0': { value: canaries[0]! },
        'es-1': { value: canaries[1]! },
        'es-2': { value: canaries[2]! },
      }),
    { timeoutMs: 30_000, what: 'first sync' },
  );

  const apiserver = tb!.apiserver();
  const etcdProc = tb!.processes.find((p) => p.name === 'etcd')!;
  const etcdUrl = /--listen-client-url=(\S+)/.exec(etcdProc.child.spawnargs.join(' '))![1]!;
  const etcd = new Etcd(etcdUrl);

  // Down.
  process.kill(-apiserver.pid, 'SIGKILL');
  await apiserver.exited;
  const killedAt = Date.now();
  // Changes made while it is down, in etcd itself.
  const deleted = await etcd.delete(`/registry/secrets/${ns}/es-0`);
  const storeKey = `/registry/external-secrets.io/secretstores/${ns}/fake`;
  const stored = JSON.parse((await etcd.get(storeKey)).value!) as ReturnType<typeof store> & {
    metadata: { generation: number };
  };
  const rotated = newCanary();
  stored.spec.provider.fake.data[1]!.value = rotated;
  stored.metadata.generation += 1;
  await etcd.put(storeKey, JSON.stringify(stored));
  await sleep(Math.max(0, DOWN_MS - (Date.now() - killedAt)));

  // Up again, same flags, certificates and port.
  const respawnsBefore = tb!.apiserverRespawns.length;
  await tb!.restartApiserver();
  const upAt = Date.now();
  // Changes made right after, before the controller's watches are back; then history is compacted.
  // (The restarted apiserver registers the CRDs again, which can crash it on the known race:
  // surviving() repeats a call the testbed's restart cut off.)
  await surviving(() => createObject(es('es-new', 'k3')));
  await surviving(async () => {
    const es2 = await readEs(ns, 'es-2');
    await patchMerge(es2 as never, { spec: { data: [{ secretKey: 'renamed', remoteRef: { key: 'k2' } }] } });
  });
  // k3 exists only from now on: the new ExternalSecret can sync only after the store change is seen.
  await surviving(async () => {
    const live = await clients().objects.read(store([]) as never);
    await patchMerge(live as never, {
      spec: {
        provider: {
          fake: { data: [...stored.spec.provider.fake.data, { key: 'k3', value: canaries[3]! }] },
        },
      },
    });
  });
  const compactedAt = await etcd.compact();

  const want = {
    'es-0': { value: canaries[0]! },
    'es-1': { value: rotated },
    'es-2': { renamed: canaries[2]! },
    'es-new': { value: canaries[3]! },
  };
  const convergedMs = await timeUntil(() => current(want), 90_000, 250);
  const lost = losses(
    new Map([
      ['es-1', ['value']],
      ['es-2', ['renamed']],
    ]),
    await managedSecrets(ns),
  );
  const logs = ctl!.logs.map((l) => JSON.parse(l) as { msg?: string; time?: number });
  const after = (m: string) => logs.filter((l) => l.msg === m && (l.time ?? 0) >= killedAt).length;
  recordFigures('apiserver-restart', {
    downMs: upAt - killedAt,
    changedInEtcdWhileDown: ['Secret es-0 deleted', 'SecretStore fake rotated (generation +1)'],
    secretDeletedInEtcd: deleted,
    changedRightAfter: [
      'ExternalSecret es-new created',
      'es-2 spec changed',
      'SecretStore fake: key k3 added',
    ],
    compactedAtRevision: compactedAt,
    // Crashes of the restarted apiserver on the known kube-openapi race (each answered by the
    // testbed with one more restart), during setup and after the deliberate restart.
    apiserverRaceCrashesDuringSetup: respawnsBefore,
    apiserverRaceCrashesAfterRestart: tb!.apiserverRespawns.length - respawnsBefore,
    convergedAfterUpMs: convergedMs,
    relists: after('relisted'),
    watch410: after('watch expired (410); relisting'),
    watchFailures: after('watch failed; resuming') + after('list failed; retrying'),
    secretsLost: convergedMs === undefined ? 'n/a' : 0,
    canaryLeaks: findCanaries('logs', ctl!.logs.join('')).length,
  });
  expect(deleted).toBe(1);
  expect(convergedMs).toBeDefined();
  expect(lost).toEqual([]);
  expect(findCanaries('logs', ctl!.logs.join(''))).toEqual([]);
});
