// The queue's guarantees are what make N workers safe: dedup, one worker per key, backoff that
// grows and caps, delayed adds, and a shutdown that lets in-flight work finish.

import { done, retry, terminal, type Decision } from '../../../src/runtime/decision';
import { backoffDelay, WorkQueue } from '../../../src/runtime/workqueue';
import { runWorkers } from '../../../src/runtime/runner';
import { ManualClock } from '../../../src/runtime/clock';

/** Lets pending promise callbacks run (no time passes on any clock). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const clock = new ManualClock(0);
  const queue = new WorkQueue<string>({ clock });
  return { clock, queue };
}

/** Takes every ready key without waiting. */
async function takeAll(queue: WorkQueue<string>): Promise<string[]> {
  const out: string[] = [];
  while (queue.len() > 0) {
    const k = await queue.get();
    if (k !== undefined) out.push(k);
  }
  return out;
}

/** Time from now until the key becomes ready (searching 1 ms steps around the expectation). */
function readyAfter(clock: ManualClock, queue: WorkQueue<string>, expected: number): number | undefined {
  if (expected > 0) {
    clock.advance(expected - 1);
    if (queue.len() > 0) return undefined; // too early
    clock.advance(1);
  } else {
    clock.advance(0);
  }
  return queue.len() > 0 ? expected : undefined;
}

describe('WorkQueue basics', () => {
  it('hands out keys in FIFO order and deduplicates queued keys', async () => {
    const { queue } = setup();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.add('c');
    queue.add('b');
    expect(queue.len()).toBe(3);
    expect(await takeAll(queue)).toEqual(['a', 'b', 'c']);
  });

  it('get() waits for an add', async () => {
    const { queue } = setup();
    const pending = queue.get();
    let got: string | undefined;
    const observed = pending.then((k) => (got = k));
    await flush();
    expect(got).toBeUndefined();
    queue.add('x');
    await flush();
    expect(got).toBe('x');
    await observed;
    expect(queue.processingLen()).toBe(1);
  });

  it('never hands out a key that is being processed; re-queues it on done', async () => {
    const { queue } = setup();
    queue.add('k');
    const first = await queue.get();
    expect(first).toBe('k');
    queue.add('k'); // e.g. an informer event during reconcile
    queue.add('k');
    expect(queue.len()).toBe(0);
    let second: string | undefined;
    const observed = queue.get().then((k) => (second = k));
    await flush();
    expect(second).toBeUndefined(); // still processing
    queue.done('k');
    await flush();
    expect(second).toBe('k'); // once, not twice
    await observed;
    queue.done('k');
    expect(queue.len()).toBe(0);
    expect(queue.processingLen()).toBe(0);
  });

  it('done() of a key that was not added again does not re-queue it', async () => {
    const { queue } = setup();
    queue.add('k');
    await queue.get();
    queue.done('k');
    expect(queue.len()).toBe(0);
  });
});

describe('WorkQueue promote', () => {
  it('hands a promoted key out next, once, and keeps len() exact', async () => {
    const { queue } = setup();
    for (const k of ['a', 'b', 'c', 'd']) queue.add(k);
    expect(queue.promote('c')).toBe(true);
    expect(queue.promote('d')).toBe(true);
    expect(queue.len()).toBe(4);
    expect(await takeAll(queue)).toEqual(['c', 'd', 'a', 'b']);
  });

  it('refuses keys that are processing, delayed or unknown', async () => {
    const { queue } = setup();
    queue.add('busy');
    await queue.get();
    queue.add('busy'); // dirty while processing: not waiting
    queue.addAfter('later', 1000);
    expect(queue.isWaiting('busy')).toBe(false);
    expect(queue.promote('busy')).toBe(false);
    expect(queue.promote('later')).toBe(false);
    expect(queue.promote('nobody')).toBe(false);
    expect(queue.len()).toBe(0);
  });

  it('a key taken through its promotion and added again waits once, not twice', async () => {
    const { queue } = setup();
    queue.add('a');
    queue.add('b');
    queue.promote('b');
    expect(await queue.get()).toBe('b');
    queue.done('b');
    queue.add('b'); // queued again behind its stale entry
    expect(queue.len()).toBe(2);
    expect(await takeAll(queue)).toEqual(['a', 'b']);
    expect(queue.len()).toBe(0);
    queue.done('a');
    queue.done('b');
    expect(await takeAll(queue)).toEqual([]);
  });
});

describe('WorkQueue delays', () => {
  it('addAfter makes the key ready exactly after the delay', () => {
    const { clock, queue } = setup();
    queue.addAfter('k', 5000);
    expect(queue.len()).toBe(0);
    expect(queue.delayedLen()).toBe(1);
    expect(readyAfter(clock, queue, 5000)).toBe(5000);
    expect(queue.delayedLen()).toBe(0);
  });

  it('keeps the earliest of several pending delays for a key', () => {
    const { clock, queue } = setup();
    queue.addAfter('k', 5000);
    queue.addAfter('k', 9000);
    queue.addAfter('k', 2000);
    expect(queue.delayedLen()).toBe(1);
    expect(readyAfter(clock, queue, 2000)).toBe(2000);
  });

  it('addAfter(0) adds at once', () => {
    const { queue } = setup();
    queue.addAfter('k', 0);
    expect(queue.len()).toBe(1);
  });

  it('an immediate add supersedes a pending delayed add', async () => {
    const { clock, queue } = setup();
    queue.addAfter('k', 1000);
    queue.add('k');
    expect(queue.delayedLen()).toBe(0);
    expect(await takeAll(queue)).toEqual(['k']);
    queue.done('k');
    clock.advance(5000);
    expect(queue.len()).toBe(0);
  });

  it('uses one timer however many keys are delayed', () => {
    const { clock, queue } = setup();
    for (let i = 0; i < 1000; i++) queue.addAfter(`k${i}`, 1000 + i);
    expect(clock.pendingTimers()).toBe(1);
  });
});

describe('WorkQueue backoff', () => {
  it('backoffDelay grows 1 s, 2 s, 4 s, … and caps at 5 min', () => {
    const delays = Array.from({ length: 12 }, (_, n) => backoffDelay(n));
    expect(delays).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000,
    ]);
    expect(backoffDelay(10_000)).toBe(300_000);
  });

  it('addRateLimited waits 1, 2, 4, … s per key, caps, and forget() resets', async () => {
    const { clock, queue } = setup();
    const observed: number[] = [];
    for (let n = 0; n < 11; n++) {
      queue.addRateLimited('k');
      const expected = Math.min(1000 * 2 ** n, 300_000);
      observed.push(readyAfter(clock, queue, expected) ?? -1);
      await queue.get();
      queue.done('k');
    }
    expect(observed).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000]);
    expect(queue.numRequeues('k')).toBe(11);

    queue.forget('k');
    expect(queue.numRequeues('k')).toBe(0);
    queue.addRateLimited('k');
    expect(readyAfter(clock, queue, 1000)).toBe(1000);
  });

  it('keeps failure counts per key', () => {
    const { clock, queue } = setup();
    queue.addRateLimited('a');
    queue.addRateLimited('a'); // pending 1 s entry wins; the count still grows
    queue.addRateLimited('b');
    expect(queue.numRequeues('a')).toBe(2);
    expect(queue.numRequeues('b')).toBe(1);
    clock.advance(1000);
    expect(queue.len()).toBe(2);
  });

  it('honours custom backoff settings', () => {
    const clock = new ManualClock();
    const queue = new WorkQueue<string>({ clock, baseDelayMs: 10, factor: 3, maxDelayMs: 50 });
    queue.addRateLimited('k');
    queue.forget('k');
    expect(readyAfter(clock, queue, 10)).toBe(10);
    expect(backoffDelay(2, 10, 3, 50)).toBe(50);
  });
});

describe('WorkQueue shutdown', () => {
  it('resolves waiting get() calls with undefined and ignores later adds', async () => {
    const { queue } = setup();
    const waiting = [queue.get(), queue.get()];
    await queue.shutdown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    queue.add('k');
    queue.addAfter('k', 10);
    queue.addRateLimited('k');
    expect(queue.len()).toBe(0);
    expect(queue.delayedLen()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('drops queued and delayed keys and cancels timers', async () => {
    const { clock, queue } = setup();
    queue.add('a');
    queue.addAfter('b', 1000);
    await queue.shutdown();
    expect(queue.len()).toBe(0);
    expect(queue.delayedLen()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('drain() waits for keys in flight', async () => {
    const { queue } = setup();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    let drained = false;
    const observed = queue.shutdown().then(() => (drained = true));
    queue.add('a'); // ignored: shutting down
    await flush();
    expect(drained).toBe(false);
    queue.done('a');
    await flush();
    expect(drained).toBe(false);
    queue.done('b');
    await flush();
    expect(drained).toBe(true);
    await observed;
    expect(queue.len()).toBe(0);
  });
});

describe('runWorkers', () => {
  it('never runs one key on two workers at once, and processes every key', async () => {
    const { queue } = setup();
    const active = new Set<string>();
    let overlaps = 0;
    let maxConcurrent = 0;
    let calls = 0;
    let seed = 42;
    const rand = (n: number): number => {
      // mulberry32: a small deterministic PRNG, so a failure reproduces
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const handled = new Set<string>();
    const workers = runWorkers(queue, 4, async (key) => {
      calls++;
      if (active.has(key)) overlaps++;
      active.add(key);
      maxConcurrent = Math.max(maxConcurrent, active.size);
      for (let i = rand(5); i >= 0; i--) await flush(); // yield so other workers interleave
      active.delete(key);
      handled.add(key);
      return done();
    });

    const keys = Array.from({ length: 8 }, (_, i) => `ns/es-${i}`);
    for (let i = 0; i < 400; i++) {
      queue.add(keys[rand(keys.length)]!); // many adds of the same keys, mostly while processing
      if (rand(3) === 0) await flush();
    }
    while (queue.len() > 0 || queue.processingLen() > 0) await flush();

    expect(overlaps).toBe(0);
    expect(maxConcurrent).toBeGreaterThan(1); // the workers really did run concurrently
    expect(handled).toEqual(new Set(keys));
    expect(calls).toBeLessThan(400); // adds during processing were coalesced
    await queue.shutdown();
    await workers;
  });

  it('applies the handler decisions: done(ms), retry, terminal, and a thrown error', async () => {
    const { clock, queue } = setup();
    const results: Array<[string, Decision['kind']]> = [];
    const decide: Record<string, () => Decision> = {
      refresh: () => done(60_000),
      quiet: () => done(),
      flaky: () => retry(new Error('provider unavailable')),
      invalid: () => terminal('no such store'),
      crash: () => {
        throw new Error('bug');
      },
    };
    const runs = new Map<string, number>();
    const workers = runWorkers(
      queue,
      2,
      (key) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        return decide[key]!();
      },
      { onResult: (key, d) => results.push([key, d.kind]) },
    );
    for (const k of Object.keys(decide)) queue.add(k);
    await flush();
    expect(results).toEqual(
      expect.arrayContaining([
        ['refresh', 'done'],
        ['quiet', 'done'],
        ['flaky', 'retry'],
        ['invalid', 'terminal'],
        ['crash', 'retry'],
      ]),
    );
    expect(queue.numRequeues('flaky')).toBe(1);
    expect(queue.numRequeues('crash')).toBe(1);

    clock.advance(1000); // first backoff: flaky and crash run again
    await flush();
    expect(runs.get('flaky')).toBe(2);
    expect(runs.get('crash')).toBe(2);
    clock.advance(2000); // second backoff
    await flush();
    expect(runs.get('flaky')).toBe(3);

    clock.advance(60_000 - 3000); // refresh requeued after 60 s
    await flush();
    expect(runs.get('refresh')).toBe(2);
    expect(runs.get('quiet')).toBe(1);
    expect(runs.get('invalid')).toBe(1);

    await queue.shutdown();
    await workers;
  });

  it('done() after failures resets the backoff', async () => {
    const { clock, queue } = setup();
    let failuresLeft = 3;
    const runsAt: number[] = [];
    const workers = runWorkers(queue, 1, () => {
      runsAt.push(clock.now());
      if (failuresLeft-- > 0) return retry(new Error('throttled'));
      return done();
    });
    queue.add('k');
    for (let i = 0; i < 8; i++) {
      await flush();
      clock.advance(1000);
    }
    expect(runsAt).toEqual([0, 1000, 3000, 7000]);
    expect(queue.numRequeues('k')).toBe(0);
    await queue.shutdown();
    await workers;
  });

  it('shutdown lets the in-flight reconcile finish and then the workers return', async () => {
    const { queue } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const workers = runWorkers(queue, 3, async () => {
      await gate;
      finished = true;
      return done(1000);
    });
    let workersDone = false;
    const observed = workers.then(() => (workersDone = true));
    queue.add('k');
    queue.add('other');
    await flush();
    const drained = queue.shutdown();
    await flush();
    expect(workersDone).toBe(false);
    release();
    await drained;
    await observed;
    expect(finished).toBe(true);
    expect(workersDone).toBe(true);
    expect(queue.delayedLen()).toBe(0); // done(1000) after shutdown is ignored
  });

  it('rejects a worker count below 1', async () => {
    const { queue } = setup();
    await expect(runWorkers(queue, 0, () => done())).rejects.toThrow(RangeError);
  });
});
