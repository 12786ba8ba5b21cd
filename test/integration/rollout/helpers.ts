// Shared by the rollout integration tests: workload builders, ReplicaSet / ControllerRevision
// counts (how a rollout is proven on the testbed: pods stay Pending without a scheduler, but the
// controller-manager creates a new ReplicaSet or revision for every new pod template), and waits
// derived from the debounce, anchored on the controller's own "rollout decision" log line.
import type {
  KubernetesObject,
  V1Container,
  V1DaemonSet,
  V1Deployment,
  V1PodSpec,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { eventually } from '../../support/eventually';
import { clients } from '../../support/kube';
import type { TestController } from '../../support/controller';

export const DEBOUNCE_MS = 1000;
/** Flags for startController: the debounce under test. */
export const FLAGS = { rolloutDebounce: `${DEBOUNCE_MS}ms` };
/** Deadline for something the controller must do: the debounce plus generous apiserver slack. */
export const ACT_MS = 3 * DEBOUNCE_MS + 15_000;
/** After a positive marker, how long "nothing more happens" is watched for. */
export const QUIET_MS = 3 * DEBOUNCE_MS + 1000;

export const { core, apps } = clients();

export type PodBits = Pick<V1Container, 'env' | 'envFrom'> & Pick<V1PodSpec, 'volumes' | 'initContainers'>;

export interface WorkloadOpts {
  annotations?: Record<string, string>;
  templateAnnotations?: Record<string, string>;
  pod?: PodBits;
}

function template(name: string, o: WorkloadOpts) {
  const labels = { app: name };
  const { volumes, initContainers, env, envFrom } = o.pod ?? {};
  return {
    selector: { matchLabels: labels },
    template: {
      metadata: { labels, annotations: o.templateAnnotations },
      spec: {
        initContainers,
        containers: [{ name: 'app', image: 'registry.invalid/app:1', env, envFrom }],
        volumes,
      },
    },
  };
}

export function deployment(name: string, o: WorkloadOpts = {}): V1Deployment {
  return { metadata: { name, annotations: o.annotations }, spec: { replicas: 1, ...template(name, o) } };
}

export function statefulSet(name: string, o: WorkloadOpts & { onDelete?: boolean } = {}): V1StatefulSet {
  return {
    metadata: { name, annotations: o.annotations },
    spec: {
      replicas: 1,
      serviceName: name,
      updateStrategy: { type: o.onDelete ? 'OnDelete' : 'RollingUpdate' },
      ...template(name, o),
    },
  };
}

export function daemonSet(name: string, o: WorkloadOpts = {}): V1DaemonSet {
  return { metadata: { name, annotations: o.annotations }, spec: template(name, o) };
}

export const envKey = (secret: string, key: string, optional?: boolean) => ({
  name: `${secret}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
  valueFrom: { secretKeyRef: { name: secret, key, optional } },
});
export const envCmKey = (cm: string, key: string) => ({
  name: `${cm}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
  valueFrom: { configMapKeyRef: { name: cm, key } },
});

const owned = (items: KubernetesObject[], name: string) =>
  items.filter((i) => i.metadata?.ownerReferences?.some((o) => o.name === name)).length;

export async function replicaSets(ns: string, deploymentName: string): Promise<number> {
  return owned((await apps.listNamespacedReplicaSet({ namespace: ns })).items, deploymentName);
}

export async function revisions(ns: string, ownerName: string): Promise<number> {
  return owned((await apps.listNamespacedControllerRevision({ namespace: ns })).items, ownerName);
}

export async function putSecret(
  ns: string,
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): Promise<void> {
  const body = { metadata: { name, namespace: ns, annotations }, stringData: data };
  try {
    await core.replaceNamespacedSecret({ name, namespace: ns, body: { ...body, type: 'Opaque' } });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await core.createNamespacedSecret({ namespace: ns, body });
  }
}

export async function putConfigMap(
  ns: string,
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): Promise<void> {
  const body = { metadata: { name, namespace: ns, annotations }, data };
  try {
    await core.replaceNamespacedConfigMap({ name, namespace: ns, body });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await core.createNamespacedConfigMap({ namespace: ns, body });
  }
}

async function readWorkload(ns: string, kind: string, name: string): Promise<KubernetesObject> {
  if (kind === 'Deployment') return apps.readNamespacedDeployment({ name, namespace: ns });
  if (kind === 'StatefulSet') return apps.readNamespacedStatefulSet({ name, namespace: ns });
  return apps.readNamespacedDaemonSet({ name, namespace: ns });
}

/** Waits until the controller recorded a hash on the workload (first sight); returns it. */
export async function recorded(ns: string, kind: string, name: string): Promise<string> {
  return eventually(
    async () => {
      const w = await readWorkload(ns, kind, name);
      const h = w.metadata?.annotations?.['secretsync.io/last-reload-hash'];
      expect(h).toMatch(/^hmac-sha256:[0-9a-f]{8}:[0-9a-f]{64}$/);
      return h as string;
    },
    { timeoutMs: ACT_MS, what: `recorded hash on ${kind} ${name}` },
  );
}

export interface DecisionLine {
  workload: string;
  action: string;
  seen?: string[];
  missing?: string[];
  hash?: string;
}

/** The controller's "rollout decision" log lines, from index `from` of its log. */
export function decisions(ctl: TestController, from = 0): DecisionLine[] {
  const out: DecisionLine[] = [];
  for (const chunk of ctl.logs.slice(from)) {
    for (const line of chunk.split('\n')) {
      if (!line.includes('"rollout decision"')) continue;
      out.push(JSON.parse(line) as DecisionLine);
    }
  }
  return out;
}

/**
 * The positive marker: waits for a decision on `workload` made after log index `from` that saw
 * `object` (`Kind/name`) change — i.e. the controller processed the change under test.
 */
export async function decided(
  ctl: TestController,
  from: number,
  workload: string,
  object?: string,
): Promise<DecisionLine> {
  return eventually(
    () => {
      const d = decisions(ctl, from).find(
        (x) => x.workload === workload && (object === undefined || (x.seen ?? []).includes(object)),
      );
      if (!d) throw new Error(`no decision on ${workload}${object ? ` seeing ${object}` : ''} yet`);
      return d;
    },
    { timeoutMs: ACT_MS, what: `decision on ${workload}` },
  );
}

/** After a marker: the count stays at `expected` for QUIET_MS (bounded, derived from the debounce). */
export async function staysAt(count: () => Promise<number>, expected: number, ms = QUIET_MS): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect(await count()).toBe(expected);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(await count()).toBe(expected);
}

/** Waits until the count reaches `expected`. */
export async function reaches(count: () => Promise<number>, expected: number, what: string): Promise<void> {
  await eventually(async () => expect(await count()).toBe(expected), { timeoutMs: ACT_MS, what });
}

export async function events(
  ns: string,
  name: string,
): Promise<{ type?: string; reason?: string; message?: string }[]> {
  const list = await core.listNamespacedEvent({
    namespace: ns,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
}

/** The value of one sample of a counter on the controller's /metrics, 0 when absent. */
export async function metric(
  ctl: TestController,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ctl.metricsPort}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
