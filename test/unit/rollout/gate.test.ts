// The pacing gate and its bookkeeping, pure: which restart may start now, which rollouts count
// against --max-concurrent-rollouts (rebuilt from what the informers show after a restart), and
// the order in which waiting workloads get the slots that free.
import { gate, InFlight, WaitingLine, type GateInput } from '../../../src/controllers/rollout/gate';
import { parseRolloutWindow } from '../../../src/controllers/rollout/window';

const T = Date.parse('2026-12-05T10:30:00Z');
const set = (...wks: string[]) => new Set(wks);

function input(over: Partial<GateInput> = {}): GateInput {
  return { workload: 'D/a/x', now: T, inFlight: set(), limit: Infinity, ahead: 0, ...over };
}

describe('gate', () => {
  test('unlimited and no window: rolls (today’s behaviour)', () => {
    const many = set(...Array.from({ length: 1000 }, (_, i) => `D/a/${i}`));
    expect(gate(input({ inFlight: many, ahead: 500 }))).toEqual({ action: 'roll' });
  });

  test.each([
    // in flight, ahead, limit → action
    [0, 0, 1, 'roll'],
    [19, 0, 20, 'roll'],
    [20, 0, 20, 'wait'],
    [25, 0, 20, 'wait'], // more than the limit (e.g. lowered across a restart): nothing new starts
    [18, 1, 20, 'roll'],
    [18, 2, 20, 'wait'], // the two waiting longer take the two free slots
  ])('%i in flight, %i ahead, limit %i → %s', (n, ahead, limit, action) => {
    const inFlight = set(...Array.from({ length: n }, (_, i) => `D/a/${i}`));
    const d = gate(input({ inFlight, ahead, limit }));
    expect(d.action).toBe(action);
    if (d.action === 'wait')
      expect(d).toEqual({ action: 'wait', reason: 'max-concurrent-rollouts', inFlight: n });
  });

  test('a workload already rolling takes no second slot: it may roll again', () => {
    const inFlight = set('D/a/x', 'D/a/y');
    expect(gate(input({ inFlight, limit: 2, ahead: 3 }))).toEqual({ action: 'roll' });
  });

  test('a closed window holds the restart even with free slots, and says when it opens', () => {
    const window = parseRolloutWindow('* 2-4 * * *');
    expect(gate(input({ window, limit: 20 }))).toEqual({
      action: 'wait',
      reason: 'rollout-window',
      opensAt: Date.parse('2026-12-06T02:00:00Z'),
    });
    expect(gate(input({ window, now: Date.parse('2026-12-06T03:59:59Z') }))).toEqual({ action: 'roll' });
  });

  test('an open window still needs a slot', () => {
    const window = parseRolloutWindow('* * * * *');
    expect(gate(input({ window, inFlight: set('D/a/y'), limit: 1 }))).toMatchObject({
      reason: 'max-concurrent-rollouts',
    });
  });

  test('an unreadable window holds the restart and says why', () => {
    expect(gate(input({ window: { invalid: 'bad' } }))).toEqual({
      action: 'wait',
      reason: 'rollout-window',
      invalid: 'bad',
    });
  });
});

describe('InFlight', () => {
  const TIMEOUT = 600_000;
  const at = (ms: number) => new Date(ms).toISOString();

  test('our restart counts from the moment it is sent until the status says its pods are available', () => {
    const f = new InFlight(TIMEOUT);
    f.start('D/a/x', at(T), T);
    expect(f.has('D/a/x')).toBe(true);
    // the informer still shows the workload from before the patch (done, older restartedAt)
    expect(f.observe('D/a/x', { restartedAt: at(T - 5000), progress: 'settled' }, T + 10)).toBeUndefined();
    expect(f.observe('D/a/x', { progress: 'settled' }, T + 10)).toBeUndefined();
    expect(f.size).toBe(1);
    // the patch seen, not yet observed by the workload's controller
    expect(f.observe('D/a/x', { restartedAt: at(T), progress: 'rolling' }, T + 20)).toBeUndefined();
    expect(f.size).toBe(1);
    expect(f.observe('D/a/x', { restartedAt: at(T), progress: 'settled' }, T + 900)).toBe('completed');
    expect(f.size).toBe(0);
  });

  test('rebuilt from the informers after a restart: rolling restarts of ours younger than the timeout count', () => {
    const f = new InFlight(TIMEOUT);
    const now = T + 60_000;
    f.observe('D/a/rolling', { restartedAt: at(T), progress: 'rolling' }, now);
    f.observe('D/a/done', { restartedAt: at(T), progress: 'settled' }, now);
    f.observe('D/a/stalled', { restartedAt: at(T), progress: 'stalled' }, now);
    f.observe('D/a/old', { restartedAt: at(now - TIMEOUT), progress: 'rolling' }, now);
    f.observe('D/a/not-ours', { progress: 'rolling' }, now); // someone else's rollout
    f.observe('D/a/garbled', { restartedAt: 'yesterday', progress: 'rolling' }, now);
    expect(f.size).toBe(1);
    expect(f.has('D/a/rolling')).toBe(true);
    // it counts from when it was restarted, not from when this process saw it
    expect(f.nextExpiry()).toBe(T + TIMEOUT);
  });

  test('stalled, timed out, deleted: each says why it stopped counting', () => {
    const f = new InFlight(TIMEOUT);
    for (const wk of ['D/a/s', 'D/a/t', 'D/a/g'])
      f.observe(wk, { restartedAt: at(T), progress: 'rolling' }, T);
    expect(f.observe('D/a/s', { restartedAt: at(T), progress: 'stalled' }, T + 1)).toBe('stalled');
    expect(f.observe('D/a/g', undefined, T + 1)).toBe('gone');
    expect(f.expire(T + TIMEOUT - 1)).toEqual([]);
    expect(f.expire(T + TIMEOUT)).toEqual(['D/a/t']);
    expect(f.size).toBe(0);
    expect(f.nextExpiry()).toBeUndefined();
    // a later status update of a timed-out rollout does not bring it back
    expect(f.observe('D/a/t', { restartedAt: at(T), progress: 'rolling' }, T + TIMEOUT + 5)).toBeUndefined();
    expect(f.size).toBe(0);
  });

  test('a rollout that stopped counting never counts again, even if its status goes back to rolling', () => {
    const f = new InFlight(TIMEOUT);
    f.observe('D/a/s', { restartedAt: at(T), progress: 'rolling' }, T);
    f.observe('D/a/c', { restartedAt: at(T), progress: 'rolling' }, T);
    expect(f.observe('D/a/s', { restartedAt: at(T), progress: 'stalled' }, T + 1)).toBe('stalled');
    expect(f.observe('D/a/c', { restartedAt: at(T), progress: 'settled' }, T + 1)).toBe('completed');
    f.observe('D/a/s', { restartedAt: at(T), progress: 'rolling' }, T + 2);
    f.observe('D/a/c', { restartedAt: at(T), progress: 'rolling' }, T + 2);
    expect(f.size).toBe(0);
    // the next restart counts again
    f.start('D/a/s', at(T + 3), T + 3);
    f.observe('D/a/s', { restartedAt: at(T + 3), progress: 'rolling' }, T + 4);
    expect(f.has('D/a/s')).toBe(true);
  });

  test('a restart that was not made stops counting; only the one it stamped', () => {
    const f = new InFlight(TIMEOUT);
    f.start('D/a/x', at(T), T);
    expect(f.cancel('D/a/x', at(T - 1))).toBe(false);
    expect(f.cancel('D/a/x', at(T))).toBe(true);
    expect(f.size).toBe(0);
  });
});

describe('WaitingLine', () => {
  test('first come, first served; a window wait holds no place among those waiting for a slot', () => {
    const l = new WaitingLine();
    l.join('a', 'max-concurrent-rollouts');
    l.join('w', 'rollout-window');
    l.join('b', 'max-concurrent-rollouts');
    l.join('c', 'max-concurrent-rollouts');
    expect(l.first(2)).toEqual(['a', 'b']);
    expect(l.ahead('a')).toBe(0);
    expect(l.ahead('c')).toBe(2);
    expect(l.ahead('new')).toBe(3);
    // waiting again (or for another reason) keeps the place
    l.join('a', 'max-concurrent-rollouts');
    expect(l.first(1)).toEqual(['a']);
    expect(l.leave('a')).toBe(true);
    expect(l.leave('a')).toBe(false);
    expect(l.first(5)).toEqual(['b', 'c']);
    expect(l.reason('w')).toBe('rollout-window');
  });
});
