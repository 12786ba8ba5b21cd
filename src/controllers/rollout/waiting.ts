// Whether a workload's rollout is held back, for the secretsync_rollout_waiting gauge: decided
// after each reconcile from what it did and what the workload says, keeping what is still true.

/** Why a rollout is held back: a required object is missing, RBAC forbids the patch, or the
 * workload is paused with a restart secretsync made waiting in its pod template. */
export type WaitReason = 'missing-object' | 'forbidden' | 'paused';

/**
 * What one reconcile of a workload ended with:
 * - `missing`: the decision was to wait for a required Secret or ConfigMap;
 * - `forbidden`: the patch was refused (RBAC);
 * - `restarted`: the pod template was patched to restart its pods;
 * - `settled`: nothing to roll (no change, or a record only), or the patch was rejected for good.
 */
export type ReconcileOutcome = 'missing' | 'forbidden' | 'restarted' | 'settled';

/**
 * The reason the workload waits after this reconcile, or undefined. A paused Deployment keeps
 * waiting after the restart, through later reconciles that find nothing new, until it is resumed
 * (a change to spec.paused reconciles it again).
 */
export function waitingAfter(
  outcome: ReconcileOutcome,
  workload: { paused: boolean },
  before: WaitReason | undefined,
): WaitReason | undefined {
  switch (outcome) {
    case 'missing':
      return 'missing-object';
    case 'forbidden':
      return 'forbidden';
    case 'restarted':
      return workload.paused ? 'paused' : undefined;
    case 'settled':
      return before === 'paused' && workload.paused ? 'paused' : undefined;
  }
}
