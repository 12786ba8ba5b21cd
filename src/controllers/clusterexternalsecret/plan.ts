// What to create, update and delete so that every selected namespace holds the ClusterExternalSecret's
// ExternalSecret and no other namespace keeps one it owns. An ExternalSecret of the same name that
// it does not own is a clash: that namespace fails, and the object is never touched.
import type { ClusterExternalSecret, ExternalSecret } from '../../api/generated';
import { desiredExternalSecret, differs, externalSecretName, isOwnedBy, updated } from './desired';

export type FanOutAction =
  | { kind: 'create'; namespace: string; object: ExternalSecret }
  | { kind: 'update'; namespace: string; object: ExternalSecret }
  | { kind: 'delete'; namespace: string; name: string; uid: string };

export interface FanOutPlan {
  actions: FanOutAction[];
  /** Selected namespaces whose ExternalSecret is already as specified. */
  unchanged: string[];
  /** Selected namespaces where an ExternalSecret of that name exists and is not ours. */
  clashes: { namespace: string; reason: string }[];
}

export interface FanOutState {
  /** Selected namespaces, sorted. */
  targets: readonly string[];
  /** The ExternalSecret of this name in a namespace, if any (from the cache). */
  existing: (namespace: string, name: string) => ExternalSecret | undefined;
  /** Every ExternalSecret this ClusterExternalSecret controls, whatever its name and namespace. */
  owned: readonly ExternalSecret[];
}

export function clashReason(ces: ClusterExternalSecret, name: string): string {
  return `an ExternalSecret named ${name} already exists in this namespace and is not owned by ClusterExternalSecret ${ces.metadata?.name}; rename or delete it, or set externalSecretName`;
}

export function planFanOut(ces: ClusterExternalSecret, state: FanOutState): FanOutPlan {
  const name = externalSecretName(ces);
  const plan: FanOutPlan = { actions: [], unchanged: [], clashes: [] };
  const targets = new Set(state.targets);
  for (const es of state.owned) {
    const ns = es.metadata?.namespace ?? '';
    if (!targets.has(ns) || es.metadata?.name !== name)
      plan.actions.push({
        kind: 'delete',
        namespace: ns,
        name: es.metadata?.name ?? '',
        uid: es.metadata?.uid ?? '',
      });
  }
  for (const ns of state.targets) {
    const desired = desiredExternalSecret(ces, ns);
    const current = state.existing(ns, name);
    if (!current) plan.actions.push({ kind: 'create', namespace: ns, object: desired });
    else if (!isOwnedBy(current.metadata, ces))
      plan.clashes.push({ namespace: ns, reason: clashReason(ces, name) });
    else if (differs(current, desired))
      plan.actions.push({ kind: 'update', namespace: ns, object: updated(current, desired) });
    else plan.unchanged.push(ns);
  }
  return plan;
}
