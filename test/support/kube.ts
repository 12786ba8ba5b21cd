// Admin access to the shared testbed's apiserver, and one namespace per test file.
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { newKubeConfig } from '../../src/kube/kubeconfig';

export function adminConfig(): k8s.KubeConfig {
  const kc = newKubeConfig();
  if (!process.env.KUBECONFIG) throw new Error('KUBECONFIG is not set: integration tests need the testbed');
  kc.loadFromFile(process.env.KUBECONFIG);
  return kc;
}

export function clients(kc = adminConfig()) {
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    auth: kc.makeApiClient(k8s.AuthenticationV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await clients().core.createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await clients()
    .core.deleteNamespace({ name })
    .catch(() => undefined);
}
