// The rollout (Reloader) side: lean informers over every Secret and ConfigMap (per-key digests of
// the ones opted-in workloads read, nothing for the rest: interest.ts) and over every workload
// kind in kinds.ts (only opted-in workloads kept), indexes from
// objects to the workloads that read them, and a work queue keyed by workload. A change is decided
// at once; a restart within one window of the workload's last one waits for the window's end
// (cooldown.ts), so a burst makes one more patch. Informers run on every replica; workers on the
// leader only.
// Same shape as ExternalSecretController: start() → synced() → run() (leader) → stop().
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { LABEL, ROLLOUT_REASON } from '../../api/constants';
import { Informer } from '../../runtime/informer';
import { errorText } from '../../observability/log';
import { isApiError } from '../../kube/request';
import type { AppLogger } from '../../observability/logger';
import { ObjectGauge, type Metrics } from '../../observability/metrics';
import { done, retry, terminal, type Decision } from '../../runtime/decision';
import { WorkQueue } from '../../runtime/workqueue';
import { runReconcileWorkers } from '../../runtime/runner';
import { systemClock, type Clock, type TimerHandle } from '../../runtime/clock';
import { EventRecorder } from '../../kube/events';
import { resourcePath } from '../../kube/resources';
import { labelSelectorQuery } from '../../kube/selector';
import { matchesAny, OBJECT_KINDS, type ObjectKind } from './annotations';
import { decide, type DecideInput, type ObjectState, type RolloutDecision } from './decide';
import type { ParsedLabelSelector } from '../../config/label-selector';
import { matchesSelector } from '../secretstore/store-access';
import { changedKeys, rolloutMessage, rolloutReason, type SeenChange } from './describe';
import { rollTiming } from './cooldown';
import { ManyToMany } from '../../runtime/many-to-many';
import { gated, type ShardGate } from '../../runtime/shard-member';
import { digestKey, shortHash, type DigestKey } from './digest-format';
import { loadDigestKey, type DigestKeySecret } from './digest-key';
import { holdMessage, holdRestart, type Hold } from './hold';
import { fillTracked, isTracked, namesIn, UNTRACKED, type CachedObject } from './interest';
import { perKind, WORKLOAD_KINDS, WORKLOADS, type WorkloadKind, type WorkloadKindInfo } from './kinds';
import { evictOlderPods } from './evict';
import { OPTIONAL_API_RECHECK_MS, served } from './optional-api';
import { createRecreated, deleteForRecreate } from './recreate';
import { classifyPatchError, eventTarget, patchWorkload, type PatchContent } from './patch';
import { listWorkloadPods } from './pods';
import {
  isLean,
  projectConfigMap,
  projectSecret,
  projectWorkload,
  workloadChanged,
  type LeanWorkload,
  type ProjectOptions,
  type WorkloadEntry,
} from './project';
import { waitingAfter, type ReconcileOutcome, type WaitReason } from './waiting';
import type { GateDecision, ObservedRollout } from './gate';
import { pacingMessage, Pacing } from './pacing';

export interface RolloutControllerOptions {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  /** Watch one namespace only. */
  namespace?: string;
  /**
   * Minimum time between two rollouts of one workload unless its pause-period annotation says
   * otherwise: the first change rolls at once, later ones within the window roll at its end.
   */
  debounceMs: number;
  workers?: number;
  clock?: Clock;
  /** Items per list page for Secrets and ConfigMaps (they can be large); default 100. */
  objectPageSize?: number;
  /** Where the digest key lives (read or created at start), or the key itself (tests). */
  digestKey: DigestKeySecret | { bytes: Uint8Array };
  /** Flags that change which workloads, objects and events count (docs/reference.md). */
  selection?: RolloutSelection;
  /** Restarts in flight at once, cluster-wide (pacing.ts); 0 or absent: unlimited. */
  maxConcurrentRollouts?: number;
  /** How long a rollout counts at most without completing; default 10 min. */
  rolloutProgressTimeoutMs?: number;
  /** --sharding: decide only the workloads of namespaces this replica may act on. */
  shard?: ShardGate;
  /**
   * The Secrets not managed by the sync side are listed once this settles (the managed ones, and
   * the watch, at once): see managedSecrets(). Default: at once.
   */
  secretsRestAfter?: Promise<unknown>;
}

/** Reloader's command-line filters, as secretsync flags (config/index.ts parses them). */
export interface RolloutSelection extends ProjectOptions {
  /** --ignored-workload-types: these kinds are not watched at all. */
  ignoreWorkloadKinds?: readonly WorkloadKind[];
  /** --reload-on-create / --reload-on-delete (default true). */
  onCreate?: boolean;
  onDelete?: boolean;
  /** --namespace-selector: only workloads in namespaces with these labels. */
  namespaceSelector?: ParsedLabelSelector;
  /** --resource-label-selector: other Secrets and ConfigMaps count as reloader.stakater.com/ignore. */
  resourceSelector?: ParsedLabelSelector;
}

export const DEFAULT_ROLLOUT_PROGRESS_TIMEOUT_MS = 10 * 60_000;

/** After an RBAC denial, try again this much later (or when the workload changes), not in a loop. */
export const FORBIDDEN_RETRY_MS = 5 * 60_000;

/**
 * A held restart is decided again this much later (the kubelet retries a pull with a backoff of up
 * to 5 min), or at once when the workload changes (e.g. its image is fixed).
 */
export const HOLD_RECHECK_MS = 30_000;
/** rollout-strategy restart: after a PodDisruptionBudget refused an eviction, try again this much later. */
export const EVICTION_RETRY_MS = 10_000;

const split = (key: string) => {
  const [kind, namespace, name] = key.split('/') as [WorkloadKind, string, string];
  return { kind, namespace, name };
};

/** `Kind/ns/name` of the objects an opted-in workload's pod spec references. */
function referencedObjects(w: WorkloadEntry): string[] {
  return isLean(w) ? w.consumers.map((c) => `${c.kind}/${w.namespace}/${c.name}`) : [];
}

/** The namespace of a workload with a reload list (any object there may match it). */
function listingNamespace(w: WorkloadEntry): string[] {
  const lists =
    isLean(w) && w.optIn && (w.optIn.Secret.names.length > 0 || w.optIn.ConfigMap.names.length > 0);
  return lists ? [w.namespace] : [];
}

export class RolloutController {
  readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  private readonly objects: Record<ObjectKind, Informer<CachedObject>>;
  private readonly workloads: Record<WorkloadKind, Informer<WorkloadEntry>>;
  /** workload key → `Kind/ns/name` of the objects its pod spec references. */
  private readonly refs = new ManyToMany();
  /** namespace → workloads with a reload list (any object of the namespace may match). */
  private readonly listing = new ManyToMany();
  /** workload key → `Kind/name` → keys seen changing since it was last processed. */
  private readonly seen = new Map<string, Map<string, SeenChange>>();
  /** workload key → what was last reported about it (so warnings are not repeated). */
  private readonly reported = new Map<string, string>();
  /** secretsync_rollout_waiting: one series per workload whose rollout is held back. */
  private readonly waiting: ObjectGauge<'kind' | 'workload_namespace' | 'workload' | 'reason'>;
  private readonly log: AppLogger;
  private workers?: Promise<void>;
  /** Set before any decision: workers start only once it is. */
  private key?: DigestKey;
  private keyLoad?: Promise<DigestKey | undefined>;
  private readonly stopping = new AbortController();
  /** The kinds watched (not --ignored-workload-types); optional ones only once served. */
  private readonly kinds: readonly WorkloadKind[];
  /** Optional kinds whose API is not served (yet): not watched, re-checked now and then. */
  private readonly unserved = new Set<WorkloadKind>();
  private recheck?: TimerHandle;
  /** --namespace-selector: the selected namespaces (nothing else kept of them). */
  private readonly namespaces?: Informer<true>;
  /** Per-key digests of an object, with --resource-label-selector applied. */
  private readonly project: Record<ObjectKind, (obj: KubernetesObject) => ObjectState>;
  /** Jobs deleted for a restart, to be created again (recreate.ts). */
  private readonly recreating = new Map<string, KubernetesObject>();
  private readonly pacing: Pacing;

  constructor(private readonly opts: RolloutControllerOptions) {
    const clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<string>({ clock, baseDelayMs: 250, maxDelayMs: 60_000 });
    this.recorder = new EventRecorder(opts.kc, opts);
    this.log = opts.logger.child({ controller: 'rollout' });
    this.waiting = new ObjectGauge(opts.metrics.rolloutWaiting);
    const namespace = opts.namespace || undefined;
    const pageSize = opts.objectPageSize ?? 100;
    const selection = opts.selection ?? {};
    const resources = selection.resourceSelector;
    const selected = (obj: KubernetesObject, state: ObjectState): ObjectState =>
      resources && !matchesSelector(resources, obj.metadata?.labels ?? {})
        ? { ...state, ignore: true }
        : state;
    this.project = {
      Secret: (obj) => selected(obj, projectSecret(obj)),
      ConfigMap: (obj) => selected(obj, projectConfigMap(obj)),
    };
    if (selection.namespaceSelector)
      this.namespaces = new Informer<true>(opts.kc, {
        path: resourcePath('Namespace'),
        labelSelector: labelSelectorQuery(selection.namespaceSelector),
        ...(namespace ? { fieldSelector: `metadata.name=${namespace}` } : {}),
        project: () => true,
        logger: this.log,
        clock,
      });
    this.objects = {
      Secret: new Informer<CachedObject>(opts.kc, {
        path: resourcePath('Secret', { namespace }),
        project: (obj) => (this.tracks('Secret', obj) ? this.project.Secret(obj) : UNTRACKED),
        pageSize,
        logger: this.log,
        clock,
        // The sync side's Secrets first (managedSecrets()): it starts on them while the rest is read.
        listFirst: {
          labelSelector: `${LABEL.managed}=true`,
          restSelector: `${LABEL.managed}!=true`,
          matches: (obj) => obj.metadata?.labels?.[LABEL.managed] === 'true',
          pageSize: 500,
          restAfter: opts.secretsRestAfter,
        },
      }),
      ConfigMap: new Informer<CachedObject>(opts.kc, {
        path: resourcePath('ConfigMap', { namespace }),
        project: (obj) => (this.tracks('ConfigMap', obj) ? this.project.ConfigMap(obj) : UNTRACKED),
        pageSize,
        logger: this.log,
        clock,
      }),
    };
    const workload = (kind: WorkloadKind) =>
      new Informer<WorkloadEntry>(opts.kc, {
        path: resourcePath(kind, { namespace }),
        project: projectWorkload(kind, selection),
        logger: this.log,
        clock,
        // A CRD removed while running: a failed list now and then, not every 30 s.
        ...(WORKLOADS[kind].optional ? { backoff: { maxMs: OPTIONAL_API_RECHECK_MS } } : {}),
      });
    this.kinds = WORKLOAD_KINDS.filter((k) => !selection.ignoreWorkloadKinds?.includes(k));
    this.workloads = perKind(workload);
    this.pacing = new Pacing({
      limit: opts.maxConcurrentRollouts || Infinity,
      timeoutMs: opts.rolloutProgressTimeoutMs ?? DEFAULT_ROLLOUT_PROGRESS_TIMEOUT_MS,
      clock,
      // Not one backing off after a failure: its retry comes in its own time.
      requeue: (wk) => {
        if (this.queue.numRequeues(wk) === 0) this.queue.add(wk);
      },
      abandoned: (wk, why) => this.abandoned(wk, why),
      count: (n) => opts.metrics.rolloutsInFlight.set(n),
    });
    this.wire();
  }

  /**
   * The Secrets the sync side writes (label managed=true), with its own projection, fed by this
   * side's Secret watch: one list and one watch of Secrets for both. Ready once they are listed,
   * before the rest of the Secrets (which only this side needs).
   */
  managedSecrets<U>(project: (obj: KubernetesObject) => U): Informer<U> {
    return this.objects.Secret.firstPart(project);
  }

  private wire(): void {
    this.namespaces?.on('add', (name) => this.onNamespace(name));
    this.namespaces?.on('delete', (name) => this.onNamespace(name));
    for (const kind of OBJECT_KINDS) {
      const inf = this.objects[kind];
      inf.on('add', (key, item) => this.onObject(kind, key, undefined, item));
      inf.on('update', (key, item, old) => this.onObject(kind, key, old, item));
      inf.on('delete', (key, _last, cached) => this.onObject(kind, key, cached, undefined));
    }
    for (const kind of this.kinds) {
      const inf = this.workloads[kind];
      // Kept by the informers (one index for the three kinds, keyed `Kind/ns/name`); up to date
      // before the handlers below run.
      const workloadKey = (key: string) => `${kind}/${key}`;
      inf.addIndex(this.refs, referencedObjects, workloadKey);
      inf.addIndex(this.listing, listingNamespace, workloadKey);
      const onWorkload = (key: string, item: WorkloadEntry, old?: WorkloadEntry) => {
        const wk = `${kind}/${key}`;
        if (!isLean(item)) return this.forgetWorkload(wk);
        this.pacing.observe(wk, item.rollout);
        if (old !== undefined && !workloadChanged(old, item)) return; // status-only update
        this.queue.add(wk);
      };
      inf.on('add', onWorkload);
      inf.on('update', onWorkload);
      inf.on('delete', (key) => this.forgetWorkload(`${kind}/${key}`));
    }
  }

  /** A namespace entering or leaving --namespace-selector: its workloads decide again. */
  private onNamespace(name: string): void {
    if (!this.namespaces?.hasSynced()) return;
    const prefix = `${name}/`;
    for (const kind of this.watched())
      for (const key of this.workloads[kind].keys())
        if (key.startsWith(prefix) && isLean(this.workloads[kind].get(key)))
          this.queue.addAfter(`${kind}/${key}`, this.opts.debounceMs);
  }

  /** Whether an opted-in workload reads `obj` or lists it by name (then its digests are kept). */
  private tracks(kind: ObjectKind, obj: KubernetesObject): boolean {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    if (this.refs.has(`${kind}/${ns}/${name}`)) return true;
    for (const wk of this.listing.keysFor(ns)) {
      const { kind: wkind, name: wname } = split(wk);
      const optIn = this.workloads[wkind]?.get(`${ns}/${wname}`);
      if (isLean(optIn) && optIn.optIn && matchesAny(name, optIn.optIn[kind].names)) return true;
    }
    return false;
  }

  private forgetWorkload(wk: string): void {
    this.seen.delete(wk);
    this.reported.delete(`${wk}#problems`);
    this.reported.delete(`${wk}#forbidden`);
    this.reported.delete(`${wk}#held`);
    this.reported.delete(`${wk}#refused`);
    this.waiting.delete(wk);
    this.pacing.forget(wk);
    this.queue.forget(wk);
  }

  /** Keeps the workload's series of secretsync_rollout_waiting after a reconcile. */
  private noteWaiting(wk: string, w: LeanWorkload, outcome: ReconcileOutcome): void {
    const before = this.waiting.labels(wk)?.reason as WaitReason | undefined;
    const reason = waitingAfter(outcome, w, before);
    if (reason !== 'max-concurrent-rollouts' && reason !== 'rollout-window') this.pacing.leave(wk);
    if (reason === undefined) this.waiting.delete(wk);
    else this.waiting.set(wk, { kind: w.kind, workload_namespace: w.namespace, workload: w.name, reason }, 1);
  }

  private onObject(
    kind: ObjectKind,
    key: string,
    cachedBefore?: CachedObject,
    cachedAfter?: CachedObject,
  ): void {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    const name = key.slice(slash + 1);
    // No workload reads an untracked object and its name matches no reload list (also when it has
    // just become untracked: the workload that stopped reading it was queued itself). Workloads
    // with a reload list in its namespace still decide again, as for any object there.
    const untracked = cachedAfter === UNTRACKED || (cachedAfter === undefined && !isTracked(cachedBefore));
    if (untracked && !this.listing.has(ns)) return;
    // An object becoming tracked by a watch event: which keys changed is unknown (none reported).
    const known = cachedBefore === undefined || isTracked(cachedBefore);
    const before = isTracked(cachedBefore) ? cachedBefore : undefined;
    const after = isTracked(cachedAfter) ? cachedAfter : undefined;
    const keys = known && !untracked ? changedKeys(before?.keys, after?.keys) : [];
    if (
      !untracked &&
      before &&
      after &&
      keys.length === 0 &&
      before.ignore === after.ignore &&
      before.match === after.match
    )
      return;
    // The first list's adds are not changes; afterwards (watch events, relists) they are.
    const observed = this.objects[kind].hasSynced();
    const candidates = new Set([...this.refs.keysFor(`${kind}/${key}`), ...this.listing.keysFor(ns)]);
    for (const wk of candidates) {
      if (observed) {
        let seen = this.seen.get(wk);
        if (!seen) this.seen.set(wk, (seen = new Map()));
        const id = `${kind}/${name}`;
        let s = seen.get(id);
        if (!s) seen.set(id, (s = { keys: new Set() }));
        for (const k of keys) s.keys.add(k);
      }
      this.queue.add(wk);
    }
  }

  /** One workload: decide, then patch (record or restart) and report. */
  async reconcile(wk: string): Promise<Decision> {
    const { kind, namespace, name } = split(wk);
    const key = this.key;
    if (!key) return retry(new Error('the digest key is not loaded yet'));
    const pending = this.recreating.get(wk);
    if (pending) return this.createRecreated(wk, pending);
    const w = this.workloads[kind]?.get(`${namespace}/${name}`);
    if (!isLean(w)) {
      this.seen.delete(wk);
      this.waiting.delete(wk);
      return done();
    }
    this.reportProblems(wk, w);
    if (!w.optIn || (this.namespaces && this.namespaces.get(namespace) === undefined)) {
      this.seen.delete(wk);
      this.waiting.delete(wk);
      this.pacing.leave(wk);
      return done();
    }
    const input: DecideInput = {
      optIn: w.optIn,
      consumers: w.consumers,
      object: (k, n) => {
        const o = this.objects[k].get(`${namespace}/${n}`);
        return isTracked(o) ? o : undefined;
      },
      names: (k) => namesIn(this.objects[k], namespace),
      recorded: { hash: w.recordedHash, objects: w.recordedObjects },
      key,
      onCreate: this.opts.selection?.onCreate,
      onDelete: this.opts.selection?.onDelete,
    };
    try {
      await this.fillUntracked(namespace, input);
    } catch (err) {
      return retry(err);
    }
    const d = decide(input);
    // Taken now: changes seen from here on belong to the next decision.
    const seen = this.seen.get(wk);
    this.seen.delete(wk);
    const now = this.queue.clock.now();
    const timing =
      d.action === 'restart'
        ? rollTiming({
            lastRolloutAt: w.lastRolloutAt,
            now,
            windowMs: w.pausePeriodMs ?? this.opts.debounceMs,
          })
        : undefined;
    this.log.debug(
      {
        workload: wk,
        action: timing?.roll === 'later' ? 'hold' : d.action,
        ...(d.action === 'wait' ? { missing: d.missing } : { hash: shortHash(d.hash) }),
        ...(timing?.roll === 'later' ? { until: new Date(timing.at).toISOString() } : {}),
        seen: [...(seen?.keys() ?? [])],
      },
      'rollout decision',
    );
    if (timing?.roll === 'later') {
      // Rolled less than one window ago: decide again when it ends, with what was seen kept.
      if (seen) this.restoreSeen(wk, seen);
      this.noteWaiting(wk, w, 'cooling');
      return done(timing.at - now);
    }
    if (d.action === 'none' && w.strategy === 'restart' && w.selector && w.restartRequestedAt)
      return this.evict(wk, w, w.selector, w.restartRequestedAt);
    if (d.action === 'wait' || d.action === 'none') {
      this.noteWaiting(wk, w, d.action === 'wait' ? 'missing' : 'settled');
      return done();
    }
    if (d.action === 'restart') {
      let hold: Hold | undefined;
      try {
        hold = await this.holdFor(wk, w);
      } catch (err) {
        if (seen) this.restoreSeen(wk, seen);
        return retry(err);
      }
      if (hold) {
        if (seen) this.restoreSeen(wk, seen);
        return this.held(wk, w, hold);
      }
    }
    return this.apply(wk, w, d, seen);
  }

  /** Whether the restart waits for pods that cannot pull their image (hold.ts). */
  private async holdFor(wk: string, w: LeanWorkload): Promise<Hold | undefined> {
    if (w.selector === undefined) return undefined;
    try {
      return holdRestart(await listWorkloadPods(this.opts.kc, w.namespace, w.selector));
    } catch (err) {
      // RBAC from before pods were read (list pods): roll as Reloader does, without the check.
      if (!isApiError(err, 403)) throw err;
      if (this.reported.get('pods#forbidden') === undefined) {
        this.reported.set('pods#forbidden', '1');
        this.log.warn(
          { workload: wk, err: errorText(err) },
          'may not list pods: restarts are not held for pods that cannot pull their image (grant list on pods)',
        );
      }
      return undefined;
    }
  }

  private held(wk: string, w: LeanWorkload, hold: Hold): Decision {
    this.noteWaiting(wk, w, 'held');
    const message = holdMessage(w.kind, hold);
    const key = `${wk}#held`;
    if (this.reported.get(key) !== message) {
      this.reported.set(key, message);
      this.log.info({ workload: wk, pods: hold.pods, reasons: hold.reasons }, 'rollout held');
      void this.recorder.event(eventTarget(w), 'Warning', ROLLOUT_REASON.Held, message);
    }
    return done(HOLD_RECHECK_MS);
  }

  /**
   * Reads once the objects this workload reads or lists that were cached untracked (a workload
   * started reading them after they were last seen). An untracked object looks absent to
   * trackedObjects, so it is found among the consumers and the listed names, not its result.
   */
  private async fillUntracked(namespace: string, input: DecideInput): Promise<void> {
    const project = this.project;
    for (const kind of OBJECT_KINDS) {
      const inf = this.objects[kind];
      const o = input.optIn[kind];
      if (!o.auto && !o.search && o.names.length === 0) continue; // this kind rolls nothing
      const wanted = new Set<string>();
      for (const c of input.consumers)
        if (c.kind === kind && (o.auto || o.search || matchesAny(c.name, o.names))) wanted.add(c.name);
      if (o.names.length > 0) for (const n of input.names(kind)) if (matchesAny(n, o.names)) wanted.add(n);
      const untracked = [...wanted].filter((n) => inf.get(`${namespace}/${n}`) === UNTRACKED);
      if (untracked.length > 0)
        await fillTracked(this.opts.kc, inf, kind, namespace, untracked, project[kind]);
    }
  }

  private async apply(
    wk: string,
    w: LeanWorkload,
    d: Extract<RolloutDecision, { action: 'record' | 'restart' }>,
    seen: Map<string, SeenChange> | undefined,
  ): Promise<Decision> {
    const restart = d.action === 'restart';
    const content: PatchContent = { hash: d.hash, objects: d.objects };
    if (restart) {
      const restartedAt = (content.restartedAt = new Date(this.queue.clock.now()).toISOString());
      const gate = this.pacing.admit(wk, w.window, restartedAt);
      if (gate.action === 'wait') return this.paced(wk, w, gate, seen);
    }
    const info: WorkloadKindInfo = WORKLOADS[w.kind];
    const recreate = restart && info.restart === 'recreate';
    if (restart && w.strategy === 'restart') content.via = info.podRestart;
    try {
      if (recreate) this.recreating.set(wk, await deleteForRecreate(this.opts.kc, w, content));
      else await patchWorkload(this.opts.kc, w, content);
    } catch (err) {
      if (content.restartedAt !== undefined)
        this.pacing.cancel(wk, content.restartedAt, this.cachedRollout(wk));
      if (seen) this.restoreSeen(wk, seen);
      // Reloader counts an update that failed; a conflict is decided again at once, a workload gone has nothing to restart.
      const cls = classifyPatchError(err);
      if (restart && cls !== 'conflict' && cls !== 'gone') this.opts.metrics.reloaded(w.namespace, false);
      return this.patchFailed(wk, w, err);
    }
    this.reported.delete(`${wk}#forbidden`);
    this.reported.delete(`${wk}#held`);
    this.noteWaiting(wk, w, restart ? 'restarted' : 'settled');
    if (!restart) {
      // Moving to keyed digests (or a new key) happens once per workload: worth an info line.
      const once = d.why === 'migrated' || d.why === 'rekeyed';
      this.log[once ? 'info' : 'debug'](
        { workload: wk, hash: shortHash(d.hash), why: d.why },
        'recorded hash',
      );
      return done();
    }
    const message = rolloutMessage(d.changes, seen, d.hash);
    const reason = rolloutReason(d.changes);
    this.opts.metrics.rollouts.inc({ kind: w.kind, reason });
    this.opts.metrics.reloaded(w.namespace, true);
    this.log.info({ workload: wk, reason, hash: shortHash(d.hash), message }, 'rolling out');
    const target = eventTarget(w);
    void this.recorder.event(target, 'Normal', ROLLOUT_REASON.Rollout, message);
    if (w.paused)
      void this.recorder.event(
        target,
        'Normal',
        ROLLOUT_REASON.Paused,
        `${w.kind} is paused: its pod template is updated and pods change when it is resumed`,
      );
    if (w.onDelete)
      void this.recorder.event(
        target,
        'Normal',
        ROLLOUT_REASON.OnDelete,
        `${w.kind} uses updateStrategy OnDelete: its pod template is updated, but pods change only when they are deleted`,
      );
    const pending = this.recreating.get(wk);
    if (pending) return this.createRecreated(wk, pending);
    if (content.via === 'evict' && w.selector && content.restartedAt)
      return this.evict(wk, w, w.selector, content.restartedAt);
    return done();
  }

  /** The second half of a Job's restart: create it again (until the old one is gone). */
  private async createRecreated(wk: string, job: KubernetesObject): Promise<Decision> {
    try {
      if (!(await createRecreated(this.opts.kc, job)))
        return retry(new Error('the old Job is still being deleted'));
    } catch (err) {
      this.log.error({ workload: wk, err: errorText(err) }, 'could not create the Job again; retrying');
      return retry(err);
    }
    this.recreating.delete(wk);
    this.log.info({ workload: wk }, 'Job created again');
    return done();
  }

  /** rollout-strategy restart by eviction: evicts pods older than the request (evict.ts). */
  private async evict(wk: string, w: LeanWorkload, selector: string, requestedAt: string): Promise<Decision> {
    let result;
    try {
      result = await evictOlderPods(this.opts.kc, w.namespace, selector, requestedAt);
    } catch (err) {
      if (classifyPatchError(err) === 'forbidden') return this.patchFailed(wk, w, err);
      return retry(err);
    }
    if (result.evicted.length > 0)
      this.log.info({ workload: wk, pods: result.evicted }, 'evicted pods (rollout-strategy restart)');
    if (result.refused.length === 0) return done();
    const key = `${wk}#refused`;
    if (this.reported.get(key) !== requestedAt) {
      this.reported.set(key, requestedAt);
      void this.recorder.event(
        eventTarget(w),
        'Normal',
        ROLLOUT_REASON.EvictionRefused,
        `a PodDisruptionBudget refused evicting ${result.refused.length} pod(s); trying again in ${EVICTION_RETRY_MS / 1000}s`,
      );
    }
    return done(EVICTION_RETRY_MS);
  }

  /** Pacing holds the restart: report it once per reason, decide again when the window opens. */
  private paced(
    wk: string,
    w: LeanWorkload,
    gate: Extract<GateDecision, { action: 'wait' }>,
    seen: Map<string, SeenChange> | undefined,
  ): Decision {
    if (seen) this.restoreSeen(wk, seen);
    const before = this.waiting.labels(wk)?.reason;
    this.noteWaiting(wk, w, gate.reason);
    if (before !== gate.reason) {
      const message = pacingMessage(gate, this.opts.maxConcurrentRollouts ?? 0, w.window);
      this.log.info({ workload: wk, reason: gate.reason, message }, 'rollout waits');
      const reason = gate.reason === 'rollout-window' ? ROLLOUT_REASON.Window : ROLLOUT_REASON.MaxConcurrent;
      void this.recorder.event(eventTarget(w), 'Normal', reason, message);
    }
    if (gate.reason === 'rollout-window' && gate.opensAt !== undefined)
      return done(Math.max(0, gate.opensAt - this.queue.clock.now()));
    return done(); // a slot that frees re-queues it (pacing.ts)
  }

  /** A rollout stopped counting against the limit without completing: say so on the workload. */
  private abandoned(wk: string, why: 'stalled' | 'timed-out'): void {
    const { kind, namespace, name } = split(wk);
    const w = this.workloads[kind]?.get(`${namespace}/${name}`);
    const seconds = Math.round(
      (this.opts.rolloutProgressTimeoutMs ?? DEFAULT_ROLLOUT_PROGRESS_TIMEOUT_MS) / 1000,
    );
    const message =
      why === 'stalled'
        ? `${kind} reports ProgressDeadlineExceeded: its rollout no longer counts against --max-concurrent-rollouts`
        : `rollout not complete after --rollout-progress-timeout (${seconds}s): it no longer counts against --max-concurrent-rollouts`;
    this.log.warn({ workload: wk, why }, message);
    if (isLean(w))
      void this.recorder.event(eventTarget(w), 'Warning', ROLLOUT_REASON.ProgressTimeout, message);
  }

  private cachedRollout(wk: string): ObservedRollout | undefined {
    const { kind, namespace, name } = split(wk);
    const w = this.workloads[kind]?.get(`${namespace}/${name}`);
    return isLean(w) ? w.rollout : undefined;
  }

  /** Puts back what a failed attempt had taken, merged with what was seen meanwhile. */
  private restoreSeen(wk: string, taken: Map<string, SeenChange>): void {
    const now = this.seen.get(wk);
    if (!now) {
      this.seen.set(wk, taken);
      return;
    }
    for (const [id, change] of taken) {
      const cur = now.get(id);
      if (!cur) now.set(id, change);
      else for (const k of change.keys) cur.keys.add(k);
    }
  }

  private patchFailed(wk: string, w: LeanWorkload, err: unknown): Decision {
    switch (classifyPatchError(err)) {
      case 'conflict':
        this.log.debug({ workload: wk }, 'workload changed since it was read; deciding again');
        return retry(err);
      case 'gone':
        this.waiting.delete(wk);
        return done();
      case 'forbidden': {
        this.noteWaiting(wk, w, 'forbidden');
        const key = `${wk}#forbidden`;
        if (this.reported.get(key) === undefined) {
          this.reported.set(key, '1');
          const message = `secretsync may not patch ${WORKLOADS[w.kind].plural} in ${w.namespace} (RBAC): ${errorText(err)}`;
          this.log.error({ workload: wk, err: errorText(err) }, 'rollout forbidden; trying again in 5 min');
          void this.recorder.event(eventTarget(w), 'Warning', ROLLOUT_REASON.Forbidden, message);
        }
        return done(FORBIDDEN_RETRY_MS);
      }
      case 'invalid':
        this.noteWaiting(wk, w, 'settled');
        this.log.error({ workload: wk, err: errorText(err) }, 'rollout patch rejected');
        void this.recorder.event(eventTarget(w), 'Warning', ROLLOUT_REASON.Failed, errorText(err));
        return terminal(errorText(err));
      case 'transient':
        return retry(err);
    }
  }

  private reportProblems(wk: string, w: LeanWorkload): void {
    const key = `${wk}#problems`;
    if (w.problems.length === 0) {
      this.reported.delete(key);
      return;
    }
    const signature = JSON.stringify(w.problems);
    if (this.reported.get(key) === signature) return;
    this.reported.set(key, signature);
    for (const p of w.problems.slice(0, 5)) {
      this.log.warn(
        { workload: wk, annotation: p.annotation, problem: p.message },
        'invalid rollout annotation',
      );
      void this.recorder.event(
        eventTarget(w),
        'Warning',
        p.unsupported ? ROLLOUT_REASON.UnsupportedAnnotation : ROLLOUT_REASON.InvalidAnnotation,
        `annotation ${p.annotation}: ${p.message}`,
      );
    }
  }

  /**
   * Starts every informer; resolves once all have listed once. Workloads first: which Secrets and
   * ConfigMaps are tracked depends on them, so the (larger) object lists keep digests of exactly
   * those, with no read-back afterwards.
   */
  async start(): Promise<void> {
    this.keyLoad ??= this.loadKey();
    await this.discover();
    await this.namespaces?.start();
    await Promise.all(this.watched().map((k) => this.workloads[k].start()));
    await Promise.all(OBJECT_KINDS.map((k) => this.objects[k].start()));
  }

  /** Kinds whose informer runs: not ignored, and served. */
  private watched(): WorkloadKind[] {
    return this.kinds.filter((k) => !this.unserved.has(k));
  }

  /**
   * Which optional kinds (CRDs) are served. One info line when one is not; checked again every
   * OPTIONAL_API_RECHECK_MS, and its informer started once it is (its workloads are then seen
   * for the first time: recorded, not restarted).
   */
  private async discover(): Promise<void> {
    for (const kind of this.kinds) {
      if (!WORKLOADS[kind].optional) continue;
      const { group, version, plural } = WORKLOADS[kind];
      let ok: boolean;
      try {
        ok = await served(this.opts.kc, WORKLOADS[kind]);
      } catch (err) {
        this.log.warn({ kind, err: errorText(err) }, 'API discovery failed; trying again later');
        ok = false;
      }
      if (ok && this.unserved.delete(kind)) {
        this.log.info({ kind }, `${group}/${version} ${plural} is now served; watching them`);
        void this.workloads[kind].start().catch(() => undefined); // stop() ends it
      } else if (!ok && !this.unserved.has(kind)) {
        this.unserved.add(kind);
        this.log.info(
          { kind, recheckMs: OPTIONAL_API_RECHECK_MS },
          `${group}/${version} ${plural} is not served (CRD not installed): not watching ${kind}s`,
        );
      }
    }
    if (this.unserved.size > 0 && !this.stopping.signal.aborted)
      this.recheck = this.queue.clock.setTimeout(() => {
        this.discover().catch((err: unknown) =>
          this.log.warn({ err: errorText(err) }, 'API discovery failed'),
        );
      }, OPTIONAL_API_RECHECK_MS);
  }

  synced(): boolean {
    return (
      OBJECT_KINDS.every((k) => this.objects[k].hasSynced()) &&
      (this.namespaces?.hasSynced() ?? true) &&
      this.watched().every((k) => this.workloads[k].hasSynced())
    );
  }

  /**
   * The digest key, read (or created) before anything is decided. Not part of start(): a key that
   * cannot be read (RBAC, a malformed Secret) holds back rollouts, not the ExternalSecret side.
   */
  private async loadKey(): Promise<DigestKey | undefined> {
    const ref = this.opts.digestKey;
    try {
      this.key =
        'bytes' in ref
          ? digestKey(ref.bytes)
          : await loadDigestKey(this.opts.kc, ref, this.log, this.stopping.signal, this.queue.clock);
    } catch {
      return undefined; // stopped while loading
    }
    return this.key;
  }

  /** Runs the workers until stop(); call on the leader only, after start() resolved. */
  async run(): Promise<void> {
    const key = await (this.keyLoad ??= this.loadKey());
    if (!key) return;
    this.pacing.start();
    this.workers = runReconcileWorkers({
      controller: 'rollout',
      queue: this.queue,
      workers: this.opts.workers ?? 2,
      reconcile: (wk) => gated(this.opts.shard, split(wk).namespace, () => this.reconcile(wk)),
      metrics: this.opts.metrics,
      logger: this.log,
      // A conflict is decided again at once; terminal results are logged where they are decided.
      results: {
        keyField: 'workload',
        retry: 'rollout failed; retrying with backoff',
        quietRetry: (err) => isApiError(err, 409),
      },
    });
    return this.workers;
  }

  /** The shard ring changed (--sharding): enqueue what this replica may act on, unreport the rest. */
  shardChanged(mayAct: (namespace: string) => boolean): void {
    for (const kind of this.kinds)
      for (const k of this.workloads[kind]?.keysView() ?? []) {
        if (mayAct(k.slice(0, k.indexOf('/')))) this.queue.add(`${kind}/${k}`);
        else this.waiting.delete(`${kind}/${k}`);
      }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.recheck) this.queue.clock.clearTimeout(this.recheck);
    this.pacing.stop();
    await this.keyLoad;
    await this.queue.shutdown();
    await this.workers;
    await Promise.all([
      ...OBJECT_KINDS.map((k) => this.objects[k].stop()),
      ...this.kinds.map((k) => this.workloads[k].stop()),
      this.namespaces?.stop(),
    ]);
  }

  /** For tests and measurements: the cached state of an object (UNTRACKED when none is kept). */
  cachedObject(kind: ObjectKind, namespace: string, name: string): CachedObject | undefined {
    return this.objects[kind].get(`${namespace}/${name}`);
  }
}
