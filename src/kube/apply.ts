// Server-side apply of plain manifests by raw path (no model re-serialisation, so CRDs keep every
// field). Knows the handful of kinds the demo and the CLI install; anything else is an error.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { kubeRequest } from './request';
import { isResourceKind, resourcePath, type ResourceKind } from './resources';

/** The kinds the demo and the CLI install (their paths come from resources.ts). */
const APPLIED: ReadonlySet<ResourceKind> = new Set<ResourceKind>([
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ExternalSecret',
  'SecretStore',
  'ClusterSecretStore',
  'ClusterExternalSecret',
]);

export function objectPath(obj: KubernetesObject): string {
  const kind =
    obj.kind !== undefined && isResourceKind(obj.kind) && APPLIED.has(obj.kind) ? obj.kind : undefined;
  if (!kind || !obj.apiVersion || !obj.metadata?.name)
    throw new Error(`cannot apply ${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''}`);
  // The object's own apiVersion (a manifest may use a served version other than the table's).
  return resourcePath(kind, {
    apiVersion: obj.apiVersion,
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name,
  });
}

export async function serverSideApply(
  kc: KubeConfig,
  obj: KubernetesObject,
  fieldManager = 'secretsync',
): Promise<void> {
  await kubeRequest(kc, {
    method: 'PATCH',
    path: objectPath(obj),
    query: { fieldManager, force: true },
    body: obj,
    contentType: 'application/apply-patch+yaml',
    timeoutMs: 30_000,
  });
}
