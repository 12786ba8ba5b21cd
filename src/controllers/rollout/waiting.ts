// Whether a workload's rollout is held back, for the secretsync_rollout_waiting gauge: decided
// after each reconcile from what it did and what the workload says, keeping what is still true.
import type { HoldReason } from './gate';

/**
 * Why a rollout is held back: a required object is missing, RBAC forbids the patch, the workload is
 * paused with a restart secretsync made waiting in its pod template, it uses updateStrategy
 * OnDelete and pods from before that restart have not been deleted yet, a restart is held
 * because pods of the workload cannot pull their image (hold.ts), it was rolled less than one
 * window (pause-period) ago and the next rollout waits for the window's end; or pacing holds the
 * restart (gate.ts): --max-concurrent-rollouts are in flight, or its rollout window is closed.
 */
export type WaitReason =
  'missing-object' | 'forbidden' | 'paused' | 'on-delete' | 'image-pull' | 'cooldown' | HoldReason;

/**
 * What one reconcile of a workload ended with:
 * - `missing`: the decision was to wait for a required Secret or ConfigMap;
 * - `forbidden`: the patch was refused (RBAC);
 * - `held`: a restart was decided and held (pods cannot pull their image);
 * - `restarted`: the pod template was patched to restart its pods;
 * - `cooling`: a restart is due but waits for the end of the workload's window;
 * - `settled`: nothing to roll (no change, or a record only), or the patch was rejected for good;
 * - a HoldReason: the restart waits for a slot or for the rollout window.
 */
export type ReconcileOutcome =
  'missing' | 'forbidden' | 'held' | 'restarted' | 'cooling' | 'settled' | HoldReason;

/**
 * The reason the workload waits after this reconcile, or undefined. After a restart, a paused
 * Deployment keeps waiting through later reconciles that find nothing new until it is resumed (a
 * change to spec.paused reconciles it again); an OnDelete workload until its status says every pod
 * runs the latest template (that change of podsBehind reconciles it again).
 */
export function waitingAfter(
  outcome: ReconcileOutcome,
  workload: { paused: boolean; onDelete: boolean; podsBehind: boolean },
  before: WaitReason | undefined,
): WaitReason | undefined {
  switch (outcome) {
    case 'missing':
      return 'missing-object';
    case 'forbidden':
      return 'forbidden';
    case 'held':
      return 'image-pull';
    case 'cooling':
      return 'cooldown';
    case 'max-concurrent-rollouts':
    case 'rollout-window':
      return outcome;
    case 'restarted':
      // The workload as cached before the patch: its pods are behind the template just written.
      return workload.paused ? 'paused' : workload.onDelete ? 'on-delete' : undefined;
    case 'settled':
      if (before === 'paused' && workload.paused) return 'paused';
      if (before === 'on-delete' && workload.onDelete && workload.podsBehind) return 'on-delete';
      return undefined;
  }
}
