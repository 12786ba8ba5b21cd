// Where the controller's cluster connection comes from, and a fast, well-worded failure when that
// cluster cannot be reached — instead of client-node's bare "fetch failed" minutes later.
import { KubeConfig } from '@kubernetes/client-node';
import { isIPv6 } from 'node:net';
import { delimiter } from 'node:path';
import { errorName, errorText } from '../observability/log';
import { isApiError, kubeRequest, serverUrl } from './request';
import { newKubeConfig } from './kubeconfig';

export interface LoadKubeConfigOptions {
  /** An explicit kubeconfig file (e.g. --kubeconfig); wins over everything else. */
  kubeconfig?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

function loadFile(file: string): KubeConfig {
  const kc = newKubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new Error(`cannot load kubeconfig ${file}: ${errorText(err)}`, { cause: err });
  }
  return kc;
}

function firstByName<T extends { name: string }>(lists: T[][]): T[] {
  const seen = new Map<string, T>();
  for (const list of lists) for (const x of list) if (!seen.has(x.name)) seen.set(x.name, x);
  return [...seen.values()];
}

function fromFiles(files: string[]): KubeConfig {
  const loaded = files.map(loadFile);
  let kc = loaded[0];
  if (kc === undefined || loaded.length > 1) {
    // As kubectl merges a KUBECONFIG list: the first value of anything wins.
    kc = newKubeConfig();
    kc.loadFromOptions({
      clusters: firstByName(loaded.map((c) => c.clusters)),
      users: firstByName(loaded.map((c) => c.users)),
      contexts: firstByName(loaded.map((c) => c.contexts)),
      currentContext: loaded.find((c) => c.currentContext)?.currentContext,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`kubeconfig ${files.join(delimiter)} has no current context with a cluster`);
  }
  return kc;
}

/**
 * The cluster to talk to: an explicit file, else $KUBECONFIG (a path list, merged as kubectl
 * does), else the in-cluster service account when KUBERNETES_SERVICE_HOST is set; else undefined,
 * and the caller decides (the CLI starts a local testbed).
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig | undefined {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) return fromFiles([opts.kubeconfig]);
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length > 0) return fromFiles(list);
  if (env.KUBERNETES_SERVICE_HOST) return inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT);
  return undefined;
}

/** The mounted service account (token file, CA, namespace), against the env's service address. */
function inCluster(host: string, port = '443'): KubeConfig {
  const kc = newKubeConfig();
  kc.loadFromCluster();
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return kc;
}

/** The API server URL of the current context, for messages; never throws. */
export function describeCluster(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '(no current cluster in kubeconfig)';
}

/**
 * Fails within timeoutMs with a message naming the URL it tried when the API server cannot be
 * reached or refuses our credentials; resolves with the server's version otherwise.
 */
export async function checkReachable(
  kc: KubeConfig,
  timeoutMs = 5000,
): Promise<{ server: string; version?: string }> {
  const server = describeCluster(kc);
  try {
    serverUrl(kc);
    const v = await kubeRequest<{ gitVersion?: string }>(kc, { path: '/version', timeoutMs });
    return { server, version: v?.gitVersion };
  } catch (err) {
    if (isApiError(err, 401) || isApiError(err, 403)) {
      throw new Error(`the Kubernetes API at ${server} refused our credentials: ${err.message}`, {
        cause: err,
      });
    }
    if (isApiError(err)) return { server }; // it answered: reachable
    const why = errorName(err) === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorText(err);
    throw new Error(`cannot reach the Kubernetes API at ${server}: ${why}`, { cause: err });
  }
}
