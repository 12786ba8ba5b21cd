// May this ExternalSecret use this store? Pure checks of ESO's rules: controller class, and a
// ClusterSecretStore's `conditions` (any condition matching the namespace allows; none = all).
import { RE2JS } from 're2js';
import type { ClusterSecretStoreCondition, LabelSelector, SecretStoreSpec } from '../../api/generated';

export type AccessResult = { ok: true } | { ok: false; message: string };

/** Stores with no `spec.controller` belong to every controller; others only to that class. */
export function storeHandledBy(spec: SecretStoreSpec, controllerClass: string | undefined): boolean {
  return !spec.controller || spec.controller === controllerClass;
}

export function matchesSelector(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function conditionMatches(
  c: ClusterSecretStoreCondition,
  ns: string,
  labels: Record<string, string>,
): boolean {
  if (c.namespaceSelector && matchesSelector(c.namespaceSelector, labels)) return true;
  if (c.namespaces?.includes(ns)) return true;
  return (c.namespaceRegexes ?? []).some((re) => {
    try {
      return RE2JS.compile(re).matcher(ns).find();
    } catch {
      return false;
    }
  });
}

export function clusterStoreAllows(
  storeName: string,
  spec: SecretStoreSpec,
  namespace: string,
  namespaceLabels: Record<string, string>,
): AccessResult {
  const conditions = spec.conditions ?? [];
  if (conditions.length === 0) return { ok: true };
  if (conditions.some((c) => conditionMatches(c, namespace, namespaceLabels))) return { ok: true };
  return {
    ok: false,
    message:
      `ClusterSecretStore ${storeName} does not allow namespace ${namespace}: ` +
      'add it to one of spec.conditions (namespaces, namespaceSelector or namespaceRegexes)',
  };
}
