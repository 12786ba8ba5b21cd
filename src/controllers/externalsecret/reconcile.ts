// One reconcile of one ExternalSecret, as named phases: check the spec, resolve the stores, decide
// whether to refresh, read templateFrom sources, check version tags, fetch, plan the write, write,
// remember. I/O goes through
// `deps` (the apiserver and providers at the edges); the decisions are the pure functions beside
// this file, and what each failure means is one table (retry-policy.ts). A provider failure never
// touches the last good Secret.
import type { V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret, SecretStoreRef } from '../../api/generated';
import { ANNOTATION, ES_REASON, LABEL } from '../../api/constants';
import { KubeApiError } from '../../kube/request';
import { validateCron, validateSyncWindows } from '../../runtime/cron';
import { done, retry, type Decision } from '../../runtime/decision';
import type { NoSecretError } from '../../providers/core/errors';
import { buildDesired } from './desired';
import {
  NO_TEMPLATE_SOURCES,
  sourcesFingerprint,
  TemplateSourceMissing,
  templateSourceRefs,
  type TemplateSources,
} from './template-from';
import { fetchValues, sourceVersions, tagsBeforePayloads, type ClientFor } from './fetch';
import { decideRefresh, RefreshReason, type RefreshDecision, type TargetState } from './refresh';
import { readyCondition, syncedResourceVersion } from './status';
import { normalize, type Normalized } from './spec';
import { unsupportedFields } from '../../api/unsupported-fields';
import { clusterStoreAllows, storeHandledBy } from '../secretstore/store-access';
import type { StoreObject } from '../secretstore/store';
import { planRemoveMergedKeys, planWrite, withWriteLabels, type WritePlan } from './write-plan';
import { SHARE_HOLD_MS } from './plan';
import {
  Blocked,
  failureFor,
  isFailure,
  requeueForRefresh,
  type Failure,
  type FailureOutcome,
} from './retry-policy';
import { reportFailure, reportSynced, setStatus, type SyncContext } from './report';
import type { LeanSecret, ReconcileDeps } from './deps';
import type { RefreshRequest } from './sync-memory';

export type { LeanSecret, ReconcileDeps } from './deps';

/**
 * The phases below, in order. Each either hands its result to the next or ends the reconcile: a
 * Failure (Ready=False, then what the failure table says; report.ts) or a Decision.
 */
export async function reconcileExternalSecret(
  deps: ReconcileDeps,
  ns: string,
  name: string,
): Promise<Decision> {
  const es = deps.externalSecret(ns, name);
  if (!es || es.metadata?.deletionTimestamp) return done();
  const ctx: SyncContext = { deps, es, ns, name, key: `${ns}/${name}`, now: deps.clock.now() };

  const spec = checkSpec(es);
  if (isFailure(spec)) return reportFailure(ctx, spec);
  const stores = new StoreResolver(ctx, spec);
  const primary = await resolveStores(stores, es, spec);
  if (isFailure(primary)) return reportFailure(ctx, primary, spec);
  if (primary && !storeHandledBy(primary.spec, deps.controllerClass)) {
    deps.onSync?.('skipped', es);
    deps.onReady?.(es, undefined);
    return done();
  }

  const target = observeTarget(ctx, spec);
  const syncedVersion = syncedResourceVersion(es.metadata ?? {}, stores.generations());
  const forced = takeForcedRefresh(deps, ctx.key);
  const refresh = decideRefresh(refreshInput(ctx, spec, target, syncedVersion, forced !== undefined));
  if (!refresh.refresh) return waitForNextCheck(ctx, target, refresh);

  const clientFor: ClientFor = async (ref) => deps.client(await stores.resolve(ref), ns);
  const sources = await readTemplateSources(ctx);
  if (isFailure(sources)) return reportFailure(ctx, sources, spec);
  const tags = await checkVersionTags(ctx, spec, refresh, clientFor, sourcesFingerprint(sources));
  if (isFailure(tags)) return reportFailure(ctx, tags, spec);
  if (tags.unchanged) {
    deps.onSync?.('unchanged', es);
    return reportSynced(ctx, spec, syncedVersion, false);
  }

  const values = await fetchSourceValues(ctx, clientFor);
  if (isFailure(values)) return reportFailure(ctx, values, spec);
  if ('remoteGone' in values) return applyDeletionPolicy(ctx, spec, values.remoteGone);
  const planned = await planWriteAgainstLive(ctx, spec, target, values, sources);
  if (isFailure(planned)) return reportFailure(ctx, planned, spec);
  const written = await writeTargetSecret(ctx, spec, planned);
  if (isFailure(written)) return reportFailure(ctx, written, spec);

  await rememberSync(ctx, spec, target, planned.desiredHash, tags, clientFor);
  deps.onSync?.(written.kind === 'none' ? 'unchanged' : 'synced', es);
  if (forced?.eventAtMs !== undefined) deps.onRotationSynced?.(deps.clock.now() - forced.eventAtMs);
  return reportSynced(ctx, spec, syncedVersion, written.kind !== 'none');
}

/** An error the failure table names, as its failure; any other error is thrown on. */
function knownFailure(err: unknown, outcome: FailureOutcome): Failure {
  if (isFailure(outcome)) return outcome;
  throw err;
}

/** Phase 1: the spec with defaults applied, or why it cannot work (terminal: a change is needed). */
function checkSpec(es: ExternalSecret): Normalized | Failure {
  let spec: Normalized;
  try {
    spec = normalize(es);
  } catch (err) {
    return knownFailure(err, failureFor('spec', err));
  }
  const scheduleProblems = [
    ...(spec.refreshSchedule
      ? cronProblems(spec.refreshSchedule, `annotation ${ANNOTATION.refreshSchedule}`)
      : []),
    ...(spec.syncWindows ? validateSyncWindows(spec.syncWindows).map((p) => `spec.syncWindows: ${p}`) : []),
  ];
  if (scheduleProblems.length > 0)
    return { reason: ES_REASON.InvalidSpec, message: scheduleProblems.join('; '), after: 'terminal' };
  const unsupported = unsupportedFields(es.spec);
  if (unsupported.length > 0) {
    return {
      reason: ES_REASON.UnsupportedField,
      message: `not supported by secretsync yet: ${unsupported.join(', ')}`,
      after: 'terminal',
    };
  }
  return spec;
}

function cronProblems(expr: string, where: string): string[] {
  try {
    validateCron(expr);
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}

/** The stores this reconcile reads from, each looked up (and access-checked) once. */
class StoreResolver {
  private readonly resolved = new Map<string, StoreObject>();

  constructor(
    private readonly ctx: SyncContext,
    private readonly spec: Normalized,
  ) {}

  /** The store `ref` names (none: spec.secretStoreRef); throws Blocked when it cannot be used. */
  async resolve(ref: SecretStoreRef | undefined): Promise<StoreObject> {
    const { deps, ns } = this.ctx;
    const r = ref?.name ? { name: ref.name, kind: ref.kind ?? 'SecretStore' } : this.spec.storeRef;
    if (!r)
      throw new Blocked(
        ES_REASON.InvalidSpec,
        'spec.secretStoreRef.name is required when an entry has no sourceRef.storeRef',
      );
    const id = `${r.kind}/${r.name}`;
    const hit = this.resolved.get(id);
    if (hit) return hit;
    const store = deps.store(r.kind, ns, r.name);
    if (!store) {
      const where =
        r.kind === 'SecretStore'
          ? `SecretStore ${r.name} in namespace ${ns}`
          : `ClusterSecretStore ${r.name}`;
      throw new Blocked(ES_REASON.StoreNotFound, `${where} not found: create it or fix spec.secretStoreRef`);
    }
    if (store.kind === 'ClusterSecretStore' && store.spec.conditions?.length) {
      const access = clusterStoreAllows(store.name, store.spec, ns, await deps.namespaceLabels(ns));
      if (!access.ok) throw new Blocked(ES_REASON.StoreNotAllowed, access.message);
    }
    this.resolved.set(id, store);
    return store;
  }

  /** `kind/name@generation` of the stores resolved so far (part of syncedResourceVersion). */
  generations(): string[] {
    return [...this.resolved.values()].map((st) => `${st.kind}/${st.name}@${st.generation}`);
  }
}

/**
 * Phase 2: every store the spec names, before anything is fetched; returns the primary store
 * (spec.secretStoreRef), if any, whose controller class says whether the ExternalSecret is ours.
 */
async function resolveStores(
  stores: StoreResolver,
  es: ExternalSecret,
  spec: Normalized,
): Promise<StoreObject | undefined | Failure> {
  try {
    const primary = spec.storeRef ? await stores.resolve(undefined) : undefined;
    for (const entry of [...(es.spec.data ?? []), ...(es.spec.dataFrom ?? [])]) {
      if (entry.sourceRef?.storeRef?.name) await stores.resolve(entry.sourceRef.storeRef);
    }
    return primary;
  } catch (err) {
    return knownFailure(err, failureFor('stores', err));
  }
}

/** What the informer shows of the target Secret, against what this process last wrote. */
interface TargetView {
  lean: LeanSecret | undefined;
  /** Merge policies share the Secret with others: its hash is not ours to compare. */
  merging: boolean;
  state: TargetState;
}

/** Phase 3: the target Secret's state (present, missing, drifted, not applicable). */
function observeTarget(ctx: SyncContext, spec: Normalized): TargetView {
  const { deps, ns, key } = ctx;
  const lean = deps.cachedSecret(ns, spec.targetName);
  const merging = spec.creationPolicy === 'Merge' || spec.creationPolicy === 'CreateOrMerge';
  let state: TargetState = 'present';
  if (spec.creationPolicy === 'None') state = 'not-applicable';
  else if (!lean) state = 'missing';
  else if (
    !merging &&
    lean.contentHash !== (deps.memory.lastHash(key) ?? lean.annotations[ANNOTATION.dataHash])
  ) {
    state = 'drifted';
  }
  return { lean, merging, state };
}

/** Effect: takes this ExternalSecret's pending rotation-event request (at most once). */
function takeForcedRefresh(deps: ReconcileDeps, key: string): RefreshRequest | undefined {
  return deps.memory.takeRefreshRequest(key);
}

function lastRefreshMs(es: ExternalSecret): number | undefined {
  return es.status?.refreshTime ? Date.parse(es.status.refreshTime) : undefined;
}

/**
 * Version tags fetched after this time count as this ExternalSecret's own check: after its last
 * check in this process, else after status.refreshTime (whole seconds, hence the extra second),
 * else within the last interval.
 */
function tagsFreshAfterMs(ctx: SyncContext, spec: Normalized): number {
  const inMemory = ctx.deps.memory.lastCheckMs(ctx.key);
  if (inMemory !== undefined) return inMemory;
  const fromStatus = lastRefreshMs(ctx.es);
  return fromStatus !== undefined ? fromStatus + 1000 : ctx.now - spec.refreshIntervalMs;
}

/** Phase 4 input: plain values only (decideRefresh is pure). */
function refreshInput(
  ctx: SyncContext,
  spec: Normalized,
  target: TargetView,
  currentSyncedVersion: string,
  forced: boolean,
): Parameters<typeof decideRefresh>[0] {
  const { es } = ctx;
  return {
    nowMs: ctx.now,
    key: ctx.key,
    spec,
    currentSyncedVersion,
    lastSyncedVersion: es.status?.syncedResourceVersion,
    lastRefreshMs: lastRefreshMs(es),
    lastCheckMs: ctx.deps.memory.lastCheckMs(ctx.key),
    startedAtMs: ctx.deps.memory.startedAtMs,
    lastSyncFailed: readyCondition(es.status)?.status === 'False',
    target: target.state,
    forced,
  };
}

/**
 * No refresh now: a Secret found as this process left it confirms its hash (so that a later
 * change by someone else shows as drift); look again when the decision says. The Ready condition
 * written before stands.
 */
function waitForNextCheck(ctx: SyncContext, target: TargetView, refresh: RefreshDecision): Decision {
  // The Ready condition stands (also for a process that just started): the gauge says it.
  const ready = readyCondition(ctx.es.status);
  if (ready)
    ctx.deps.onReady?.(ctx.es, {
      status: ready.status === 'True' ? 'True' : 'False',
      reason: ready.reason ?? '',
      message: ready.message ?? '',
    });
  if (target.lean && target.state === 'present' && !target.merging)
    ctx.deps.memory.rememberHash(ctx.key, target.lean.contentHash);
  return done(requeueForRefresh(ctx.now, refresh.nextCheckMs));
}

interface TagCheck {
  /** Tags were read before the payloads (else the payload reads record them). */
  tagsFirst: boolean;
  /** The templateFrom sources' digest, joined to the tags (template-from.ts). */
  fingerprint: string;
  versions?: string;
  /** A periodic refresh whose sources' tags did not move: nothing to fetch or write. */
  unchanged: boolean;
}

/**
 * Phase 5 (planned mode): a periodic refresh whose sources' version tags did not move fetches no
 * payload and writes nothing; only refreshTime moves. Other syncs record the tags for the next
 * check: from the payload reads themselves where the provider names versions, else read first.
 */
async function checkVersionTags(
  ctx: SyncContext,
  spec: Normalized,
  refresh: RefreshDecision,
  clientFor: ClientFor,
  fingerprint: string,
): Promise<TagCheck | Failure> {
  const { deps, es, key } = ctx;
  if (!deps.memory.planned) return { tagsFirst: false, fingerprint, unchanged: false };
  const due = refresh.reason === RefreshReason.Due;
  const tagsFirst = due || (await tagsBeforePayloads(es.spec, clientFor).catch(() => true));
  if (!tagsFirst) return { tagsFirst, fingerprint, unchanged: false };
  // A tag another ExternalSecret fetched since this one last looked is as good as asking again.
  const fetchedAfterMs = tagsFreshAfterMs(ctx, spec);
  let versions: string | undefined;
  try {
    versions = await sourceVersions(es.spec, clientFor, fetchedAfterMs);
    if (versions !== undefined) versions += fingerprint;
  } catch (err) {
    const outcome = failureFor('tags', err);
    if (isFailure(outcome)) return outcome;
  }
  const unchanged = due && versions !== undefined && versions === deps.memory.lastVersions(key);
  return { tagsFirst, fingerprint, versions, unchanged };
}

/**
 * Phase 4b: the ConfigMaps and Secrets templateFrom names, read now (a GET each, before any
 * provider call, so a missing one costs none; their digest joins the version tags). They are never
 * cached: the controller watches for their changes only to re-render (controller.ts), so a value
 * is held only while it renders.
 */
async function readTemplateSources(ctx: SyncContext): Promise<TemplateSources | Failure> {
  const { deps, es, ns } = ctx;
  const refs = templateSourceRefs(es);
  if (refs.length === 0) return NO_TEMPLATE_SOURCES;
  const sources: TemplateSources = { configMaps: new Map(), secrets: new Map() };
  try {
    for (const { kind, name } of refs) {
      if (kind === 'ConfigMap') {
        const cm = await deps.readConfigMap(ns, name);
        if (!cm) throw new TemplateSourceMissing(`ConfigMap ${ns}/${name} not found`);
        sources.configMaps.set(name, cm.data ?? {});
      } else {
        const secret = await deps.readSecret(ns, name);
        if (!secret) throw new TemplateSourceMissing(`Secret ${ns}/${name} not found`);
        const data = Object.entries(secret.data ?? {}).map(
          ([k, v]) => [k, Buffer.from(v, 'base64')] as const,
        );
        sources.secrets.set(name, new Map(data));
      }
    }
  } catch (err) {
    return knownFailure(err, failureFor('sources', err));
  }
  return sources;
}

/** Phase 6: every value the spec asks for; or the failure; or the confirmed absence of a remote key. */
async function fetchSourceValues(
  ctx: SyncContext,
  clientFor: ClientFor,
): Promise<Map<string, Uint8Array> | { remoteGone: NoSecretError } | Failure> {
  try {
    return await fetchValues(ctx.es.spec, clientFor);
  } catch (err) {
    const outcome = failureFor('fetch', err);
    if (outcome === 'remote-gone') return { remoteGone: err as NoSecretError };
    return knownFailure(err, outcome);
  }
}

interface PlannedWrite {
  plan: WritePlan;
  desiredHash: string;
  /** The same desired Secret planned against another live one (after a create conflict). */
  planAgainst(live: V1Secret | undefined): WritePlan;
}

/** Phase 7: the desired Secret, and what writing it takes given the live one. */
async function planWriteAgainstLive(
  ctx: SyncContext,
  spec: Normalized,
  target: TargetView,
  values: Map<string, Uint8Array>,
  sources: TemplateSources,
): Promise<PlannedWrite | Failure> {
  const { deps, es, ns, name } = ctx;
  try {
    const desired = buildDesired(es, spec.targetName, values, sources);
    const planAgainst = (live: V1Secret | undefined) =>
      withWriteLabels(
        planWrite({
          policy: spec.creationPolicy,
          desired,
          live,
          namespace: ns,
          owner: {
            apiVersion: es.apiVersion ?? 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name,
            uid: es.metadata?.uid ?? '',
          },
        }),
        deps.secretLabels,
      );
    // Creating policies skip the read when no managed Secret of that name is cached: a create never
    // overwrites, and one that already exists (unmanaged, or not yet seen) answers 409, re-planned
    // below against what is there.
    const creates = spec.creationPolicy === 'Owner' || spec.creationPolicy === 'Orphan';
    const skipRead = spec.creationPolicy === 'None' || (creates && !target.lean);
    const plan = planAgainst(skipRead ? undefined : await deps.readSecret(ns, spec.targetName));
    return { plan, desiredHash: desired.annotations[ANNOTATION.dataHash]!, planAgainst };
  } catch (err) {
    return knownFailure(err, failureFor('build', err));
  }
}

/** What the apiserver allows in a Secret's data: the values' bytes, summed (1 MiB). */
export const MAX_SECRET_DATA_BYTES = 1024 * 1024;

function secretDataBytes(s: V1Secret): number {
  let n = 0;
  for (const v of Object.values(s.data ?? {})) n += Buffer.byteLength(v, 'base64');
  return n;
}

/** A plan that must not be carried out (a Secret not ours, a Merge target missing): retried. */
function blockedWrite(plan: Extract<WritePlan, { kind: 'blocked' }>): Failure {
  return { reason: plan.reason, message: plan.message, after: 'backoff' };
}

/** Phase 8: writes the plan (a create that meets an existing Secret is planned again against it). */
async function writeTargetSecret(
  ctx: SyncContext,
  spec: Normalized,
  planned: PlannedWrite,
): Promise<WritePlan | Failure> {
  const { deps, es, ns } = ctx;
  let plan = planned.plan;
  if (plan.kind === 'blocked') return blockedWrite(plan);
  if (plan.kind === 'none') return plan;
  const bytes = secretDataBytes(plan.secret);
  if (bytes > MAX_SECRET_DATA_BYTES) {
    // The apiserver would refuse it every time: retrying cannot help until the values or the
    // spec change, so no backoff retries — the next periodic refresh (or a change) tries again.
    return {
      reason: ES_REASON.UpdateFailed,
      message:
        `Secret ${ns}/${spec.targetName} would hold ${bytes} bytes of data, more than the 1 MiB ` +
        `(${MAX_SECRET_DATA_BYTES} bytes) a Kubernetes Secret can hold: collect fewer or smaller values`,
      after: 'wait-for-refresh',
    };
  }
  try {
    try {
      await deps.writeSecret(ns, plan);
    } catch (err) {
      if (!(plan.kind === 'create' && err instanceof KubeApiError && err.code === 409)) throw err;
      plan = planned.planAgainst(await deps.readSecret(ns, spec.targetName));
      if (plan.kind === 'blocked') return blockedWrite(plan);
      if (plan.kind !== 'none') await deps.writeSecret(ns, plan);
    }
  } catch (err) {
    return knownFailure(err, failureFor('write', err, `${ns}/${spec.targetName}`));
  }
  // The first sync's Secret is routine (Ready=True says it), so it gets no Event: one apiserver
  // write fewer per ExternalSecret. Updates and re-creations of a Secret that existed are news.
  const firstSync = !es.status?.refreshTime;
  if (plan.kind === 'update' || (plan.kind === 'create' && !firstSync))
    deps.event(
      es,
      'Normal',
      plan.kind === 'create' ? 'Created' : 'Updated',
      `Secret ${spec.targetName} ${plan.kind === 'create' ? 'created' : 'updated'}`,
    );
  return plan;
}

/** Phase 9, effects: the hash this process wrote and the sources' version tags, for next time. */
async function rememberSync(
  ctx: SyncContext,
  spec: Normalized,
  target: TargetView,
  desiredHash: string,
  tags: TagCheck,
  clientFor: ClientFor,
): Promise<void> {
  const { deps, es, key, now } = ctx;
  if (!target.merging && spec.creationPolicy !== 'None') deps.memory.rememberHash(key, desiredHash);
  // Tags the payload reads of this reconcile recorded (no provider call when they are cached). A
  // read shared with this ExternalSecret may have arrived up to SHARE_HOLD_MS before it started.
  let versions = tags.versions;
  if (deps.memory.planned && !tags.tagsFirst)
    versions = await sourceVersions(es.spec, clientFor, now - SHARE_HOLD_MS - 1).then(
      (v) => (v === undefined ? v : v + tags.fingerprint),
      () => undefined,
    );
  if (versions !== undefined) deps.memory.rememberVersions(key, versions);
}

/** A confirmed NotFound: only deletionPolicy Delete / Merge act on the Secret, as in ESO. */
async function applyDeletionPolicy(
  ctx: SyncContext,
  spec: Normalized,
  err: NoSecretError,
): Promise<Decision> {
  const { deps, es, ns } = ctx;
  if (
    spec.deletionPolicy === 'Delete' &&
    (spec.creationPolicy === 'Owner' || spec.creationPolicy === 'Orphan')
  ) {
    const live = await deps.readSecret(ns, spec.targetName);
    const ours =
      live &&
      (spec.creationPolicy === 'Owner'
        ? live.metadata?.ownerReferences?.some((r) => r.controller && r.uid === es.metadata?.uid)
        : live.metadata?.labels?.[LABEL.managed] === 'true');
    // Finalizers (e.g. from template.metadata) hold a deleted Secret until their owners release it:
    // delete it once, then wait for them.
    const held = live?.metadata?.deletionTimestamp ? (live.metadata.finalizers ?? []) : [];
    if (live && ours && held.length === 0) {
      await deps.deleteSecret(ns, spec.targetName, live.metadata!.uid!);
      deps.event(
        es,
        'Normal',
        ES_REASON.SecretDeleted,
        `Secret ${spec.targetName} deleted: ${err.message} (deletionPolicy Delete)`,
      );
    }
    await setStatus(ctx, {
      status: 'False',
      reason: ES_REASON.SecretDeleted,
      message:
        held.length > 0
          ? `${err.message}; Secret is being deleted, held by its finalizers ${held.join(', ')} (deletionPolicy Delete)`
          : `${err.message}; Secret deleted (deletionPolicy Delete)`,
    });
    return retry(err);
  }
  if (spec.deletionPolicy === 'Merge') {
    const live = await deps.readSecret(ns, spec.targetName);
    const next = live && planRemoveMergedKeys(live);
    if (next) await deps.replaceSecret(ns, next);
  }
  return reportFailure(
    ctx,
    {
      reason: ES_REASON.RemoteKeyNotFound,
      message: `${err.message}; the last synced Secret is kept`,
      after: 'backoff',
      cause: err,
    },
    spec,
  );
}
