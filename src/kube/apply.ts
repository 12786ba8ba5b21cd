// Server-side apply of plain manifests by raw path (no model re-serialisation, so CRDs keep every
// field). Knows the handful of kinds the demo and the CLI install; anything else is an error.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { kubeRequest } from './request';

const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  Namespace: { plural: 'namespaces', namespaced: false },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  Secret: { plural: 'secrets', namespaced: true },
  ConfigMap: { plural: 'configmaps', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  StatefulSet: { plural: 'statefulsets', namespaced: true },
  DaemonSet: { plural: 'daemonsets', namespaced: true },
  ExternalSecret: { plural: 'externalsecrets', namespaced: true },
  SecretStore: { plural: 'secretstores', namespaced: true },
  ClusterSecretStore: { plural: 'clustersecretstores', namespaced: false },
};

export function objectPath(obj: KubernetesObject): string {
  const r = obj.kind ? RESOURCES[obj.kind] : undefined;
  if (!r || !obj.apiVersion || !obj.metadata?.name)
    throw new Error(`cannot apply ${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''}`);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  return `${base}${ns}/${r.plural}/${obj.metadata.name}`;
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
