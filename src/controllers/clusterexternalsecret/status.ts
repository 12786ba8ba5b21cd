// The status a ClusterExternalSecret should show after a fan-out, built purely; lastTransitionTime
// moves only when Ready changes.
import type {
  ClusterExternalSecretNamespaceFailure,
  ClusterExternalSecretStatus,
  ClusterExternalSecretStatusCondition,
} from '../../api/generated';

export interface FanOutOutcome {
  externalSecretName: string;
  provisioned: string[];
  failed: ClusterExternalSecretNamespaceFailure[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function readyOf(o: FanOutOutcome): Omit<ClusterExternalSecretStatusCondition, 'lastTransitionTime'> {
  if (o.failed.length === 0)
    return {
      type: 'Ready',
      status: 'True',
      reason: 'Provisioned',
      message: `ExternalSecret ${o.externalSecretName} is in ${o.provisioned.length} namespace${o.provisioned.length === 1 ? '' : 's'}`,
    };
  const shown = o.failed.slice(0, 5).map((f) => f.namespace);
  const more = o.failed.length > shown.length ? ` and ${o.failed.length - shown.length} more` : '';
  return {
    type: 'Ready',
    status: 'False',
    reason: 'NamespacesFailed',
    message: `${o.failed.length} namespace${o.failed.length === 1 ? '' : 's'} failed (${shown.join(', ')}${more}); status.failedNamespaces says why`,
  };
}

export function fanOutStatus(
  current: ClusterExternalSecretStatus | undefined,
  outcome: FanOutOutcome,
  nowIso: string,
): ClusterExternalSecretStatus {
  const failed = [...outcome.failed].sort((a, b) => byName(a.namespace, b.namespace));
  const ready = readyOf({ ...outcome, failed });
  const prev = current?.conditions?.find((c) => c.type === 'Ready');
  const transitioned = !prev || prev.status !== ready.status || prev.reason !== ready.reason;
  return {
    externalSecretName: outcome.externalSecretName,
    provisionedNamespaces: [...outcome.provisioned].sort(byName),
    failedNamespaces: failed,
    conditions: [
      ...(current?.conditions ?? []).filter((c) => c.type !== 'Ready'),
      { ...ready, lastTransitionTime: transitioned ? nowIso : (prev.lastTransitionTime ?? nowIso) },
    ],
  };
}
