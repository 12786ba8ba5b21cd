// Cluster-side helpers of the resilience scenarios: kubeconfigs for ServiceAccounts, snapshots of
// every managed Secret's data (the "nothing emptied or deleted" check), ReplicaSet counts.
import * as k8s from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { clients } from '../../support/kube';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

/** A kubeconfig that authenticates as the ServiceAccount (a TokenRequest token, 1 h). */
export async function serviceAccountKubeConfig(name: string, namespace: string): Promise<k8s.KubeConfig> {
  const admin = clients().kc;
  const tr = await clients(admin).core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = newKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testbed', server: cluster.server, skipTLSVerify: true }],
    users: [{ name, token: tr.status!.token }],
    contexts: [{ name, cluster: 'testbed', user: name }],
    currentContext: name,
  });
  return kc;
}

export function writeKubeConfigFile(kc: k8s.KubeConfig, file: string): string {
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

export type SecretData = Record<string, string>;

/** Every Secret in the namespace with the managed label: name → decoded data. */
export async function managedSecrets(ns: string): Promise<Map<string, SecretData>> {
  const list = await clients().core.listNamespacedSecret({
    namespace: ns,
    labelSelector: 'reconcile.external-secrets.io/managed=true',
  });
  return new Map(
    list.items.map((s) => [
      s.metadata!.name!,
      Object.fromEntries(
        Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      ),
    ]),
  );
}

/**
 * Compares a snapshot with the expected Secret names and key sets: returns one line per Secret
 * that is missing, has lost a key, or has an empty value (the losses a failure must never cause).
 */
export function losses(expected: Map<string, string[]>, now: Map<string, SecretData>): string[] {
  const out: string[] = [];
  for (const [name, keys] of expected) {
    const data = now.get(name);
    if (!data) {
      out.push(`${name}: deleted`);
      continue;
    }
    for (const k of keys) {
      if (!(k in data)) out.push(`${name}: key ${k} removed`);
      else if (data[k] === '') out.push(`${name}: key ${k} emptied`);
    }
  }
  return out;
}

export async function replicaSetsOf(ns: string, deployment: string): Promise<number> {
  const list = await clients().apps.listNamespacedReplicaSet({ namespace: ns });
  return list.items.filter((rs) =>
    rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === deployment),
  ).length;
}

/** Text of /metrics of a controller's health server. */
export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
}

/** Sum of a counter's samples whose labels include all of `labels`. */
export function counter(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}
