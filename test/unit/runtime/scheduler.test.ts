// The refresh scheduler decides when 10k objects refresh: it must fire in due order, fire a
// rescheduled key once, keep one timer, and nextRefresh must never be late and must spread keys.

import fc from 'fast-check';
import { jitterUnit, nextRefresh, RefreshScheduler } from '../../../src/runtime/scheduler';
import { ManualClock } from '../../../src/runtime/clock';

function setup(start = 0) {
  const clock = new ManualClock(start);
  const scheduler = new RefreshScheduler<string>(clock);
  const fired: Array<[string, number]> = [];
  scheduler.onDue((key) => fired.push([key, clock.now()]));
  return { clock, scheduler, fired };
}

describe('RefreshScheduler', () => {
  it('fires keys in due order, at their due time', () => {
    const { clock, scheduler, fired } = setup();
    scheduler.schedule('c', 300);
    scheduler.schedule('a', 100);
    scheduler.schedule('d', 400);
    scheduler.schedule('b', 200);
    expect(scheduler.size()).toBe(4);
    clock.advance(250);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    clock.advance(1000);
    expect(fired.map(([k]) => k)).toEqual(['a', 'b', 'c', 'd']);
    expect(fired.map(([, t]) => t)).toEqual([100, 200, 300, 400]);
    expect(scheduler.size()).toBe(0);
  });

  it('fires equal due times in the order they were scheduled', () => {
    const { clock, scheduler, fired } = setup();
    for (const k of ['x', 'y', 'z', 'w']) scheduler.schedule(k, 50);
    clock.advance(50);
    expect(fired.map(([k]) => k)).toEqual(['x', 'y', 'z', 'w']);
  });

  it('fires a rescheduled key once, at its new time (later or earlier)', () => {
    const { clock, scheduler, fired } = setup();
    scheduler.schedule('later', 100);
    scheduler.schedule('later', 500);
    scheduler.schedule('earlier', 400);
    scheduler.schedule('earlier', 50);
    expect(scheduler.size()).toBe(2);
    expect(scheduler.dueAt('later')).toBe(500);
    clock.advance(1000);
    expect(fired).toEqual([
      ['earlier', 50],
      ['later', 500],
    ]);
  });

  it('does not fire cancelled keys', () => {
    const { clock, scheduler, fired } = setup();
    scheduler.schedule('a', 10);
    scheduler.schedule('b', 20);
    expect(scheduler.cancel('a')).toBe(true);
    expect(scheduler.cancel('missing')).toBe(false);
    clock.advance(100);
    expect(fired).toEqual([['b', 20]]);
  });

  it('keeps one timer for any number of keys, armed for the earliest', () => {
    const { clock, scheduler } = setup();
    for (let i = 0; i < 10_000; i++) scheduler.schedule(`k${i}`, 1000 + ((i * 7919) % 10_000));
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(1000);
    scheduler.cancel('k0');
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(scheduler.peekDueAt());
    scheduler.clear();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires keys already past due on the next tick', () => {
    const { clock, scheduler, fired } = setup(5000);
    scheduler.schedule('overdue', 1000);
    clock.advance(0);
    expect(fired).toEqual([['overdue', 5000]]);
  });

  it('lets a callback reschedule the key that fired', () => {
    const clock = new ManualClock();
    const scheduler = new RefreshScheduler(clock);
    const fired: number[] = [];
    scheduler.onDue((key, due) => {
      fired.push(due);
      if (fired.length < 3) scheduler.schedule(key, due + 100);
    });
    scheduler.schedule('k', 100);
    clock.advance(10_000);
    expect(fired).toEqual([100, 200, 300]);
    expect(scheduler.size()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops calling a callback after unsubscribe', () => {
    const { clock, scheduler, fired } = setup();
    const other: string[] = [];
    const off = scheduler.onDue((k) => other.push(k));
    scheduler.schedule('a', 1);
    clock.advance(1);
    off();
    scheduler.schedule('b', 2);
    clock.advance(1);
    expect(other).toEqual(['a']);
    expect(fired.map(([k]) => k)).toEqual(['a', 'b']);
  });

  it('fires each key once, in due order, for any mix of schedule and cancel', () => {
    const op = fc.oneof(
      fc.record({
        op: fc.constant('schedule' as const),
        key: fc.integer({ min: 0, max: 30 }),
        due: fc.nat(1000),
      }),
      fc.record({ op: fc.constant('cancel' as const), key: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const clock = new ManualClock();
        const scheduler = new RefreshScheduler<number>(clock);
        const fired: Array<[number, number]> = [];
        scheduler.onDue((k, due) => fired.push([k, due]));
        const expected = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'schedule') {
            scheduler.schedule(o.key, o.due);
            expected.set(o.key, o.due);
          } else {
            scheduler.cancel(o.key);
            expected.delete(o.key);
          }
        }
        expect(scheduler.size()).toBe(expected.size);
        clock.advance(2000);
        expect(fired.length).toBe(expected.size);
        expect(new Map(fired)).toEqual(expected);
        for (let i = 1; i < fired.length; i++) expect(fired[i]![1]).toBeGreaterThanOrEqual(fired[i - 1]![1]);
      }),
    );
  });
});

describe('nextRefresh', () => {
  const HOUR = 3_600_000;

  it('returns undefined for interval 0 (fetch once)', () => {
    expect(nextRefresh({ lastSuccessMs: 123, intervalMs: 0, key: 'ns/a' })).toBeUndefined();
  });

  it('is never later than lastSuccess + interval, nor earlier than the jitter window allows', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 10 * 24 * HOUR }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (key, last, interval, fraction) => {
          const due = nextRefresh({
            lastSuccessMs: last,
            intervalMs: interval,
            key,
            jitterFraction: fraction,
          })!;
          return due <= last + interval && due >= last + interval - fraction * interval;
        },
      ),
    );
  });

  it('is deterministic per key (a restart does not reshuffle) and differs between keys', () => {
    const a1 = nextRefresh({ lastSuccessMs: 0, intervalMs: HOUR, key: 'team-a/db' });
    const a2 = nextRefresh({ lastSuccessMs: 0, intervalMs: HOUR, key: 'team-a/db' });
    const b = nextRefresh({ lastSuccessMs: 0, intervalMs: HOUR, key: 'team-b/db' });
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
  });

  it('has no jitter with jitterFraction 0', () => {
    expect(nextRefresh({ lastSuccessMs: 1000, intervalMs: HOUR, key: 'k', jitterFraction: 0 })).toBe(
      1000 + HOUR,
    );
  });

  it('spreads 10k keys synced at the same instant over the jitter window', () => {
    const interval = HOUR;
    const windowMs = 0.1 * interval;
    const buckets = new Array<number>(100).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const due = nextRefresh({ lastSuccessMs: 0, intervalMs: interval, key: `ns-${i % 37}/es-${i}` })!;
      const pulledForward = interval - due; // in [0, windowMs]
      const bucket = Math.min(99, Math.floor((pulledForward / windowMs) * 100));
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    const nonEmpty = buckets.filter((n) => n > 0).length;
    expect(nonEmpty).toBeGreaterThanOrEqual(90);
    // Roughly uniform: no bucket holds more than twice its share (100).
    expect(Math.max(...buckets)).toBeLessThan(200);
    // And at most a handful in the same second: 10k keys over 360 s is ~28 per second.
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const s = Math.floor(nextRefresh({ lastSuccessMs: 0, intervalMs: interval, key: `es-${i}` })! / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThan(60);
  });

  it('jitterUnit is in [0, 1)', () => {
    fc.assert(fc.property(fc.string(), (k) => jitterUnit(k) >= 0 && jitterUnit(k) < 1));
  });

  it('rejects nonsense input', () => {
    expect(() => nextRefresh({ lastSuccessMs: 0, intervalMs: -1, key: 'k' })).toThrow(RangeError);
    expect(() => nextRefresh({ lastSuccessMs: 0, intervalMs: 1, key: 'k', jitterFraction: 2 })).toThrow(
      RangeError,
    );
    expect(() => nextRefresh({ lastSuccessMs: Number.NaN, intervalMs: 1, key: 'k' })).toThrow(RangeError);
  });
});
