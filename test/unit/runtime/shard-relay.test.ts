import type { Lease } from '../../../src/kube/lease';
import {
  emptyOutbox,
  expire,
  type Outbox,
  outboxOf,
  post,
  RELAY_MAX_ITEMS,
  RELAY_MAX_MESSAGES,
  SHARD_RELAY_ANNOTATION,
  takeNew,
} from '../../../src/runtime/shard-relay';

const lease = (name: string, box?: Outbox | string): Lease => ({
  metadata: {
    name,
    ...(box !== undefined && {
      annotations: { [SHARD_RELAY_ANNOTATION]: typeof box === 'string' ? box : JSON.stringify(box) },
    }),
  },
});

describe('post and expire', () => {
  it('numbers messages from 1, de-duplicates and caps items, keeps the newest messages', () => {
    let box = post(emptyOutbox('e'), 's1', ['a', 'a', 'b'], 1000);
    expect(box.messages).toEqual([{ seq: 1, at: 1000, topic: 's1', items: ['a', 'b'] }]);
    const many = Array.from({ length: RELAY_MAX_ITEMS + 5 }, (_, i) => `k${i}`);
    box = post(box, 's2', many, 1001);
    expect(box.messages[1]!.items).toHaveLength(RELAY_MAX_ITEMS);
    for (let i = 0; i < RELAY_MAX_MESSAGES; i++) box = post(box, 's3', ['x'], 2000 + i);
    expect(box.messages).toHaveLength(RELAY_MAX_MESSAGES);
    expect(box.messages.at(-1)!.seq).toBe(RELAY_MAX_MESSAGES + 2);
  });

  it('drops messages older than the keep time and keeps the sequence going', () => {
    let box = post(post(emptyOutbox('e'), 's', ['a'], 0), 's', ['b'], 5000);
    box = expire(box, 6000, 2000);
    expect(box.messages.map((m) => m.items)).toEqual([['b']]);
    expect(post(box, 's', ['c'], 7000).messages.at(-1)!.seq).toBe(3);
  });
});

describe('outboxOf', () => {
  it('reads a well-formed outbox and ignores a malformed one or malformed messages', () => {
    const box = post(emptyOutbox('e'), 's', ['a'], 1);
    expect(outboxOf(lease('l', box))).toEqual(box);
    expect(outboxOf(lease('l'))).toBeUndefined();
    expect(outboxOf(lease('l', '{not json'))).toBeUndefined();
    expect(outboxOf(lease('l', '{"messages":[]}'))).toBeUndefined();
    const mixed = JSON.stringify({
      epoch: 'e',
      last: 1,
      messages: [{ seq: 1, at: 1, topic: 's', items: [2] }, box.messages[0]],
    });
    expect(outboxOf(lease('l', mixed))!.messages).toEqual(box.messages);
  });
});

describe('takeNew', () => {
  const a1 = post(emptyOutbox('a@1'), 'store', ['x'], 1);
  const a2 = post(a1, 'store', ['y'], 2);

  it('takes nothing on the first round, then only what is new', () => {
    const first = takeNew(new Map(), [lease('a', a1)], 'me', true);
    expect(first.messages).toEqual([]);
    const second = takeNew(first.seen, [lease('a', a2)], 'me', false);
    expect(second.messages.map((m) => m.items)).toEqual([['y']]);
    expect(takeNew(second.seen, [lease('a', a2)], 'me', false).messages).toEqual([]);
  });

  it('never takes its own messages', () => {
    const first = takeNew(new Map(), [], 'me', true);
    expect(takeNew(first.seen, [lease('me', a2)], 'me', false).messages).toEqual([]);
  });

  it('takes all of a member that joined after it, or whose process restarted', () => {
    const seen = takeNew(new Map(), [lease('a', a2)], 'me', true).seen;
    const b = post(emptyOutbox('b@5'), 'store', ['z'], 5);
    expect(takeNew(seen, [lease('a', a2), lease('b', b)], 'me', false).messages.map((m) => m.items)).toEqual([
      ['z'],
    ]);
    const restarted = post(emptyOutbox('a@9'), 'store', ['w'], 9);
    expect(takeNew(seen, [lease('a', restarted)], 'me', false).messages.map((m) => m.items)).toEqual([['w']]);
  });

  it('keeps its place when the messages it took expired', () => {
    const seen = takeNew(new Map(), [lease('a', a2)], 'me', true).seen;
    const expired = expire(a2, 10_000, 100);
    const after = takeNew(seen, [lease('a', expired)], 'me', false);
    expect(after.messages).toEqual([]);
    const next = post(expired, 'store', ['v'], 10_001);
    expect(takeNew(after.seen, [lease('a', next)], 'me', false).messages.map((m) => m.items)).toEqual([
      ['v'],
    ]);
  });
});
