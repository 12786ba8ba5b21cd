// Shared by the node tests that run application pods (the secrethash image): a Deployment that reads
// one Secret key as an env var and as a mounted file, what each of its pods reports (hashes only,
// fetched from the pod's /hashes over the node's bridge), and waits derived from the node's config.
import type * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clients } from '../../support/kube';
import { NODE_TOLERATION, type TestbedNode } from '../../../dev/testbed/node';

const { core, apps } = clients();

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const ENV = 'SECRET_VALUE';
export const FILE = '/etc/app-secret/value';

// The images are in the node's containerd already (nothing is pulled): a pod is Ready once the
// kubelet has started its sandbox and container and probed once (periodSeconds 1). Seconds when
// idle; the bound leaves room for a busy 2-CPU machine (as in pod.test.ts).
export const POD_READY_MS = 60_000;

/** A Deployment whose pods read `secret`'s `key` as $SECRET_VALUE and at /etc/app-secret/value. */
export function appDeployment(
  node: TestbedNode,
  name: string,
  o: { secret: string; key: string; replicas: number; annotations?: Record<string, string> },
): k8s.V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, annotations: o.annotations },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: node.images.secrethash,
              imagePullPolicy: 'Never',
              args: ['-env', ENV, '-file', FILE, '-listen', ':8080'],
              env: [{ name: ENV, valueFrom: { secretKeyRef: { name: o.secret, key: o.key } } }],
              volumeMounts: [{ name: 'secret', mountPath: '/etc/app-secret', readOnly: true }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
              securityContext: { runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false },
            },
          ],
          // Only the consumed key, under a fixed file name; no subPath (a subPath mount is never
          // updated in place).
          volumes: [
            { name: 'secret', secret: { secretName: o.secret, items: [{ key: o.key, path: 'value' }] } },
          ],
          terminationGracePeriodSeconds: 1,
          tolerations: [NODE_TOLERATION],
        },
      },
    },
  };
}

export const isReady = (p: k8s.V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Every pod of the app (terminating ones included). */
export async function pods(ns: string, app: string): Promise<k8s.V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
}

export const uids = (ps: k8s.V1Pod[]) => ps.map((p) => p.metadata!.uid!).sort();

export interface Seen {
  env: string;
  file: string;
}

/** What the pod reports: the SHA-256 of its env var and of its file (from the host, over the bridge). */
export async function seen(p: k8s.V1Pod): Promise<Seen> {
  const res = await fetch(`http://${p.status!.podIP}:8080/hashes`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${p.metadata?.name}: /hashes HTTP ${res.status}`);
  const h = (await res.json()) as Record<string, string>;
  return { env: h[`env:${ENV}`]!, file: h[`file:${FILE}`]! };
}

/**
 * Resolves when the app has exactly `replicas` pods, all Ready, none of them in `notIn` (pods that
 * are terminating count too: an old pod still present is not yet replaced), each reporting `want`
 * for its env var and its file. Throws (for `eventually`) with what it saw otherwise.
 */
export async function allPodsSee(
  ns: string,
  app: string,
  replicas: number,
  want: string,
  notIn: string[] = [],
): Promise<k8s.V1Pod[]> {
  const ps = await pods(ns, app);
  const state = ps.map((p) => `${p.metadata?.name}${isReady(p) ? '' : '(not ready)'}`).join(', ');
  if (ps.length !== replicas || !ps.every(isReady)) throw new Error(`pods: ${state}`);
  if (ps.some((p) => notIn.includes(p.metadata!.uid!))) throw new Error(`old pods still present: ${state}`);
  for (const p of ps) {
    const s = await seen(p);
    if (s.env !== want || s.file !== want)
      throw new Error(`${p.metadata?.name} reports env ${s.env.slice(0, 12)} file ${s.file.slice(0, 12)}`);
  }
  return ps;
}

export async function deploymentStatus(ns: string, name: string): Promise<k8s.V1DeploymentStatus> {
  return (await apps.readNamespacedDeployment({ name, namespace: ns })).status ?? {};
}

/**
 * The longest a mounted Secret volume may take to show a changed Secret, from the node's kubelet
 * configuration (the kubelet.yaml the testbed wrote): the kubelet rewrites a pod's Secret volumes
 * when it syncs the pod, which it does every syncFrequency with up to 50% jitter
 * (pod_workers.go, workerResyncIntervalJitterFactor), and it sees the new Secret through a watch
 * (Watch), a fresh read (Get), or a cache with a TTL of up to a minute (Cache). Plus the app's
 * one-second re-read and apiserver slack.
 */
export function volumeUpdateDeadlineMs(root: string): number {
  const cfg = parse(readFileSync(join(root, 'node', 'kubelet.yaml'), 'utf8')) as {
    syncFrequency?: string;
    configMapAndSecretChangeDetectionStrategy?: string;
  };
  const sync = durationMs(cfg.syncFrequency ?? '1m'); // the kubelet's default
  const strategy = cfg.configMapAndSecretChangeDetectionStrategy ?? 'Watch';
  const detection = { Watch: 0, Get: 0, Cache: 60_000 }[strategy];
  if (detection === undefined)
    throw new Error(`unknown configMapAndSecretChangeDetectionStrategy ${strategy}`);
  return 1.5 * sync + detection + 15_000;
}

/** A Go duration as the kubelet config writes it (`1m`, `10s`, `1m30s`, `500ms`). */
function durationMs(d: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let ms = 0;
  for (const [, n, u] of d.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(n) * unit[u!]!;
  if (!ms && d !== '0s') throw new Error(`cannot read duration ${d}`);
  return ms;
}

/** p-th percentile (nearest rank) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
