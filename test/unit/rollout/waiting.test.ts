// waitingAfter: the reason a workload's rollout is held back after one reconcile, as a table.
import {
  waitingAfter,
  type ReconcileOutcome,
  type WaitReason,
} from '../../../src/controllers/rollout/waiting';

const plain = { paused: false, onDelete: false, podsBehind: false };
const paused = { ...plain, paused: true };
const onDelete = { ...plain, onDelete: true };
const onDeleteBehind = { ...onDelete, podsBehind: true };

test.each<[ReconcileOutcome, string, typeof plain, WaitReason | undefined, WaitReason | undefined]>([
  // outcome, workload, before → after
  ['missing', 'plain', plain, undefined, 'missing-object'],
  ['missing', 'paused', paused, 'paused', 'missing-object'],
  ['forbidden', 'plain', plain, undefined, 'forbidden'],
  ['forbidden', 'plain', plain, 'missing-object', 'forbidden'],
  ['held', 'plain', plain, undefined, 'image-pull'],
  ['held', 'paused', paused, 'paused', 'image-pull'],
  ['restarted', 'plain', plain, 'image-pull', undefined],
  ['settled', 'plain', plain, 'image-pull', undefined],
  ['restarted', 'paused', paused, undefined, 'paused'],
  // the cached OnDelete workload is from before the patch: its pods are behind the new template
  ['restarted', 'OnDelete', onDelete, undefined, 'on-delete'],
  ['restarted', 'plain', plain, 'forbidden', undefined],
  ['restarted', 'plain', plain, 'missing-object', undefined],
  // a restart due within the window waits for its end; the next restart clears it
  ['cooling', 'plain', plain, undefined, 'cooldown'],
  ['cooling', 'paused', paused, 'paused', 'cooldown'],
  ['restarted', 'plain', plain, 'cooldown', undefined],
  // a paused workload keeps waiting through reconciles that find nothing new, until resumed
  ['settled', 'paused', paused, 'paused', 'paused'],
  ['settled', 'resumed', plain, 'paused', undefined],
  // an OnDelete workload until its status says every pod runs the latest template
  ['settled', 'OnDelete, pods behind', onDeleteBehind, 'on-delete', 'on-delete'],
  ['settled', 'OnDelete, pods replaced', onDelete, 'on-delete', undefined],
  ['settled', 'switched to RollingUpdate', plain, 'on-delete', undefined],
  // nothing of ours waiting in its template (first sight, a record only)
  ['settled', 'paused', paused, undefined, undefined],
  ['settled', 'OnDelete, pods behind', onDeleteBehind, undefined, undefined],
  ['settled', 'plain', plain, 'forbidden', undefined],
  ['settled', 'plain', plain, 'missing-object', undefined],
  // pacing holds the restart; whatever rolls or settles next ends the wait
  ['max-concurrent-rollouts', 'plain', plain, undefined, 'max-concurrent-rollouts'],
  ['rollout-window', 'plain', plain, 'max-concurrent-rollouts', 'rollout-window'],
  ['restarted', 'plain', plain, 'max-concurrent-rollouts', undefined],
  ['settled', 'plain', plain, 'rollout-window', undefined],
])('%s, %s, before %s → %s', (outcome, _name, workload, before, after) =>
  expect(waitingAfter(outcome, workload, before)).toBe(after),
);
