// The apiserver side of the fan-out: ExternalSecret create, replace (with its resourceVersion) and
// delete (with a uid precondition, so only the object that was seen to be ours goes), and the
// ClusterExternalSecret's status.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterExternalSecret, ClusterExternalSecretStatus, ExternalSecret } from '../../api/generated';
import { isApiError, kubeGetIfExists, kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';

const TIMEOUT = { timeoutMs: 30_000 };

export class FanOutIO {
  constructor(private readonly kc: KubeConfig) {}

  async read(namespace: string, name: string): Promise<ExternalSecret | undefined> {
    return kubeGetIfExists<ExternalSecret>(this.kc, {
      path: resourcePath('ExternalSecret', { namespace, name }),
      ...TIMEOUT,
    });
  }

  async create(es: ExternalSecret): Promise<void> {
    const path = resourcePath('ExternalSecret', { namespace: es.metadata?.namespace });
    await kubeRequest(this.kc, { method: 'POST', path, body: es, ...TIMEOUT });
  }

  async replace(es: ExternalSecret): Promise<void> {
    const { namespace, name } = es.metadata ?? {};
    const path = resourcePath('ExternalSecret', { namespace, name });
    await kubeRequest(this.kc, { method: 'PUT', path, body: es, ...TIMEOUT });
  }

  async remove(namespace: string, name: string, uid: string): Promise<void> {
    try {
      await kubeRequest(this.kc, {
        method: 'DELETE',
        path: resourcePath('ExternalSecret', { namespace, name }),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } },
        ...TIMEOUT,
      });
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
    }
  }

  async patchStatus(ces: ClusterExternalSecret, status: ClusterExternalSecretStatus): Promise<void> {
    await kubeRequest(this.kc, {
      method: 'PATCH',
      path: resourcePath('ClusterExternalSecret', { name: ces.metadata?.name, subresource: 'status' }),
      body: { status },
      contentType: 'application/merge-patch+json',
      ...TIMEOUT,
    });
  }
}
