// Whether a restart would only replace pods that cannot start for a reason no Secret or ConfigMap
// change can fix: their image cannot be pulled. A restart makes new pods from the same template,
// so the same image: they cannot start either, and each rotation would add a ReplicaSet (or a
// round of replaced pods) to a workload that is already broken. So the restart waits, and happens
// once no pod of the workload waits on its image any more (the image was fixed, pushed or became
// reachable). Every other failure rolls as Reloader rolls: a crash loop, a failing probe or an
// OOM kill may be caused by the very value that changed, and the restart with the new value is
// what fixes it; a pod that cannot read its Secret (CreateContainerConfigError) starts by itself
// once the key exists. The rollout side never tracks imagePullSecrets, so a changed Secret never
// is the cause of a pull failure here.
import type { V1Pod } from '@kubernetes/client-node';

/** kubelet's waiting reasons for a container whose image it cannot get. */
export const IMAGE_PULL_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

/** What the hold decision reads of a pod: its name and its containers' waiting reasons. */
export interface PodView {
  name: string;
  waiting: string[];
}

export function podView(p: V1Pod): PodView {
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  return {
    name: p.metadata?.name ?? '',
    waiting: statuses.map((s) => s.state?.waiting?.reason).filter((r): r is string => r !== undefined),
  };
}

export interface Hold {
  /** The pods waiting on their image, sorted, at most 5 (for the Event). */
  pods: string[];
  /** Their reasons, sorted and distinct. */
  reasons: string[];
}

/** Hold the restart while any pod of the workload waits on its image; undefined: restart. */
export function holdRestart(pods: readonly PodView[]): Hold | undefined {
  const stuck = pods.filter((p) => p.waiting.some((r) => IMAGE_PULL_REASONS.has(r)));
  if (stuck.length === 0) return undefined;
  return {
    pods: stuck
      .map((p) => p.name)
      .sort()
      .slice(0, 5),
    reasons: [...new Set(stuck.flatMap((p) => p.waiting.filter((r) => IMAGE_PULL_REASONS.has(r))))].sort(),
  };
}

export function holdMessage(kind: string, h: Hold): string {
  return (
    `rollout held: pod${h.pods.length > 1 ? 's' : ''} ${h.pods.join(', ')} cannot pull ${h.pods.length > 1 ? 'their' : 'its'} image ` +
    `(${h.reasons.join(', ')}); a restart would make pods from the same image. The ${kind} is ` +
    'restarted once no pod waits on its image'
  );
}
