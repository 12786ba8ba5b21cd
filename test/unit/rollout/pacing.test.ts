// Pacing on an injected clock: waves that never exceed the limit and roll every workload once,
// slots handed to waiting workloads in order as rollouts complete, stall or time out, the count
// rebuilt by a new leader from what its informers show, and a rollout window that opens.
import { ManualClock } from '../../../src/runtime/clock';
import { applyDecision, done } from '../../../src/runtime/decision';
import { WorkQueue } from '../../../src/runtime/workqueue';
import { Pacing, pacingMessage } from '../../../src/controllers/rollout/pacing';
import { parseRolloutWindow } from '../../../src/controllers/rollout/window';

const T0 = Date.parse('2026-12-05T01:30:00Z');
const TIMEOUT = 60_000;

function setup(limit: number, clock = new ManualClock(T0)) {
  const requeued: string[] = [];
  const abandoned: Array<[string, string]> = [];
  const counts: number[] = [];
  const pacing = new Pacing({
    limit,
    timeoutMs: TIMEOUT,
    clock,
    requeue: (wk) => requeued.push(wk),
    abandoned: (wk, why) => abandoned.push([wk, why]),
    count: (n) => counts.push(n),
  });
  return { pacing, clock, requeued, abandoned, counts };
}

const stamp = (clock: ManualClock) => new Date(clock.now()).toISOString();

test('200 restarts with a limit of 20: waves of at most 20, each workload rolls exactly once', () => {
  const { pacing, clock, requeued, counts } = setup(20);
  pacing.start();
  const wks = Array.from({ length: 200 }, (_, i) => `Deployment/a/d${i}`);
  const rolled = new Map<string, string>();
  const queue = [...wks];
  let waves = 0;
  while (rolled.size < wks.length && waves < 50) {
    waves++;
    // the workers decide on everything queued (as the controller does, in queue order)
    while (queue.length > 0) {
      const wk = queue.shift() as string;
      if (rolled.has(wk)) continue; // decides "none": its hash is recorded
      const restartedAt = stamp(clock);
      if (pacing.admit(wk, undefined, restartedAt).action === 'roll') rolled.set(wk, restartedAt);
      expect(pacing.inFlight.size).toBeLessThanOrEqual(20);
    }
    clock.advance(1000);
    // the informers see each rollout complete; every freed slot re-queues a waiting workload
    for (const [wk, restartedAt] of rolled) pacing.observe(wk, { restartedAt, progress: 'settled' });
    queue.push(...requeued.splice(0));
  }
  expect(rolled.size).toBe(200);
  expect(waves).toBe(10);
  expect(Math.max(...counts)).toBe(20);
  expect(pacing.line.size).toBe(0);
});

test('slots go to the workloads that waited longest; a new candidate queues behind them', () => {
  const { pacing, clock, requeued } = setup(2);
  pacing.start();
  for (const wk of ['a', 'b']) expect(pacing.admit(wk, undefined, stamp(clock)).action).toBe('roll');
  for (const wk of ['c', 'd', 'e']) expect(pacing.admit(wk, undefined, stamp(clock)).action).toBe('wait');
  pacing.observe('a', { restartedAt: stamp(clock), progress: 'settled' });
  expect(requeued).toEqual(['c']);
  // a workload changed meanwhile does not jump the line
  expect(pacing.admit('new', undefined, stamp(clock))).toMatchObject({ action: 'wait' });
  expect(pacing.admit('d', undefined, stamp(clock))).toMatchObject({ action: 'wait' });
  expect(pacing.admit('c', undefined, stamp(clock)).action).toBe('roll');
  expect(pacing.line.first(9)).toEqual(['d', 'e', 'new']);
});

test('a rollout that never completes stops counting after the timeout, with a report, and frees its slot', () => {
  const { pacing, clock, requeued, abandoned } = setup(1);
  pacing.start();
  const restartedAt = stamp(clock);
  expect(pacing.admit('stuck', undefined, restartedAt).action).toBe('roll');
  pacing.observe('stuck', { restartedAt, progress: 'rolling' });
  expect(pacing.admit('next', undefined, stamp(clock)).action).toBe('wait');
  clock.advance(TIMEOUT - 1);
  expect(abandoned).toEqual([]);
  expect(requeued).toEqual([]);
  clock.advance(1);
  expect(abandoned).toEqual([['stuck', 'timed-out']]);
  expect(requeued).toEqual(['next']);
  expect(pacing.admit('next', undefined, stamp(clock)).action).toBe('roll');
  expect(clock.pendingTimers()).toBe(1); // next's own timeout
});

test('a Deployment past its progressDeadlineSeconds frees its slot at once', () => {
  const { pacing, clock, requeued, abandoned } = setup(1);
  pacing.start();
  const restartedAt = stamp(clock);
  pacing.admit('slow', undefined, restartedAt);
  pacing.admit('next', undefined, stamp(clock));
  clock.advance(5000);
  pacing.observe('slow', { restartedAt, progress: 'stalled' });
  expect(abandoned).toEqual([['slow', 'stalled']]);
  expect(requeued).toEqual(['next']);
  expect(clock.pendingTimers()).toBe(0);
});

test('a restart whose patch failed frees its slot; the workload’s earlier rollout still counts', () => {
  const { pacing, clock, requeued } = setup(2);
  pacing.start();
  const first = stamp(clock);
  pacing.admit('x', undefined, first);
  pacing.observe('x', { restartedAt: first, progress: 'rolling' });
  const y = stamp(clock);
  pacing.admit('y', undefined, y);
  pacing.admit('w', undefined, stamp(clock));
  expect(pacing.inFlight.size).toBe(2);
  clock.advance(10);
  const second = stamp(clock);
  expect(pacing.admit('x', undefined, second).action).toBe('roll'); // rolling already: no second slot
  pacing.cancel('x', second, { restartedAt: first, progress: 'rolling' });
  expect(pacing.inFlight.has('x')).toBe(true);
  pacing.cancel('y', y, undefined);
  expect(pacing.inFlight.size).toBe(1);
  expect(requeued).toEqual(['w']);
});

test('a new leader counts the rollouts its predecessor started and does not exceed the limit', () => {
  const { pacing, clock, requeued, abandoned } = setup(3);
  // as a standby: the informers show three restarts of ours still rolling, one of them too old
  const started = T0 - 10_000;
  for (const wk of ['a', 'b', 'c'])
    pacing.observe(wk, { restartedAt: new Date(started).toISOString(), progress: 'rolling' });
  pacing.observe('old', { restartedAt: new Date(T0 - TIMEOUT).toISOString(), progress: 'rolling' });
  expect(pacing.inFlight.size).toBe(3);
  expect(clock.pendingTimers()).toBe(0); // a standby times nothing out and reports nothing
  pacing.start();
  expect(pacing.admit('d', undefined, stamp(clock)).action).toBe('wait');
  // they time out counted from their restart, not from the takeover
  clock.advance(TIMEOUT - 10_000);
  expect(abandoned.map(([wk]) => wk)).toEqual(['a', 'b', 'c']);
  expect(requeued).toEqual(['d']);
});

test('sharded replicas share one limit: each counts the rollouts the other started once its watch shows them', () => {
  const clock = new ManualClock(T0);
  const a = setup(2, clock);
  const b = setup(2, clock);
  a.pacing.start();
  b.pacing.start();
  const atA = stamp(clock);
  expect(a.pacing.admit('ns1/w1', undefined, atA).action).toBe('roll');
  // b's workload watch is cluster-wide: it sees a's restart rolling and counts it
  b.pacing.observe('ns1/w1', { restartedAt: atA, progress: 'rolling' });
  expect(b.pacing.admit('ns2/w2', undefined, stamp(clock)).action).toBe('roll');
  a.pacing.observe('ns2/w2', { restartedAt: stamp(clock), progress: 'rolling' });
  expect(a.pacing.admit('ns1/w3', undefined, stamp(clock)).action).toBe('wait');
  expect(b.pacing.admit('ns2/w4', undefined, stamp(clock)).action).toBe('wait');
  // w1 completes: both see it; each replica requeues its own waiting workload, and the first
  // admitted takes the slot. Admissions closer together than a watch event can each take it
  // (the cluster-wide overshoot is at most one restart per other replica).
  for (const p of [a, b]) p.pacing.observe('ns1/w1', { restartedAt: atA, progress: 'settled' });
  expect(a.requeued).toContain('ns1/w3');
  expect(b.requeued).toContain('ns2/w4');
  expect(a.pacing.admit('ns1/w3', undefined, stamp(clock)).action).toBe('roll');
  expect(b.pacing.admit('ns2/w4', undefined, stamp(clock)).action).toBe('roll');
});

test('unlimited: nothing is counted, nothing waits (unless a window says so)', () => {
  const { pacing, clock, counts } = setup(Infinity);
  pacing.start();
  for (let i = 0; i < 100; i++) expect(pacing.admit(`w${i}`, undefined, stamp(clock)).action).toBe('roll');
  pacing.observe('w1', { restartedAt: stamp(clock), progress: 'rolling' });
  expect(pacing.inFlight.size).toBe(0);
  expect(new Set(counts)).toEqual(new Set([0]));
  expect(clock.pendingTimers()).toBe(0);
});

test('outside its window a workload does not roll; when the window opens it does', () => {
  const clock = new ManualClock(T0); // 01:30 UTC
  const { pacing } = setup(Infinity, clock);
  pacing.start();
  const queue = new WorkQueue<string>({ clock });
  const window = parseRolloutWindow('* 2-4 * * *');
  const d = pacing.admit('w', window, stamp(clock));
  expect(d).toEqual({
    action: 'wait',
    reason: 'rollout-window',
    opensAt: Date.parse('2026-12-05T02:00:00Z'),
  });
  // what the controller returns for it: decide again when the window opens
  if (d.action === 'wait' && d.reason === 'rollout-window' && d.opensAt !== undefined)
    applyDecision(queue, 'w', done(d.opensAt - clock.now()));
  expect(pacingMessage(d as never, 0, window)).toBe(
    'restart waits for secretsync.io/rollout-window "* 2-4 * * *" (UTC): it opens at 2026-12-05T02:00:00.000Z',
  );
  clock.advance(30 * 60_000 - 1);
  expect(queue.len()).toBe(0);
  clock.advance(1);
  expect(queue.len()).toBe(1);
  expect(pacing.admit('w', window, stamp(clock)).action).toBe('roll');
  expect(pacing.line.size).toBe(0);
});

test('Event messages say what the restart waits for', () => {
  expect(
    pacingMessage({ action: 'wait', reason: 'max-concurrent-rollouts', inFlight: 20 }, 20, undefined),
  ).toBe(
    'restart waits: 20 rollouts in flight, --max-concurrent-rollouts is 20; it starts when a slot frees',
  );
  expect(pacingMessage({ action: 'wait', reason: 'rollout-window', invalid: 'x' }, 0, { invalid: 'x' })).toBe(
    'restart waits: secretsync.io/rollout-window cannot be read (x); fix it to roll',
  );
});
