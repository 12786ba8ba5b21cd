// A controller whose Lease namespace does not exist says so — at start and on every retry, in one
// line naming the namespace, the apiserver's error and the flag that fixes it — and starts its
// workers as soon as the namespace appears.
import { randomBytes } from 'node:crypto';
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { adminConfig, createNamespace, deleteNamespace, clients } from '../../support/kube';

jest.setTimeout(60_000);

const RETRY_PERIOD_MS = 500;
/** One lease attempt: the retry period, its 20 % jitter, and room for two requests. */
const ATTEMPT_MS = RETRY_PERIOD_MS * 1.2 + 2000;

const missing = `no-such-ns-${randomBytes(3).toString('hex')}`;
let watched: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  watched = await createNamespace('lease-ns');
});
afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(watched);
  await deleteNamespace(missing);
});

const messages = (): string[] => (ctl?.logs ?? []).map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '');

test('a missing Lease namespace is explained at start and on every retry; workers start once it exists', async () => {
  // An admin kubeconfig, as a user runs it: RBAC allows the Lease, the namespace is what is missing.
  ctl = await startController(
    watched,
    { leaderElectionNamespace: missing, retryPeriod: `${RETRY_PERIOD_MS}ms` },
    { kubeConfig: adminConfig() },
  );
  const explained = (m: string) =>
    m.startsWith(`leader election: namespace ${missing} does not exist (apiserver: `) &&
    m.includes(`namespaces "${missing}" not found`) &&
    m.includes('create it or pass --leader-election-namespace');
  await eventually(() => expect(messages().filter(explained).length).toBeGreaterThanOrEqual(3), {
    timeoutMs: 3 * ATTEMPT_MS,
    what: 'the explanation at start and on two retries',
  });
  expect(messages()).not.toContain('leading: starting workers');

  await clients().core.createNamespace({ body: { metadata: { name: missing } } });
  await eventually(() => expect(messages()).toContain('leading: starting workers'), {
    timeoutMs: 2 * ATTEMPT_MS,
    what: 'workers started once the namespace exists',
  });
});
