// The cluster connection of the CLI commands that talk to a cluster (`status`, `sync`): the same
// kubeconfig rules as the controller, plus kubectl's default file, and a reachability check that
// fails within seconds naming the URL it tried.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { API_GROUP } from '../api/constants';
import { checkReachable, loadKubeConfig } from '../kube/client';
import { isApiError } from '../kube/request';
import { resourcePath } from '../kube/resources';

export interface KubeFlags {
  kubeconfig?: string;
}

/** --kubeconfig, else $KUBECONFIG, else in-cluster, else ~/.kube/config (as kubectl). */
export function cliKubeConfig(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = loadKubeConfig({ kubeconfig: flags.kubeconfig, env });
  if (kc) return kc;
  const fallback = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(fallback)) return loadKubeConfig({ kubeconfig: fallback, env })!;
  throw new Error(
    'no cluster configured: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config (for example with `gcloud container clusters get-credentials` or `aws eks update-kubeconfig`)',
  );
}

/** A kubeconfig whose API server answered within `timeoutMs`. */
export async function connect(flags: KubeFlags, timeoutMs = 5000): Promise<KubeConfig> {
  const kc = cliKubeConfig(flags);
  await checkReachable(kc, timeoutMs);
  return kc;
}

/** REST path of ExternalSecrets (all namespaces, one namespace, or one object). */
export function esPath(namespace?: string, name?: string): string {
  return resourcePath('ExternalSecret', { namespace, name: namespace === undefined ? undefined : name });
}

/** An apiserver error as a sentence that says what to do; other errors unchanged. */
export function explainApiError(err: unknown, what: string): Error {
  // A missing object is a Status with reason NotFound; a missing API is a bare "404 page not found".
  if (isApiError(err, 404) && err.reason !== 'NotFound') {
    return new Error(
      `${what}: the ${API_GROUP} API is not installed in this cluster (apply crds/ or deploy/ first)`,
      { cause: err },
    );
  }
  if (isApiError(err, 404)) return new Error(`${what}: not found`, { cause: err });
  if (isApiError(err, 403)) return new Error(`${what}: forbidden: ${err.message}`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
