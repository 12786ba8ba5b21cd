// The rollout (Reloader) side: lean informers over every Secret and ConfigMap (per-key digests of
// the ones opted-in workloads read, nothing for the rest: interest.ts) and over every workload
// kind in kinds.ts (only opted-in workloads kept), indexes from
// objects to the workloads that read them, and a work queue keyed by workload with a debounce, so
// a burst of changes makes one patch. Informers run on every replica; workers on the leader only.
// Same shape as ExternalSecretController: start() → synced() → run() (leader) → stop().
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ROLLOUT_REASON } from '../../api/constants';
import { Informer } from '../../runtime/informer';
import { errorText } from '../../observability/log';
import { isApiError } from '../../kube/request';
import type { AppLogger } from '../../observability/logger';
import { ObjectGauge, type Metrics } from '../../observability/metrics';
import { done, retry, terminal, type Decision } from '../../runtime/decision';
import { WorkQueue } from '../../runtime/workqueue';
import { runReconcileWorkers } from '../../runtime/runner';
import { systemClock, type Clock } from '../../runtime/clock';
import { EventRecorder } from '../../kube/events';
import { resourcePath } from '../../kube/resources';
import { matchesAny, OBJECT_KINDS, type ObjectKind } from './annotations';
import { decide, type DecideInput, type RolloutDecision } from './decide';
import { changedKeys, rolloutMessage, rolloutReason, type SeenChange } from './describe';
import { ManyToMany } from '../../runtime/many-to-many';
import { digestKey, shortHash, type DigestKey } from './digest-format';
import { loadDigestKey, type DigestKeySecret } from './digest-key';
import { fillTracked, isTracked, namesIn, UNTRACKED, type CachedObject } from './interest';
import { perKind, WORKLOAD_KINDS, WORKLOADS, type WorkloadKind } from './kinds';
import { classifyPatchError, eventTarget, patchWorkload, type PatchContent } from './patch';
import {
  isLean,
  projectConfigMap,
  projectSecret,
  projectWorkload,
  workloadChanged,
  type LeanWorkload,
  type WorkloadEntry,
} from './project';
import { waitingAfter, type ReconcileOutcome, type WaitReason } from './waiting';
import type { GateDecision, ObservedRollout } from './gate';
import { holdMessage, Pacing } from './pacing';

export interface RolloutControllerOptions {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  /** Watch one namespace only. */
  namespace?: string;
  /** Changes to one workload within this window make one rollout. */
  debounceMs: number;
  workers?: number;
  clock?: Clock;
  /** Items per list page for Secrets and ConfigMaps (they can be large); default 100. */
  objectPageSize?: number;
  /** Where the digest key lives (read or created at start), or the key itself (tests). */
  digestKey: DigestKeySecret | { bytes: Uint8Array };
  /** Restarts in flight at once, cluster-wide (pacing.ts); 0 or absent: unlimited. */
  maxConcurrentRollouts?: number;
  /** How long a rollout counts at most without completing; default 10 min. */
  rolloutProgressTimeoutMs?: number;
}

export const DEFAULT_ROLLOUT_PROGRESS_TIMEOUT_MS = 10 * 60_000;

/** After an RBAC denial, try again this much later (or when the workload changes), not in a loop. */
export const FORBIDDEN_RETRY_MS = 5 * 60_000;

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
  private readonly pacing: Pacing;

  constructor(private readonly opts: RolloutControllerOptions) {
    const clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<string>({ clock, baseDelayMs: 250, maxDelayMs: 60_000 });
    this.recorder = new EventRecorder(opts.kc, opts);
    this.log = opts.logger.child({ controller: 'rollout' });
    this.waiting = new ObjectGauge(opts.metrics.rolloutWaiting);
    const namespace = opts.namespace || undefined;
    const pageSize = opts.objectPageSize ?? 100;
    this.objects = {
      Secret: new Informer<CachedObject>(opts.kc, {
        path: resourcePath('Secret', { namespace }),
        project: (obj) => (this.tracks('Secret', obj) ? projectSecret(obj) : UNTRACKED),
        pageSize,
        logger: this.log,
        clock,
      }),
      ConfigMap: new Informer<CachedObject>(opts.kc, {
        path: resourcePath('ConfigMap', { namespace }),
        project: (obj) => (this.tracks('ConfigMap', obj) ? projectConfigMap(obj) : UNTRACKED),
        pageSize,
        logger: this.log,
        clock,
      }),
    };
    const workload = (kind: WorkloadKind) =>
      new Informer<WorkloadEntry>(opts.kc, {
        path: resourcePath(kind, { namespace }),
        project: projectWorkload(kind),
        logger: this.log,
        clock,
      });
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

  private wire(): void {
    for (const kind of OBJECT_KINDS) {
      const inf = this.objects[kind];
      inf.on('add', (key, item) => this.onObject(kind, key, undefined, item));
      inf.on('update', (key, item, old) => this.onObject(kind, key, old, item));
      inf.on('delete', (key, _last, cached) => this.onObject(kind, key, cached, undefined));
    }
    for (const kind of WORKLOAD_KINDS) {
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
        this.queue.addAfter(wk, this.opts.debounceMs);
      };
      inf.on('add', onWorkload);
      inf.on('update', onWorkload);
      inf.on('delete', (key) => this.forgetWorkload(`${kind}/${key}`));
    }
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
      this.queue.addAfter(wk, this.opts.debounceMs);
    }
  }

  /** One workload: decide, then patch (record or restart) and report. */
  async reconcile(wk: string): Promise<Decision> {
    const { kind, namespace, name } = split(wk);
    const key = this.key;
    if (!key) return retry(new Error('the digest key is not loaded yet'));
    const w = this.workloads[kind]?.get(`${namespace}/${name}`);
    if (!isLean(w)) {
      this.seen.delete(wk);
      this.waiting.delete(wk);
      return done();
    }
    this.reportProblems(wk, w);
    if (!w.optIn) {
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
    this.log.debug(
      {
        workload: wk,
        action: d.action,
        ...(d.action === 'wait' ? { missing: d.missing } : { hash: shortHash(d.hash) }),
        seen: [...(seen?.keys() ?? [])],
      },
      'rollout decision',
    );
    if (d.action === 'wait' || d.action === 'none') {
      this.noteWaiting(wk, w, d.action === 'wait' ? 'missing' : 'settled');
      return done();
    }
    return this.apply(wk, w, d, seen);
  }

  /**
   * Reads once the objects this workload reads or lists that were cached untracked (a workload
   * started reading them after they were last seen). An untracked object looks absent to
   * trackedObjects, so it is found among the consumers and the listed names, not its result.
   */
  private async fillUntracked(namespace: string, input: DecideInput): Promise<void> {
    const project = { Secret: projectSecret, ConfigMap: projectConfigMap };
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
      if (gate.action === 'wait') return this.held(wk, w, gate, seen);
    }
    try {
      await patchWorkload(this.opts.kc, w, content);
    } catch (err) {
      if (content.restartedAt !== undefined)
        this.pacing.cancel(wk, content.restartedAt, this.cachedRollout(wk));
      if (seen) this.restoreSeen(wk, seen);
      return this.patchFailed(wk, w, err);
    }
    this.reported.delete(`${wk}#forbidden`);
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
    return done();
  }

  /** Pacing holds the restart: report it once per reason, decide again when the window opens. */
  private held(
    wk: string,
    w: LeanWorkload,
    gate: Extract<GateDecision, { action: 'wait' }>,
    seen: Map<string, SeenChange> | undefined,
  ): Decision {
    if (seen) this.restoreSeen(wk, seen);
    const before = this.waiting.labels(wk)?.reason;
    this.noteWaiting(wk, w, gate.reason);
    if (before !== gate.reason) {
      const message = holdMessage(gate, this.opts.maxConcurrentRollouts ?? 0, w.window);
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
        ROLLOUT_REASON.InvalidAnnotation,
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
    await Promise.all(WORKLOAD_KINDS.map((k) => this.workloads[k].start()));
    await Promise.all(OBJECT_KINDS.map((k) => this.objects[k].start()));
  }

  synced(): boolean {
    return (
      OBJECT_KINDS.every((k) => this.objects[k].hasSynced()) &&
      WORKLOAD_KINDS.every((k) => this.workloads[k].hasSynced())
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
      reconcile: (wk) => this.reconcile(wk),
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

  async stop(): Promise<void> {
    this.stopping.abort();
    this.pacing.stop();
    await this.keyLoad;
    await this.queue.shutdown();
    await this.workers;
    await Promise.all([
      ...OBJECT_KINDS.map((k) => this.objects[k].stop()),
      ...WORKLOAD_KINDS.map((k) => this.workloads[k].stop()),
    ]);
  }

  /** For tests and measurements: the cached state of an object (UNTRACKED when none is kept). */
  cachedObject(kind: ObjectKind, namespace: string, name: string): CachedObject | undefined {
    return this.objects[kind].get(`${namespace}/${name}`);
  }
}
