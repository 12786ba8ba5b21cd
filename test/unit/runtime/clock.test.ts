// ManualClock is what every runtime test stands on, so its ordering rules are pinned here; the
// system clock's only logic (chaining delays beyond Node's 2^31-1 ms limit) is checked with
// jest's fake timers.

import { MAX_NODE_TIMEOUT_MS, ManualClock, systemClock } from '../../../src/runtime/clock';

describe('ManualClock', () => {
  it('fires due timers in due order, ties in creation order, with now() at each due time', () => {
    const clock = new ManualClock(1000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['b1', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['b2', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 31);
    clock.advance(30);
    expect(fired).toEqual([
      ['a', 1010],
      ['b1', 1020],
      ['b2', 1020],
      ['c', 1030],
    ]);
    expect(clock.now()).toBe(1030);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(1031);
  });

  it('fires timers set by a timer when they fall within the same advance', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
      clock.setTimeout(() => fired.push(clock.now()), 50);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([10, 15]);
    clock.advance(100);
    expect(fired).toEqual([10, 15, 60]);
    expect(clock.now()).toBe(120);
  });

  it('does not fire cleared timers; zero and negative delays fire on the next advance', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const h = clock.setTimeout(() => fired.push('cleared'), 5);
    clock.setTimeout(() => fired.push('zero'), 0);
    clock.setTimeout(() => fired.push('negative'), -5);
    clock.clearTimeout(h);
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired).toEqual(['zero', 'negative']);
    clock.advance(10);
    expect(fired).toEqual(['zero', 'negative']);
  });

  it('refuses to go back in time', () => {
    const clock = new ManualClock(100);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advanceTo(99)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('fires after the requested delay', () => {
    const fn = jest.fn();
    systemClock.setTimeout(fn, 1000);
    jest.advanceTimersByTime(999);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('chains delays longer than Node allows instead of firing at once (30 days)', () => {
    const fn = jest.fn();
    const thirtyDays = 30 * 24 * 3600 * 1000;
    expect(thirtyDays).toBeGreaterThan(MAX_NODE_TIMEOUT_MS);
    systemClock.setTimeout(fn, thirtyDays);
    jest.advanceTimersByTime(MAX_NODE_TIMEOUT_MS + 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(thirtyDays - MAX_NODE_TIMEOUT_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('clearTimeout cancels a chained timer at any stage', () => {
    const fn = jest.fn();
    const h = systemClock.setTimeout(fn, 2 * MAX_NODE_TIMEOUT_MS + 10);
    jest.advanceTimersByTime(MAX_NODE_TIMEOUT_MS + 5);
    systemClock.clearTimeout(h);
    jest.advanceTimersByTime(3 * MAX_NODE_TIMEOUT_MS);
    expect(fn).not.toHaveBeenCalled();
  });
});
