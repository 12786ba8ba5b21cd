// rollTiming: a restart rolls at once unless the workload rolled less than one window ago; then it
// waits for the window's end. Replayed over sequences of changes, that is "leading edge, then one
// coalesced rollout per window", and the last rollout time read back from the workload after a
// controller restart keeps it so.
import { parseRestartedAt, rollTiming, type RollTiming } from '../../../src/controllers/rollout/cooldown';

const T = Date.parse('2026-01-01T00:00:00Z');

test.each<[string, number | undefined, number, number, RollTiming]>([
  // name, last rollout (offset from T), now (offset), window → timing
  ['never rolled', undefined, 0, 6000, { roll: 'now' }],
  ['rolled long ago', -60_000, 0, 6000, { roll: 'now' }],
  ['window just over', -6000, 0, 6000, { roll: 'now' }],
  ['inside the window', -1000, 0, 6000, { roll: 'later', at: T + 5000 }],
  ['right after a rollout', 0, 0, 6000, { roll: 'later', at: T + 6000 }],
  ['window 0: every change at once', -1, 0, 0, { roll: 'now' }],
  // a stamp ahead of our clock (another replica's clock runs ahead): at most one window from now
  ['stamp in the future', 60_000, 0, 6000, { roll: 'later', at: T + 6000 }],
])('%s', (_name, last, now, windowMs, want) => {
  expect(
    rollTiming({ lastRolloutAt: last === undefined ? undefined : T + last, now: T + now, windowMs }),
  ).toEqual(want);
});

/**
 * The controller's loop in miniature: each change asks for a decision at once; a "later" answer is
 * asked again at its time (as the work queue's requeue does); a "now" answer rolls and stamps the
 * time. `restartAt`: the controller forgets everything in memory at that time (a restart or a
 * leader change) and decides again, with only the stamp on the workload to go by.
 */
function replay(changes: number[], windowMs: number, restartAt?: number): number[] {
  const rollouts: number[] = [];
  let pending = false;
  let requeue: number | undefined;
  const events = [...changes.map((t) => ({ t, kind: 'change' as const }))];
  if (restartAt !== undefined) events.push({ t: restartAt, kind: 'change' });
  events.sort((a, b) => a.t - b.t);
  const decideAt = (now: number) => {
    if (!pending) return;
    const timing = rollTiming({ lastRolloutAt: rollouts.at(-1), now, windowMs });
    if (timing.roll === 'now') {
      rollouts.push(now);
      pending = false;
      requeue = undefined;
    } else requeue = timing.at;
  };
  for (const e of events) {
    while (requeue !== undefined && requeue <= e.t) decideAt(requeue);
    if (e.t === restartAt) {
      requeue = undefined; // the in-memory requeue is lost; the start-up decision finds the change
      decideAt(e.t);
      continue;
    }
    pending = true;
    decideAt(e.t);
  }
  while (requeue !== undefined) decideAt(requeue);
  return rollouts;
}

test('a single rotation rolls at once', () => {
  expect(replay([100], 1000)).toEqual([100]);
});

test('three rotations inside a pause-period: one rollout at once, one at the end of the period', () => {
  expect(replay([0, 2000, 3000, 4000], 6000)).toEqual([0, 6000]);
});

test('a burst makes one rollout after the leading one, at the end of the window', () => {
  expect(replay([0, 10, 20, 30, 40], 1000)).toEqual([0, 1000]);
});

test('changes spaced wider than the window each roll at once', () => {
  expect(replay([0, 1500, 3000], 1000)).toEqual([0, 1500, 3000]);
});

test('two rollouts are never closer than the window', () => {
  const changes = Array.from({ length: 200 }, (_, i) => i * 137);
  const rollouts = replay(changes, 1000);
  for (let i = 1; i < rollouts.length; i++)
    expect((rollouts[i] as number) - (rollouts[i - 1] as number)).toBeGreaterThanOrEqual(1000);
  // and the last change is never left behind: a rollout at or after it
  expect(rollouts.at(-1)).toBeGreaterThanOrEqual(changes.at(-1) as number);
});

test('a controller restart inside the period makes no extra rollout and loses no change', () => {
  // rolled at 0; a change at 2 s waits for 6 s; the controller restarts at 3 s and decides again
  expect(replay([0, 2000], 6000, 3000)).toEqual([0, 6000]);
  // nothing pending at the restart: nothing rolls
  expect(replay([0], 6000, 3000)).toEqual([0]);
});

test("restartedAt: the stamp secretsync writes (toISOString) reads back exactly; others don't count", () => {
  expect(parseRestartedAt(new Date(T + 123).toISOString())).toBe(T + 123);
  expect(parseRestartedAt(undefined)).toBeUndefined();
  expect(parseRestartedAt('not a time')).toBeUndefined();
});
