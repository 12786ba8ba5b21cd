// Every workload kind the rollout side rolls, one entry each (as Reloader keeps one table per
// kind): where its API lives, where its pod template sits, and what can hold a restart back.
// The informers, the patch path, the restart patch, Events and error messages all read this
// table, so adding a kind is one entry here, its test in test/unit/rollout/kinds.test.ts, and its
// resource in deploy/rbac.yaml (that test checks it).
import type {
  KubernetesObject,
  V1DaemonSet,
  V1Deployment,
  V1DeploymentCondition,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { ROLLOUT_ANNOTATION } from '../../api/constants';
import { RESOURCES, type Resource } from '../../kube/resources';

/** Group, version and plural come from kube/resources.ts, the one table of plurals. */
export interface WorkloadKindInfo extends Resource {
  /**
   * Field path from the object to its pod template: the template's annotations opt in too, its
   * spec names what the workload reads, and a restart stamps its annotations.
   */
  podTemplatePath: readonly string[];
  /** Whether a template change waits until the workload is resumed (Deployment spec.paused). */
  paused(obj: KubernetesObject): boolean;
  /** Whether pods change only when they are deleted (updateStrategy OnDelete). */
  onDelete(obj: KubernetesObject): boolean;
  /**
   * Whether some pods still run an older pod template, as the workload's status says (or its
   * controller has not yet seen the latest spec): an OnDelete workload waits for them to be deleted.
   */
  podsBehind(obj: KubernetesObject): boolean;
  /**
   * How a restart is made: `template` stamps the pod template (the workload's controller rolls the
   * pods); `recreate` deletes the object and creates it again (a Job: its pod template is
   * immutable), as Reloader does.
   */
  restart: 'template' | 'recreate';
  /**
   * How `reloader.stakater.com/rollout-strategy: restart` restarts pods without touching the pod
   * template: `restartAt` sets the kind's own spec.restartAt (Argo Rollouts, as Reloader does);
   * `evict` evicts the pods created before the request. Absent: the strategy does not apply.
   */
  podRestart?: 'restartAt' | 'evict';
  /** Served by a CRD that may be absent: discovered before its informer starts (optional-api.ts). */
  optional: boolean;
  /** Objects another workload controls (a CronJob's Jobs): left to that workload. */
  controlled(obj: KubernetesObject): boolean;
  /**
   * Whether the latest pod template is still rolling out, as the workload's status says, for
   * --max-concurrent-rollouts. A kind without it never counts as rolling.
   */
  progress?(obj: KubernetesObject): RolloutProgress;
}

/**
 * `rolling`: the workload's controller has not seen the latest spec, or its new pods are not all
 * available yet; `stalled`: it says it gave up (a Deployment past progressDeadlineSeconds);
 * `settled`: rolled out, or nothing rolls now (paused, OnDelete).
 */
export type RolloutProgress = 'rolling' | 'stalled' | 'settled';

const never = () => false;

/** Pod-owning kinds with a ReplicaSet / revision controller: restarts stamp the template. */
const rolling = { restart: 'template', podRestart: 'evict', optional: false, controlled: never } as const;

const atLeast = (have: number | undefined, want: number) => (have ?? 0) >= want;

/** The workload controller has not yet reported on the latest spec. */
const unobserved = (obj: KubernetesObject & { status?: { observedGeneration?: number } }) =>
  (obj.status?.observedGeneration ?? 0) < (obj.metadata?.generation ?? 0);

export const WORKLOADS = {
  Deployment: {
    ...RESOURCES.Deployment,
    podTemplatePath: ['spec', 'template'],
    paused: (obj) => (obj as V1Deployment).spec?.paused === true,
    onDelete: never,
    podsBehind: never, // never OnDelete: not needed
    ...rolling,
    progress: (obj) => {
      const d = obj as V1Deployment;
      if (d.spec?.paused === true) return 'settled';
      if (unobserved(obj)) return 'rolling';
      const s = d.status;
      // A deadline exceeded before secretsync's last restart is stale: the controller-manager may
      // report the new generation observed before it resets the condition.
      const restarted = Date.parse(
        d.spec?.template?.metadata?.annotations?.[ROLLOUT_ANNOTATION.restartedAt] ?? '',
      );
      const deadline = (c: V1DeploymentCondition) =>
        c.type === 'Progressing' &&
        c.status === 'False' &&
        c.reason === 'ProgressDeadlineExceeded' &&
        !(new Date(c.lastUpdateTime as Date | string).getTime() < Math.floor(restarted / 1000) * 1000);
      if (s?.conditions?.some(deadline)) return 'stalled';
      // As `kubectl rollout status`: every replica updated, no old one left, the new ones available.
      const updated = s?.updatedReplicas ?? 0;
      const done =
        atLeast(updated, d.spec?.replicas ?? 1) &&
        (s?.replicas ?? 0) <= updated &&
        atLeast(s?.availableReplicas, updated);
      return done ? 'settled' : 'rolling';
    },
  },
  StatefulSet: {
    ...RESOURCES.StatefulSet,
    podTemplatePath: ['spec', 'template'],
    paused: never,
    onDelete: (obj) => (obj as V1StatefulSet).spec?.updateStrategy?.type === 'OnDelete',
    podsBehind: (obj) => {
      const s = (obj as V1StatefulSet).status;
      return unobserved(obj) || (s?.updatedReplicas ?? 0) < (s?.replicas ?? 0);
    },
    ...rolling,
    progress: (obj) => {
      const ss = obj as V1StatefulSet;
      if (ss.spec?.updateStrategy?.type === 'OnDelete') return 'settled';
      if (unobserved(obj)) return 'rolling';
      const s = ss.status;
      const want = ss.spec?.replicas ?? 1;
      const partition = ss.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      const done =
        atLeast(s?.updatedReplicas, want - partition) &&
        atLeast(s?.availableReplicas ?? s?.readyReplicas, want) &&
        (partition > 0 || s?.currentRevision === s?.updateRevision);
      return done ? 'settled' : 'rolling';
    },
  },
  DaemonSet: {
    ...RESOURCES.DaemonSet,
    podTemplatePath: ['spec', 'template'],
    paused: never,
    onDelete: (obj) => (obj as V1DaemonSet).spec?.updateStrategy?.type === 'OnDelete',
    podsBehind: (obj) => {
      const s = (obj as V1DaemonSet).status;
      return unobserved(obj) || (s?.updatedNumberScheduled ?? 0) < (s?.desiredNumberScheduled ?? 0);
    },
    ...rolling,
    progress: (obj) => {
      const ds = obj as V1DaemonSet;
      if (ds.spec?.updateStrategy?.type === 'OnDelete') return 'settled';
      if (unobserved(obj)) return 'rolling';
      const s = ds.status;
      const want = s?.desiredNumberScheduled ?? 0;
      return atLeast(s?.updatedNumberScheduled, want) && atLeast(s?.numberAvailable, want)
        ? 'settled'
        : 'rolling';
    },
  },
  // The next Job the schedule creates reads the new content; stamping the Job template records
  // which content that is (Reloader instead starts a Job at once: docs/reference.md says why not).
  CronJob: {
    ...RESOURCES.CronJob,
    podTemplatePath: ['spec', 'jobTemplate', 'spec', 'template'],
    paused: (obj) => (obj as { spec?: { suspend?: boolean } }).spec?.suspend === true,
    onDelete: never,
    podsBehind: never,
    restart: 'template',
    optional: false,
    controlled: never,
  },
  // A Job's pod template cannot change: a restart deletes it and creates it again, as Reloader.
  // Jobs a CronJob made are the CronJob's (their template carries its annotations).
  Job: {
    ...RESOURCES.Job,
    podTemplatePath: ['spec', 'template'],
    paused: never,
    onDelete: never,
    podsBehind: never,
    restart: 'recreate',
    optional: false,
    controlled: (obj) => obj.metadata?.ownerReferences?.some((o) => o.controller === true) === true,
  },
  // Argo Rollouts (argoproj.io/v1alpha1): its controller rolls a changed spec.template with the
  // Rollout's own strategy (canary, blue-green); spec.restartAt restarts pods in place.
  Rollout: {
    ...RESOURCES.Rollout,
    podTemplatePath: ['spec', 'template'],
    paused: (obj) => (obj as { spec?: { paused?: boolean } }).spec?.paused === true,
    onDelete: never,
    podsBehind: never,
    restart: 'template',
    podRestart: 'restartAt',
    optional: true,
    controlled: never,
  },
} as const satisfies Record<string, WorkloadKindInfo>;

export type WorkloadKind = keyof typeof WORKLOADS;
export const WORKLOAD_KINDS = Object.keys(WORKLOADS) as readonly WorkloadKind[];

/** One value per kind in the table (e.g. an informer each). */
export function perKind<T>(make: (kind: WorkloadKind) => T): Record<WorkloadKind, T> {
  return Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, make(k)])) as Record<WorkloadKind, T>;
}

/** The value at the kind's pod-template path, if every step of it is an object. */
export function podTemplateOf(kind: WorkloadKind, obj: KubernetesObject): unknown {
  let at: unknown = obj;
  for (const field of WORKLOADS[kind].podTemplatePath) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[field];
  }
  return at;
}

/** `value` nested at the kind's pod-template path: the spec part of a patch. */
export function atPodTemplate(kind: WorkloadKind, value: object): Record<string, unknown> {
  let at: Record<string, unknown> = value as Record<string, unknown>;
  for (const field of [...WORKLOADS[kind].podTemplatePath].reverse()) at = { [field]: at };
  return at;
}
