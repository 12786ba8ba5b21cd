// The benchmark's side of the apiserver: admin requests, installing CRDs and deploy/'s RBAC with
// `kubectl apply --server-side` (as the tests do), a kubeconfig for the `secretsync`
// ServiceAccount (the controller never runs as admin), and bulk creation.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isApiError, kubeRequest, type KubeRequest } from '../../src/kube/request';
import { writeKubeconfig } from '../testbed/controlplane';
import { repoRoot } from '../testbed/paths';
import { pool } from './util';
import { newKubeConfig } from '../../src/kube/kubeconfig';

const exec = promisify(execFile);

export const CONTROLLER_USER = 'system:serviceaccount:secretsync-system:secretsync';

export class Kube {
  readonly kc = newKubeConfig();

  constructor(readonly kubeconfig: string) {
    this.kc.loadFromFile(kubeconfig);
  }

  request<T = unknown>(req: KubeRequest): Promise<T> {
    return kubeRequest<T>(this.kc, { timeoutMs: 60_000, ...req });
  }

  /** POST, retrying a few times on 429/5xx and connection errors (the machine is shared). */
  async create(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.request({ method: 'POST', path, body });
        return;
      } catch (err) {
        if (isApiError(err, 409)) return;
        const transient = !isApiError(err) || err.code === 429 || err.code >= 500;
        if (!transient || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  /** JSON merge patch, with the same retries as create(). */
  async mergePatch(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.request({ method: 'PATCH', path, body, contentType: 'application/merge-patch+json' });
        return;
      } catch (err) {
        const transient = !isApiError(err) || err.code === 429 || err.code >= 500 || err.code === 409;
        if (!transient || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  async createAll(path: string, bodies: readonly unknown[], width: number): Promise<void> {
    await pool(bodies, width, (b) => this.create(path, b));
  }

  async kubectl(args: string[]): Promise<string> {
    const { stdout } = await exec('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {
      maxBuffer: 32 << 20,
    });
    return stdout;
  }

  /** CRDs, the secretsync-system namespace, ServiceAccount and RBAC from crds/ and deploy/. */
  async installDeploy(): Promise<void> {
    const files = [
      ...['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'].map((f) =>
        join(repoRoot, 'crds', `${f}.yaml`),
      ),
      ...['namespace', 'serviceaccount', 'rbac'].map((f) => join(repoRoot, 'deploy', `${f}.yaml`)),
    ];
    await this.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=secretsync-bench',
      ...files.flatMap((f) => ['-f', f]),
    ]);
    await this.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/externalsecrets.external-secrets.io',
      'crd/secretstores.external-secrets.io',
      'crd/clustersecretstores.external-secrets.io',
      'crd/clusterexternalsecrets.external-secrets.io',
    ]);
  }

  /** Writes a kubeconfig authenticating as the secretsync ServiceAccount (TokenRequest, 12 h). */
  async controllerKubeconfig(file: string, serviceAccount = 'secretsync'): Promise<void> {
    const tr = await this.request<{ status?: { token?: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/secretsync-system/serviceaccounts/${serviceAccount}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: 12 * 3600 },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error(`TokenRequest for secretsync-system/${serviceAccount} returned no token`);
    writeKubeconfig(file, this.kc.getCurrentCluster()!.server, token, serviceAccount);
  }

  /**
   * A ServiceAccount `name` in secretsync-system bound to exactly the roles the secretsync one is
   * bound to (a copy of each of its bindings): the same rights under another audit-log user.
   */
  async serviceAccountLikeController(name: string): Promise<void> {
    await this.create('/api/v1/namespaces/secretsync-system/serviceaccounts', {
      metadata: { name, namespace: 'secretsync-system' },
    });
    interface Binding {
      metadata: { name: string; namespace?: string };
      roleRef: unknown;
      subjects?: { kind: string; name: string; namespace?: string }[];
    }
    const ours = (b: Binding) =>
      b.subjects?.some(
        (s) => s.kind === 'ServiceAccount' && s.name === 'secretsync' && s.namespace === 'secretsync-system',
      );
    const copy = (b: Binding) => ({
      metadata: {
        name: `${b.metadata.name}-${name}`,
        ...(b.metadata.namespace && { namespace: b.metadata.namespace }),
      },
      roleRef: b.roleRef,
      subjects: [{ kind: 'ServiceAccount', name, namespace: 'secretsync-system' }],
    });
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    const cluster = await this.request<{ items: Binding[] }>({ path: `${rbac}/clusterrolebindings` });
    for (const b of cluster.items.filter(ours)) await this.create(`${rbac}/clusterrolebindings`, copy(b));
    const roles = await this.request<{ items: Binding[] }>({ path: `${rbac}/rolebindings` });
    for (const b of roles.items.filter(ours))
      await this.create(`${rbac}/namespaces/${b.metadata.namespace}/rolebindings`, copy(b));
  }

  /** DELETE on a collection (the apiserver deletes every match), with create()'s retries. */
  async deleteCollection(path: string, labelSelector?: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.request({ method: 'DELETE', path, query: { labelSelector }, timeoutMs: 300_000 });
        return;
      } catch (err) {
        const transient = !isApiError(err) || err.code === 429 || err.code >= 500;
        if (!transient || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  async createNamespace(name: string): Promise<void> {
    await this.create('/api/v1/namespaces', {
      metadata: { name, labels: { 'secretsync.io/bench': 'true' } },
    });
  }

  async serverVersion(): Promise<string> {
    const v = await this.request<{ gitVersion?: string }>({ path: '/version' });
    return v.gitVersion ?? 'unknown';
  }
}
