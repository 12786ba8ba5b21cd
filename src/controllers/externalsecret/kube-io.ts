// The apiserver side of the sync reconcile: Secret reads and writes, status patches (Events: kube/events.ts).
// Writes carry resourceVersion (optimistic concurrency) or a uid precondition.
import type { KubeConfig, KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../api/generated';
import { isApiError, kubeGetIfExists, kubeRequest } from '../../kube/request';
import { METADATA_ACCEPT } from '../../kube/metadata';
import { resourcePath } from '../../kube/resources';
import type { WritePlan } from './write-plan';

const secretsPath = (ns: string) => resourcePath('Secret', { namespace: ns });
const TIMEOUT = { timeoutMs: 30_000 };

export class KubeIO {
  constructor(private readonly kc: KubeConfig) {}

  async readSecret(ns: string, name: string): Promise<V1Secret | undefined> {
    return kubeGetIfExists<V1Secret>(this.kc, {
      path: `${secretsPath(ns)}/${encodeURIComponent(name)}`,
      ...TIMEOUT,
    });
  }

  /** A Secret's labels, read metadata-only (never its data); undefined when it does not exist. */
  async secretLabels(ns: string, name: string): Promise<Record<string, string> | undefined> {
    const meta = await kubeGetIfExists<KubernetesObject>(this.kc, {
      path: `${secretsPath(ns)}/${encodeURIComponent(name)}`,
      accept: METADATA_ACCEPT,
      ...TIMEOUT,
    });
    return meta && (meta.metadata?.labels ?? {});
  }

  async readConfigMap(ns: string, name: string): Promise<V1ConfigMap | undefined> {
    return kubeGetIfExists<V1ConfigMap>(this.kc, {
      path: resourcePath('ConfigMap', { namespace: ns, name }),
      ...TIMEOUT,
    });
  }

  async writeSecret(ns: string, plan: Extract<WritePlan, { kind: 'create' | 'update' }>): Promise<void> {
    const name = plan.secret.metadata!.name!;
    if (plan.kind === 'update' && plan.recreate) {
      await this.deleteSecret(ns, name);
      await kubeRequest(this.kc, { method: 'POST', path: secretsPath(ns), body: plan.secret, ...TIMEOUT });
      return;
    }
    if (plan.kind === 'create') {
      await kubeRequest(this.kc, { method: 'POST', path: secretsPath(ns), body: plan.secret, ...TIMEOUT });
      return;
    }
    await this.replaceSecret(ns, plan.secret);
  }

  async replaceSecret(ns: string, secret: V1Secret): Promise<void> {
    const path = `${secretsPath(ns)}/${encodeURIComponent(secret.metadata!.name!)}`;
    await kubeRequest(this.kc, { method: 'PUT', path, body: secret, ...TIMEOUT });
  }

  async deleteSecret(ns: string, name: string, uid?: string): Promise<void> {
    try {
      await kubeRequest(this.kc, {
        method: 'DELETE',
        path: `${secretsPath(ns)}/${encodeURIComponent(name)}`,
        body: uid ? { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } } : undefined,
        ...TIMEOUT,
      });
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
    }
  }

  async patchStatus(es: ExternalSecret, status: NonNullable<ExternalSecret['status']>): Promise<void> {
    const { namespace, name } = es.metadata ?? {};
    await kubeRequest(this.kc, {
      method: 'PATCH',
      path: resourcePath('ExternalSecret', { namespace, name, subresource: 'status' }),
      body: { status },
      contentType: 'application/merge-patch+json',
      ...TIMEOUT,
    });
  }

  async namespaceLabels(ns: string): Promise<Record<string, string>> {
    const obj = await kubeRequest<KubernetesObject>(this.kc, {
      path: resourcePath('Namespace', { name: ns }),
      ...TIMEOUT,
    });
    return obj.metadata?.labels ?? {};
  }
}
