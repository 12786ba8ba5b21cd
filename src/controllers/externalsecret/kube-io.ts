// The apiserver side of the sync reconcile: Secret reads and writes, status patches, Events.
// Writes carry resourceVersion (optimistic concurrency) or a uid precondition.
import type { KubeConfig, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../api/generated';
import { API_GROUP, API_VERSION } from '../../api/constants';
import { isApiError, kubeRequest } from '../../kube/request';
import { inBackground, type BackgroundOwner } from '../../observability/background';
import type { WritePlan } from './write-plan';

const secretsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;
const TIMEOUT = { timeoutMs: 30_000 };

export class KubeIO {
  constructor(
    private readonly kc: KubeConfig,
    /** Where a failed Event write is logged and counted. */
    private readonly owner: BackgroundOwner,
  ) {}

  async readSecret(ns: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await kubeRequest<V1Secret>(this.kc, {
        path: `${secretsPath(ns)}/${encodeURIComponent(name)}`,
        ...TIMEOUT,
      });
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
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
      path: `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/externalsecrets/${name}/status`,
      body: { status },
      contentType: 'application/merge-patch+json',
      ...TIMEOUT,
    });
  }

  async namespaceLabels(ns: string): Promise<Record<string, string>> {
    const obj = await kubeRequest<KubernetesObject>(this.kc, {
      path: `/api/v1/namespaces/${encodeURIComponent(ns)}`,
      ...TIMEOUT,
    });
    return obj.metadata?.labels ?? {};
  }

  /**
   * Writes a core/v1 Event on an object without waiting for it. Best effort: an Event that cannot
   * be written fails nothing else; it is logged and counted (task "event").
   */
  event(
    obj: KubernetesObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component = 'secretsync',
  ): void {
    const ns = obj.metadata?.namespace ?? 'default';
    const now = new Date().toISOString();
    const write = kubeRequest(this.kc, {
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
      body: {
        metadata: { generateName: `${obj.metadata?.name ?? 'object'}.` },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata?.name,
          namespace: ns,
          uid: obj.metadata?.uid,
          resourceVersion: obj.metadata?.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
      ...TIMEOUT,
    });
    inBackground(this.owner, 'event', write, { object: `${obj.kind}/${ns}/${obj.metadata?.name}`, reason });
  }
}
