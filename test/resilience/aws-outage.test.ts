// AWS Secrets Manager (moto) behind Toxiproxy that stops answering: a `timeout` toxic (timeout 0,
// upstream) accepts every connection and swallows every request, never replying nor closing — the
// failure that leaves a client waiting on its own deadline. The controller must turn it into Ready=False within one
// attempt's deadline (3 SDK tries × 10 s), keep the Secrets, back off, and sync again once the
// proxy answers; then the same with the proxy disabled (connection refused).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startToxiproxy, type Proxy, type Toxiproxy } from '../../dev/testbed/toxiproxy';
import { installDeploy, startController, type TestController } from '../support/controller';
import { createObject, readEs, ready } from '../support/es';
import { eventually } from '../support/eventually';
import { createNamespace, deleteNamespace } from '../support/kube';
import { pendingDelayAt } from './support/backoff';
import { findCanaries, newCanary } from './support/canary';
import { counter, losses, managedSecrets, metricsText } from './support/cluster';
import { IN_PROCESS, knobs, recordFigures, saveLogs, timeUntil } from './support/knobs';

const N = 3;
const HANG_MS = knobs.awsHangMs;
/** One reconcile against a silent store: 3 SDK tries × 10 s request deadline, plus backoff. */
const ATTEMPT_MS = 32_000;
const run = `rs-aws-${randomBytes(3).toString('hex')}`;
const repo = join(__dirname, '..', '..');
jest.setTimeout(2 * (HANG_MS + pendingDelayAt(HANG_MS, ATTEMPT_MS)) + 240_000);

let ns: string;
let tp: Toxiproxy | undefined;
let proxy: Proxy;
let ctl: TestController | undefined;
let aws: SecretsManagerClient;
const values = new Map<string, string>();

async function put(name: string, value: string): Promise<void> {
  try {
    await aws.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceExistsException') throw err;
    await aws.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
  values.set(name, value);
}

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-aws');
  const moto = process.env.AWS_ENDPOINT_URL!;
  aws = new SecretsManagerClient({ endpoint: moto });
  tp = await startToxiproxy({ logDir: join(repo, '.testbed', 'resilience', 'logs') });
  proxy = await tp.proxy('moto', moto);
  // The in-process controller's AWS SDK reads this; the test's own client keeps talking to moto.
  process.env.AWS_ENDPOINT_URL = proxy.url;
  for (let i = 0; i < N; i++) await put(`${run}/a${i}`, newCanary());
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'aws', namespace: ns },
    spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } },
  });
  for (let i = 0; i < N; i++) {
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: `a${i}`, namespace: ns },
      spec: {
        refreshInterval: '2s',
        secretStoreRef: { name: 'aws' },
        data: [{ secretKey: 'value', remoteRef: { key: `${run}/a${i}` } }],
      },
    });
  }
  ctl = await startController(ns, IN_PROCESS);
});

afterAll(async () => {
  await ctl?.stop();
  saveLogs('aws-outage-controller', ctl?.logs);
  await tp?.stop();
  aws?.destroy();
  if (ns) await deleteNamespace(ns);
});

const current = async () => {
  const now = await managedSecrets(ns);
  for (let i = 0; i < N; i++) expect(now.get(`a${i}`)?.value).toBe(values.get(`${run}/a${i}`));
};
const keys = new Map(Array.from({ length: N }, (_, i) => [`a${i}`, ['value']]));

async function outage(
  kind: 'silent' | 'refused',
  inject: () => Promise<void>,
  heal: () => Promise<void>,
): Promise<Record<string, unknown>> {
  await eventually(current, { timeoutMs: 30_000, what: 'synced before the outage' });
  const callsBefore = counter(await metricsText(ctl!.metricsPort), 'secretsync_provider_calls_total', {
    provider: 'aws',
  });
  await inject();
  const start = Date.now();
  // A rotation while the store is unreachable for the controller.
  await put(`${run}/a0`, newCanary());
  let lost: string[] = [];
  let readyFalseMs: number | undefined;
  while (Date.now() - start < HANG_MS) {
    lost = lost.concat(losses(keys, await managedSecrets(ns)));
    if (readyFalseMs === undefined) {
      const conds = await Promise.all(
        Array.from({ length: N }, async (_, i) => ready(await readEs(ns, `a${i}`))),
      );
      if (conds.every((c) => c.status === 'False')) readyFalseMs = Date.now() - start;
    }
    await sleep(1000);
  }
  const cond = ready(await readEs(ns, 'a1'));
  const calls =
    counter(await metricsText(ctl!.metricsPort), 'secretsync_provider_calls_total', { provider: 'aws' }) -
    callsBefore;
  await heal();
  const bound = pendingDelayAt(HANG_MS, ATTEMPT_MS) + ATTEMPT_MS + 10_000;
  const recoveryMs = await timeUntil(current, bound);
  const figures = {
    hangMs: HANG_MS,
    readyFalseAfterMs: readyFalseMs,
    reason: cond.reason,
    message: cond.message?.replace(/RSCANARY[0-9a-f]+/g, '<canary>'),
    providerCallsDuring: calls,
    secretsLost: lost.length,
    recoveryMs,
    recoveryBoundMs: bound,
  };
  recordFigures(`aws-outage-${kind}`, figures);
  expect(lost).toEqual([]);
  expect(readyFalseMs).toBeDefined();
  expect(readyFalseMs!).toBeLessThanOrEqual(ATTEMPT_MS + 5000);
  expect(cond.reason).toBe('ProviderUnavailable');
  expect(recoveryMs).toBeDefined();
  return figures;
}

test('moto that never answers: Ready=False within one attempt deadline, nothing lost, recovery', async () => {
  await outage(
    'silent',
    async () => {
      // Upstream: requests never reach moto, so nothing answers or closes the connection (moto
      // closes after each answer, which a downstream toxic would pass on as an immediate hang-up).
      await proxy.addToxic({
        name: 'silent',
        type: 'timeout',
        stream: 'upstream',
        attributes: { timeout: 0 },
      });
    },
    () => proxy.removeToxic('silent'),
  );
});

test('moto unreachable (proxy disabled: connection refused): the same', async () => {
  await outage(
    'refused',
    () => proxy.setEnabled(false),
    () => proxy.setEnabled(true),
  );
  expect(findCanaries('logs', ctl!.logs.join(''))).toEqual([]);
});
