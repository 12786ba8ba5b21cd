// Every kind secretsync reads or writes, with where the apiserver serves it: one table of plurals
// and one path builder, so no caller spells out /api/v1/... or /apis/<group>/<version>/... by hand.
import { API_GROUP, API_VERSION, PLURAL } from '../api/constants';

export interface Resource {
  /** '' for the core group (served under /api). */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

const core = (plural: string, namespaced = true): Resource => ({
  group: '',
  version: 'v1',
  plural,
  namespaced,
});
const apps = (plural: string): Resource => ({ group: 'apps', version: 'v1', plural, namespaced: true });
const rbac = (plural: string, namespaced: boolean): Resource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  namespaced,
});
const ours = (plural: string, namespaced: boolean): Resource => ({
  group: API_GROUP,
  version: API_VERSION,
  plural,
  namespaced,
});

export const RESOURCES = {
  Namespace: core('namespaces', false),
  Secret: core('secrets'),
  ConfigMap: core('configmaps'),
  ServiceAccount: core('serviceaccounts'),
  Event: core('events'),
  Deployment: apps('deployments'),
  StatefulSet: apps('statefulsets'),
  DaemonSet: apps('daemonsets'),
  Job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  // Argo Rollouts: a CRD that may not be installed (controllers/rollout/kinds.ts: optional).
  Rollout: { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', namespaced: true },
  Pod: core('pods'),
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  CustomResourceDefinition: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  ClusterRole: rbac('clusterroles', false),
  ClusterRoleBinding: rbac('clusterrolebindings', false),
  Role: rbac('roles', true),
  RoleBinding: rbac('rolebindings', true),
  // Our own kinds: the plurals the CRDs declare (test/unit/api/crds.test.ts checks them).
  ExternalSecret: ours(PLURAL.ExternalSecret, true),
  SecretStore: ours(PLURAL.SecretStore, true),
  ClusterSecretStore: ours(PLURAL.ClusterSecretStore, false),
  ClusterExternalSecret: ours(PLURAL.ClusterExternalSecret, false),
} as const satisfies Record<string, Resource>;

export type ResourceKind = keyof typeof RESOURCES;

export function isResourceKind(kind: string): kind is ResourceKind {
  return Object.hasOwn(RESOURCES, kind);
}

/** `apps/v1` (or `v1` for the core group): the apiVersion of objects of the kind. */
export function apiVersionOf(kind: ResourceKind): string {
  const { group, version } = RESOURCES[kind];
  return group ? `${group}/${version}` : version;
}

export interface PathParts {
  /** Namespaced kinds: omitted means across all namespaces. Ignored for cluster-scoped kinds. */
  namespace?: string;
  name?: string;
  /** e.g. status, token. */
  subresource?: string;
  /** Overrides the table's group/version (e.g. an object's own apiVersion, v1beta1). */
  apiVersion?: string;
}

/**
 * REST path of a collection (no name) or of one object: /api/v1/namespaces/ns/secrets/name,
 * /apis/apps/v1/deployments, /apis/<group>/<version>/clustersecretstores/name/status, ...
 */
export function resourcePath(kind: ResourceKind, parts: PathParts = {}): string {
  const r: Resource = RESOURCES[kind];
  const apiVersion = parts.apiVersion ?? apiVersionOf(kind);
  let path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  if (r.namespaced && parts.namespace !== undefined)
    path += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  path += `/${r.plural}`;
  if (parts.name !== undefined) path += `/${encodeURIComponent(parts.name)}`;
  if (parts.subresource !== undefined) path += `/${parts.subresource}`;
  return path;
}
