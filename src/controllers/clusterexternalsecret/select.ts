// Which namespaces a ClusterExternalSecret fans out to, as ESO decides it: a namespace named in
// `namespaces`, or matching `namespaceSelector` or any of `namespaceSelectors`. A namespace that is
// being deleted is left out (nothing can be created in it; its ExternalSecret goes with it).
import type { ClusterExternalSecretSpec, NamespaceLabelSelector } from '../../api/generated';
import { matchesSelector } from '../secretstore/store-access';

export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
  terminating: boolean;
}

function selectors(spec: ClusterExternalSecretSpec): NamespaceLabelSelector[] {
  return [...(spec.namespaceSelector ? [spec.namespaceSelector] : []), ...(spec.namespaceSelectors ?? [])];
}

export function selectsNamespace(spec: ClusterExternalSecretSpec, ns: NamespaceView): boolean {
  if (ns.terminating) return false;
  if (spec.namespaces?.includes(ns.name)) return true;
  return selectors(spec).some((s) => matchesSelector(s, ns.labels));
}

/** The selected namespaces' names, sorted. */
export function targetNamespaces(
  spec: ClusterExternalSecretSpec,
  namespaces: Iterable<NamespaceView>,
): string[] {
  const out: string[] = [];
  for (const ns of namespaces) if (selectsNamespace(spec, ns)) out.push(ns.name);
  return out.sort();
}
