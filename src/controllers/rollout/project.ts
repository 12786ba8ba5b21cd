// What the rollout informers keep of each object. Every Secret and ConfigMap in the cluster is
// watched, so each is cut down to per-key digests and two flags at once (values are hashed, then
// dropped); workloads that do not opt in are cut down to nothing at all, and opted-in ones keep
// their parsed opt-in and the references derived from the pod spec, not the pod template.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1LabelSelector,
  V1PodTemplateSpec,
  V1Secret,
} from '@kubernetes/client-node';
import { ROLLOUT_ANNOTATION } from '../../api/constants';
import { keyDigest } from '../../api/hash';
import {
  objectFlags,
  parseOptIn,
  parsePausePeriod,
  parseStrategy,
  type AnnotationProblem,
  type OptIn,
  type ParseOptions,
} from './annotations';
import { parseRestartedAt } from './cooldown';
import { podConsumers, type ConsumedRef } from './consumers';
import { labelSelectorQuery } from '../../kube/selector';
import type { ObjectState } from './decide';
import type { ObservedRollout } from './gate';
import { podTemplateOf, WORKLOADS, type WorkloadKind, type WorkloadKindInfo } from './kinds';
import { readRolloutWindow, type RolloutWindow } from './window';

export function projectSecret(obj: KubernetesObject): ObjectState {
  const s = obj as V1Secret;
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) keys[k] = keyDigest(Buffer.from(v, 'base64'));
  return { keys, ...objectFlags(s.metadata?.annotations) };
}

export function projectConfigMap(obj: KubernetesObject): ObjectState {
  const c = obj as V1ConfigMap;
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.data ?? {})) keys[k] = keyDigest(Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(c.binaryData ?? {})) keys[k] = keyDigest(Buffer.from(v, 'base64'));
  return { keys, ...objectFlags(c.metadata?.annotations) };
}

/** An opted-in (or mis-annotated) workload as the rollout controller needs it. */
export interface LeanWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  optIn?: OptIn;
  problems: AnnotationProblem[];
  consumers: ConsumedRef[];
  recordedHash?: string;
  recordedObjects?: string;
  /** When secretsync last restarted its pods (the pod template's restartedAt), ms. */
  lastRolloutAt?: number;
  /** Its pause-period annotation, ms; undefined: the default window (--rollout-debounce). */
  pausePeriodMs?: number;
  /** A template change waits until it is resumed (kinds.ts: Deployment spec.paused). */
  paused: boolean;
  /** Pods change only when deleted (kinds.ts: updateStrategy OnDelete). */
  onDelete: boolean;
  /**
   * OnDelete only (false otherwise, so that other workloads' status updates change nothing here):
   * some pods still run an older template (kinds.ts podsBehind).
   */
  podsBehind: boolean;
  /**
   * reloader.stakater.com/rollout-strategy: `restart` restarts pods without changing the pod
   * template (kinds.ts podRestart); only set where the kind has a way to.
   */
  strategy: 'rollout' | 'restart';
  /** rollout-strategy restart by eviction: pods created before this instant are evicted. */
  restartRequestedAt?: string;
  /**
   * Its pods' label selector as a query: listed before a restart (hold.ts) and, with
   * rollout-strategy restart, for evictions.
   */
  selector?: string;
  /** secretsync.io/rollout-window: restarts wait for it to open. */
  window?: RolloutWindow | { invalid: string };
  /** Status, for --max-concurrent-rollouts only: not compared by workloadChanged. */
  rollout: ObservedRollout;
}

/** Controller-wide settings (flags) that change which workloads count and what they opt into. */
export interface ProjectOptions extends ParseOptions {
  /** --namespaces-to-ignore: workloads there are not cached at all. */
  ignoreNamespaces?: ReadonlySet<string>;
}

/** A workload with no rollout annotation: nothing of it is kept. */
export type NotOptedIn = Readonly<Record<string, never>>;
export const NOT_OPTED_IN: NotOptedIn = Object.freeze({});

export type WorkloadEntry = LeanWorkload | NotOptedIn;

export function isLean(w: WorkloadEntry | undefined): w is LeanWorkload {
  return w !== undefined && 'kind' in w;
}

export function projectWorkload(kind: WorkloadKind, opts: ProjectOptions = {}) {
  const info: WorkloadKindInfo = WORKLOADS[kind];
  return (w: KubernetesObject): WorkloadEntry => {
    if (opts.ignoreNamespaces?.has(w.metadata?.namespace ?? '') || info.controlled(w)) return NOT_OPTED_IN;
    const template = podTemplateOf(kind, w) as V1PodTemplateSpec | undefined;
    const meta = w.metadata?.annotations;
    const parsed = parseOptIn(meta, template?.metadata?.annotations, opts);
    if (!parsed.annotated) return NOT_OPTED_IN;
    const pause = parsePausePeriod(kind, meta);
    const strategy = parseStrategy(meta);
    if (strategy.problem) parsed.problems.push(strategy.problem);
    if (strategy.strategy === 'restart' && info.podRestart === undefined)
      parsed.problems.push({
        annotation: strategy.problem?.annotation ?? 'reloader.stakater.com/rollout-strategy',
        message: `"restart" does not apply to a ${kind}; its restarts ${info.restart === 'recreate' ? 'recreate it' : 'update its pod template'}`,
      });
    const lean: LeanWorkload = {
      kind,
      namespace: w.metadata?.namespace ?? '',
      name: w.metadata?.name ?? '',
      uid: w.metadata?.uid ?? '',
      resourceVersion: w.metadata?.resourceVersion ?? '',
      problems: [...parsed.problems, ...pause.problems],
      consumers: parsed.optIn ? podConsumers(template?.spec) : [],
      paused: info.paused(w),
      onDelete: info.onDelete(w),
      podsBehind: info.onDelete(w) && info.podsBehind(w),
      strategy: info.podRestart ? strategy.strategy : 'rollout',
      rollout: { progress: info.progress?.(w) ?? 'settled' },
    };
    const requested = meta?.[ROLLOUT_ANNOTATION.restartRequestedAt];
    if (requested !== undefined) lean.restartRequestedAt = requested;
    if (parsed.optIn) lean.optIn = parsed.optIn;
    const selector = labelSelectorQuery((w as { spec?: { selector?: V1LabelSelector } }).spec?.selector);
    if (selector !== undefined) lean.selector = selector;
    const hash = meta?.[ROLLOUT_ANNOTATION.lastHash];
    if (hash !== undefined) lean.recordedHash = hash;
    const objects = meta?.[ROLLOUT_ANNOTATION.lastObjects];
    if (objects !== undefined) lean.recordedObjects = objects;
    // A restart stamps the pod template, or (rollout-strategy restart) the workload's metadata.
    const stamps = [
      parseRestartedAt(template?.metadata?.annotations?.[ROLLOUT_ANNOTATION.restartedAt]),
      parseRestartedAt(requested),
    ].filter((t) => t !== undefined);
    if (stamps.length > 0) lean.lastRolloutAt = Math.max(...stamps);
    if (pause.ms !== undefined) lean.pausePeriodMs = pause.ms;
    const restartedAt = template?.metadata?.annotations?.[ROLLOUT_ANNOTATION.restartedAt];
    if (restartedAt !== undefined) lean.rollout.restartedAt = restartedAt;
    const window =
      meta?.[ROLLOUT_ANNOTATION.rolloutWindow] ??
      template?.metadata?.annotations?.[ROLLOUT_ANNOTATION.rolloutWindow];
    if (window !== undefined && parsed.optIn) {
      lean.window = readRolloutWindow(window);
      if ('invalid' in lean.window)
        lean.problems.push({ annotation: ROLLOUT_ANNOTATION.rolloutWindow, message: lean.window.invalid });
    }
    return lean;
  };
}

/** Whether two cached states of a workload differ in anything but resourceVersion and rollout status. */
export function workloadChanged(a: WorkloadEntry | undefined, b: WorkloadEntry | undefined): boolean {
  if (!isLean(a) || !isLean(b)) return isLean(a) !== isLean(b);
  const bare = (w: LeanWorkload) => JSON.stringify({ ...w, resourceVersion: '', rollout: undefined });
  return bare(a) !== bare(b);
}
