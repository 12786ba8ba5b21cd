// The runner both controllers use: reconcile duration by the queue's clock, queue depth every 2 s,
// one log line per result in the controller's words, and no timer left once the queue shuts down.
import { ManualClock } from '../../../src/runtime/clock';
import { done, retry, terminal, type Decision } from '../../../src/runtime/decision';
import { QUEUE_DEPTH_PERIOD_MS, runReconcileWorkers, type ResultLog } from '../../../src/runtime/runner';
import { WorkQueue } from '../../../src/runtime/workqueue';
import { NOT_OURS } from '../../../src/runtime/shard-member';
import { Metrics } from '../../../src/observability/metrics';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Line {
  level: 'warn' | 'debug';
  fields: Record<string, unknown>;
  msg: string;
}

function setup(
  results: ResultLog,
  reconcile: (key: string, clock: ManualClock) => Decision | Promise<Decision>,
  workers = 2,
) {
  const clock = new ManualClock(0);
  const queue = new WorkQueue<string>({ clock });
  const metrics = new Metrics(false);
  const lines: Line[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
    debug: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'debug', fields, msg }),
  };
  const running = runReconcileWorkers({
    controller: 'test',
    queue,
    workers,
    reconcile: (key) => reconcile(key, clock),
    metrics,
    logger,
    results,
  });
  return { clock, queue, metrics, lines, running };
}

const WORDS: ResultLog = { keyField: 'thing', retry: 'failed', terminal: 'stopped', done: 'reconciled' };

async function histogram(metrics: Metrics) {
  const values = (await metrics.reconcileSeconds.get()).values.filter((v) => v.labels.controller === 'test');
  const value = (name: string) => values.find((v) => v.metricName === name)?.value;
  return {
    count: value('secretsync_reconcile_duration_seconds_count'),
    sum: value('secretsync_reconcile_duration_seconds_sum'),
  };
}

const depth = async (metrics: Metrics) =>
  (await metrics.queueDepth.get()).values.find((v) => v.labels.controller === 'test')?.value;

test('the duration of each reconcile is measured on the queue clock, under the controller label', async () => {
  const { queue, metrics, running } = setup(
    WORDS,
    (key, clock) => {
      clock.advance(key === 'slow' ? 3000 : 20);
      return done();
    },
    1, // one at a time: each reconcile's time is its own
  );
  queue.add('slow');
  queue.add('quick');
  await flush();
  expect(await histogram(metrics)).toEqual({ count: 2, sum: 3.02 });
  await queue.shutdown();
  await running;
});

test('queue depth is set every 2 s while the workers run, and its timer ends with them', async () => {
  let release!: () => void;
  const blocked = new Promise<Decision>((resolve) => (release = () => resolve(done())));
  const { clock, queue, metrics, running } = setup(WORDS, () => blocked);
  for (const k of ['a', 'b', 'c', 'd', 'e']) queue.add(k); // two workers take a and b; three wait
  await flush();
  clock.advance(QUEUE_DEPTH_PERIOD_MS - 1);
  expect(await depth(metrics)).toBeUndefined();
  clock.advance(1);
  expect(await depth(metrics)).toBe(3);
  queue.add('f');
  clock.advance(QUEUE_DEPTH_PERIOD_MS);
  expect(await depth(metrics)).toBe(4);
  expect(clock.pendingTimers()).toBe(1);
  const stopped = queue.shutdown();
  release();
  await stopped;
  await running;
  expect(clock.pendingTimers()).toBe(0);
});

test('each result is logged in the controller’s words, with the key under its field', async () => {
  const decisions: Record<string, Decision> = {
    ok: done(60_000),
    broken: retry(new Error('apiserver away')),
    invalid: terminal('spec.data[0] needs a key'),
  };
  const { queue, lines, running } = setup(WORDS, (key) => decisions[key]!);
  for (const k of Object.keys(decisions)) queue.add(k);
  await flush();
  expect(lines).toEqual([
    { level: 'debug', fields: { thing: 'ok', requeueAfterMs: 60_000 }, msg: 'reconciled' },
    { level: 'warn', fields: { thing: 'broken', err: 'apiserver away' }, msg: 'failed' },
    { level: 'warn', fields: { thing: 'invalid', reason: 'spec.data[0] needs a key' }, msg: 'stopped' },
  ]);
  await queue.shutdown();
  await running;
});

test('messages left out are not logged, and quiet retries are not warned about', async () => {
  const words: ResultLog = { keyField: 'workload', retry: 'failed', quietRetry: (err) => err === 'conflict' };
  const decisions: Record<string, Decision> = {
    ok: done(),
    invalid: terminal('rejected'),
    conflicted: retry('conflict'),
    broken: retry(new Error('timeout')),
  };
  const { queue, lines, running } = setup(words, (key) => decisions[key]!);
  for (const k of Object.keys(decisions)) queue.add(k);
  await flush();
  expect(lines).toEqual([{ level: 'warn', fields: { workload: 'broken', err: 'timeout' }, msg: 'failed' }]);
  await queue.shutdown();
  await running;
});

test('a reconcile that throws is a retry, logged and timed like any other', async () => {
  const { queue, lines, metrics, running } = setup(WORDS, () => {
    throw new Error('bug');
  });
  queue.add('x');
  await flush();
  expect(lines).toEqual([{ level: 'warn', fields: { thing: 'x', err: 'bug' }, msg: 'failed' }]);
  expect((await histogram(metrics)).count).toBe(1);
  expect(queue.delayedLen()).toBe(1); // requeued with backoff
  await queue.shutdown();
  await running;
});

test('a reconcile skipped for another replica’s namespace (--sharding) is neither measured nor logged', async () => {
  const { queue, metrics, lines, running } = setup(WORDS, (key) => (key === 'theirs' ? NOT_OURS : done()), 1);
  queue.add('theirs');
  queue.add('ours');
  await flush();
  expect(await histogram(metrics)).toEqual({ count: 1, sum: 0 });
  expect(lines.map((l) => l.fields.thing)).toEqual(['ours']);
  await queue.shutdown();
  await running;
});
