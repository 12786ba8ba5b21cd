// Each decision maps to exactly one queue action; this pins the mapping runWorkers relies on.

import { applyDecision, done, type RequeueTarget, retry, terminal } from '../../../src/runtime/decision';

function recorder() {
  const calls: string[] = [];
  const target: RequeueTarget<string> = {
    forget: (k) => calls.push(`forget ${k}`),
    addAfter: (k, ms) => calls.push(`addAfter ${k} ${ms}`),
    addRateLimited: (k) => calls.push(`addRateLimited ${k}`),
  };
  return { calls, target };
}

describe('decisions', () => {
  it('done() forgets the key and does not requeue', () => {
    const { calls, target } = recorder();
    applyDecision(target, 'k', done());
    expect(calls).toEqual(['forget k']);
  });

  it('done(ms) forgets the key and requeues it after ms', () => {
    const { calls, target } = recorder();
    applyDecision(target, 'k', done(60_000));
    expect(calls).toEqual(['forget k', 'addAfter k 60000']);
  });

  it('retry(error) requeues with backoff and keeps the failure count', () => {
    const { calls, target } = recorder();
    const error = new Error('throttled');
    const d = retry(error);
    expect(d.error).toBe(error);
    applyDecision(target, 'k', d);
    expect(calls).toEqual(['addRateLimited k']);
  });

  it('terminal(reason) forgets the key and does not requeue', () => {
    const { calls, target } = recorder();
    const d = terminal('spec.secretStoreRef names a store that does not exist');
    expect(d.reason).toMatch(/store/);
    applyDecision(target, 'k', d);
    expect(calls).toEqual(['forget k']);
  });

  it('done() rejects a negative or non-finite delay', () => {
    expect(() => done(-1)).toThrow(RangeError);
    expect(() => done(Number.NaN)).toThrow(RangeError);
    expect(() => done(Infinity)).toThrow(RangeError);
    expect(done(0)).toEqual({ kind: 'done', requeueAfterMs: 0 });
  });
});
