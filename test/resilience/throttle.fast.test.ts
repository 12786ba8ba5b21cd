// Throttling: the Secret Manager emulator answers every call of one project with HTTP 429
// RESOURCE_EXHAUSTED (its /_testbed/throttle switch) for a while. The controller must back off —
// the calls the emulator counts stay within the exponential schedule, each key's retries are
// spaced as that schedule says, one Warning Event per ExternalSecret rather than one per attempt —
// report Ready=False ProviderThrottled, keep the Secrets as they were, and sync again within one
// backoff delay once the quota is back. In `npm test` the throttle lasts RESILIENCE_FAST_THROTTLE_MS
// (12 s); under `npm run test:resilience` RESILIENCE_THROTTLE_MS (40 s).
import { randomBytes } from 'node:crypto';
import { installDeploy, startController, type TestController } from '../support/controller';
import { createObject, eventsFor, readEs, ready } from '../support/es';
import { eventually } from '../support/eventually';
import { createNamespace, deleteNamespace } from '../support/kube';
import { attemptSchedule, delayAfter, gaps, pendingDelayAt } from './support/backoff';
import { findCanaries, newCanary } from './support/canary';
import { losses, managedSecrets, metricsText } from './support/cluster';
import { IN_PROCESS, knobs, recordFigures, saveLogs, timeUntil } from './support/knobs';
import { SecretManager } from './support/secretmanager';

const LONG = process.env.SECRETSYNC_RESILIENCE === '1';
const THROTTLE_MS = LONG ? knobs.throttleMs : knobs.fastThrottleMs;
const N = 3;
const PROJECT = `rs-throttle-${randomBytes(3).toString('hex')}`;
jest.setTimeout(THROTTLE_MS + pendingDelayAt(THROTTLE_MS) + 90_000);

let ns: string;
let sm: SecretManager;
let ctl: TestController | undefined;
const values = new Map<string, string>();

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-throttle');
  sm = new SecretManager(process.env.SECRETSYNC_GCP_ENDPOINT!);
  await sm.grantController(PROJECT);
  for (let i = 0; i < N; i++) {
    values.set(`t${i}`, newCanary());
    await sm.put(PROJECT, `t${i}`, values.get(`t${i}`)!);
  }
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'gsm', namespace: ns },
    spec: { provider: { gcpsm: { projectID: PROJECT } } },
  });
  for (let i = 0; i < N; i++) {
    await createObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: `t${i}`, namespace: ns },
      spec: {
        refreshInterval: '2s',
        secretStoreRef: { name: 'gsm' },
        data: [{ secretKey: 'value', remoteRef: { key: `t${i}` } }],
      },
    });
  }
  ctl = await startController(ns, IN_PROCESS);
});

afterAll(async () => {
  await sm?.throttle(PROJECT, false);
  await ctl?.stop();
  saveLogs('throttle-controller', ctl?.logs);
  await sm?.close();
  if (ns) await deleteNamespace(ns);
});

const current = async () => {
  const now = await managedSecrets(ns);
  for (let i = 0; i < N; i++) expect(now.get(`t${i}`)?.value).toBe(values.get(`t${i}`));
};

test('429 RESOURCE_EXHAUSTED: Ready=False ProviderThrottled, bounded retries, no error storm, recovery', async () => {
  await eventually(current, { timeoutMs: 30_000, what: 'first sync' });
  const keys = new Map(Array.from({ length: N }, (_, i) => [`t${i}`, ['value']]));

  await sm.throttle(PROJECT, true);
  const start = Date.now();
  // A rotation during the throttle, written around the quota (the emulator's own state).
  await sm.throttle(PROJECT, false);
  values.set('t0', newCanary());
  await sm.put(PROJECT, 't0', values.get('t0')!);
  await sm.throttle(PROJECT, true);
  const throttledBefore = (await sm.calls(PROJECT)).Throttled ?? 0;

  let lost: string[] = [];
  let sawThrottled: number | undefined;
  while (Date.now() - start < THROTTLE_MS) {
    lost = lost.concat(losses(keys, await managedSecrets(ns)));
    if (sawThrottled === undefined) {
      const conds = await Promise.all(
        Array.from({ length: N }, async (_, i) => ready(await readEs(ns, `t${i}`))),
      );
      if (conds.every((c) => c.status === 'False' && c.reason === 'ProviderThrottled'))
        sawThrottled = Date.now() - start;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const throttled = ((await sm.calls(PROJECT)).Throttled ?? 0) - throttledBefore;
  const cond = ready(await readEs(ns, 't1'));
  await sm.throttle(PROJECT, false);
  const back = Date.now();
  const bound = pendingDelayAt(THROTTLE_MS, 500) + 10_000;
  const recoveryMs = await timeUntil(current, bound);

  const retries = new Map<string, number[]>();
  for (const line of ctl!.logs) {
    const l = JSON.parse(line) as { msg?: string; externalSecret?: string; time?: number };
    if (l.msg !== 'reconcile failed; retrying with backoff' || !l.externalSecret || !l.time) continue;
    if (l.time < start || l.time > back) continue;
    (retries.get(l.externalSecret) ?? retries.set(l.externalSecret, []).get(l.externalSecret)!).push(l.time);
  }
  const tooSoon = [...retries].flatMap(([k, t]) =>
    gaps(t)
      .map((g, n) => (g < delayAfter(n) - 250 ? `${k}: retry ${n + 1} after ${g} ms` : ''))
      .filter(Boolean),
  );
  const perKey = attemptSchedule(THROTTLE_MS).length;
  // Per attempt one call: GetSecretVersion (change detection) is refused, and a throttling store is
  // not asked again for the payloads in the same attempt.
  const expectedMax = N * (perKey + 1);
  const warnings = await Promise.all(
    Array.from({ length: N }, async (_, i) =>
      (await eventsFor(ns, `t${i}`)).filter((e) => e.type === 'Warning'),
    ),
  );
  const failLines = [...retries.values()].reduce((a, t) => a + t.length, 0);
  const leaks = [
    ...findCanaries('logs', ctl!.logs.join('')),
    ...findCanaries('metrics', await metricsText(ctl!.metricsPort)),
    ...findCanaries('events', JSON.stringify(warnings)),
    ...findCanaries('status', JSON.stringify(cond)),
  ];
  recordFigures(LONG ? 'throttle' : 'throttle-fast', {
    externalSecrets: N,
    throttleMs: THROTTLE_MS,
    readyFalseThrottledAfterMs: sawThrottled,
    callsDuringThrottle: throttled,
    callsExpectedMax: expectedMax,
    attemptsPerKeyExpected: perKey,
    attemptsPerKeyMax: Math.max(0, ...[...retries.values()].map((t) => t.length)),
    failureLogLines: failLines,
    warningEventsPerExternalSecretMax: Math.max(...warnings.map((w) => w.length)),
    retriesSoonerThanSchedule: tooSoon.length,
    secretsLost: lost.length,
    recoveryMs,
    recoveryBoundMs: bound,
    canaryLeaks: leaks.length,
  });

  expect(lost).toEqual([]);
  expect(sawThrottled).toBeDefined();
  expect(cond.message).toMatch(/RESOURCE_EXHAUSTED/);
  expect(throttled).toBeGreaterThan(0);
  expect(throttled).toBeLessThanOrEqual(expectedMax);
  expect(tooSoon).toEqual([]);
  expect(Math.max(...warnings.map((w) => w.length))).toBeLessThanOrEqual(2);
  expect(recoveryMs).toBeDefined();
  expect(leaks).toEqual([]);
});
