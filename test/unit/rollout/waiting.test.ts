// waitingAfter: the reason a workload's rollout is held back after one reconcile, as a table.
import {
  waitingAfter,
  type ReconcileOutcome,
  type WaitReason,
} from '../../../src/controllers/rollout/waiting';

test.each<[ReconcileOutcome, boolean, WaitReason | undefined, WaitReason | undefined]>([
  // outcome, paused, before → after
  ['missing', false, undefined, 'missing-object'],
  ['missing', true, 'paused', 'missing-object'],
  ['forbidden', false, undefined, 'forbidden'],
  ['forbidden', false, 'missing-object', 'forbidden'],
  ['restarted', true, undefined, 'paused'],
  ['restarted', false, 'forbidden', undefined],
  ['restarted', false, 'missing-object', undefined],
  // a paused workload keeps waiting through reconciles that find nothing new, until resumed
  ['settled', true, 'paused', 'paused'],
  ['settled', false, 'paused', undefined],
  // paused but nothing of ours waiting in its template (first sight, a record only)
  ['settled', true, undefined, undefined],
  ['settled', false, 'forbidden', undefined],
  ['settled', false, 'missing-object', undefined],
])('%s, paused %s, before %s → %s', (outcome, paused, before, after) =>
  expect(waitingAfter(outcome, { paused }, before)).toBe(after),
);
