// One reconcile of one ExternalSecret: resolve the store, decide whether to refresh, fetch, build
// the desired Secret, write it only if it differs, report status. I/O goes through `deps` (the
// apiserver and providers at the edges); the decisions are the pure functions beside this file.
// A provider failure never touches the last good Secret.
import type { V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret, SecretStoreRef } from '../../api/generated';
import { ANNOTATION, ES_REASON, LABEL } from '../../api/constants';
import { KubeApiError } from '../../kube/request';
import { validateCron, validateSyncWindows } from '../../runtime/cron';
import { done, retry, terminal, type Decision } from '../../runtime/decision';
import { NoSecretError, ProviderError, ThrottledError, UnavailableError } from '../../providers/core/errors';
import type { SecretsClient } from '../../providers/core/types';
import type { Clock } from '../../runtime/clock';
import { DurationError } from '../../gocompat/duration';
import { buildDesired } from './desired';
import { fetchValues, sourceVersions, tagsBeforePayloads } from './fetch';
import { decideRefresh, nextDue, type TargetState } from './refresh';
import { nextStatus, readyCondition, statusEqual, syncedResourceVersion, type ReadyState } from './status';
import { normalize, unsupportedFields, type Normalized } from './spec';
import { clusterStoreAllows, storeHandledBy } from '../secretstore/store-access';
import type { StoreObject } from '../secretstore/store';
import { planRemoveMergedKeys, planWrite, type WritePlan } from './write-plan';
import { SHARE_HOLD_MS } from './plan';
import { afterFailure } from './retry-policy';
import { TemplateError } from '../../gocompat/template';

/** What the sync side remembers of a managed Secret: metadata and a content hash, never values. */
export interface LeanSecret {
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  contentHash: string;
}

export interface ReconcileDeps {
  clock: Clock;
  controllerClass?: string;
  externalSecret(ns: string, name: string): ExternalSecret | undefined;
  store(kind: 'SecretStore' | 'ClusterSecretStore', ns: string, name: string): StoreObject | undefined;
  namespaceLabels(ns: string): Promise<Record<string, string>>;
  client(store: StoreObject, esNamespace: string): Promise<SecretsClient>;
  cachedSecret(ns: string, name: string): LeanSecret | undefined;
  readSecret(ns: string, name: string): Promise<V1Secret | undefined>;
  writeSecret(ns: string, plan: Extract<WritePlan, { kind: 'create' | 'update' }>): Promise<void>;
  replaceSecret(ns: string, secret: V1Secret): Promise<void>;
  deleteSecret(ns: string, name: string, uid: string): Promise<void>;
  patchStatus(es: ExternalSecret, status: NonNullable<ExternalSecret['status']>): Promise<void>;
  event(es: ExternalSecret, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Content hash of the last Secret this process wrote or confirmed, per ExternalSecret key. */
  lastHash: Map<string, string>;
  /** Version fingerprint of the sources at the last sync, per ExternalSecret key (planned mode). */
  lastVersions?: Map<string, string>;
  /** Keys a rotation event asked to refresh now (taken on reconcile). */
  forced?: Set<string>;
  onSync?(result: 'synced' | 'unchanged' | 'error' | 'skipped'): void;
}

function successMessage(spec: Normalized): string {
  return spec.creationPolicy === 'None'
    ? 'values fetched; creationPolicy None writes no Secret'
    : 'Secret was synced';
}

/** metav1.Time has one-second resolution. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cronProblems(expr: string, where: string): string[] {
  try {
    validateCron(expr);
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}

class Blocked extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function reconcileExternalSecret(
  deps: ReconcileDeps,
  ns: string,
  name: string,
): Promise<Decision> {
  const es = deps.externalSecret(ns, name);
  if (!es || es.metadata?.deletionTimestamp) return done();
  const key = `${ns}/${name}`;
  const now = deps.clock.now();

  let spec: Normalized;
  try {
    spec = normalize(es);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    return fail(deps, es, ES_REASON.InvalidSpec, `spec.refreshInterval: ${err.message}`, 'terminal');
  }
  const scheduleProblems = [
    ...(spec.refreshSchedule
      ? cronProblems(spec.refreshSchedule, `annotation ${ANNOTATION.refreshSchedule}`)
      : []),
    ...(spec.syncWindows ? validateSyncWindows(spec.syncWindows).map((p) => `spec.syncWindows: ${p}`) : []),
  ];
  if (scheduleProblems.length > 0)
    return fail(deps, es, ES_REASON.InvalidSpec, scheduleProblems.join('; '), 'terminal');
  const unsupported = unsupportedFields(es.spec);
  if (unsupported.length > 0) {
    return fail(
      deps,
      es,
      ES_REASON.UnsupportedField,
      `not supported by secretsync yet: ${unsupported.join(', ')}`,
      'terminal',
    );
  }

  // Store resolution happens before anything is fetched; stores of another controller class are not ours.
  const resolved = new Map<string, StoreObject>();
  const resolve = async (ref: SecretStoreRef | undefined): Promise<StoreObject> => {
    const r = ref?.name ? { name: ref.name, kind: ref.kind ?? 'SecretStore' } : spec.storeRef;
    if (!r)
      throw new Blocked(
        ES_REASON.InvalidSpec,
        'spec.secretStoreRef.name is required when an entry has no sourceRef.storeRef',
      );
    const id = `${r.kind}/${r.name}`;
    const hit = resolved.get(id);
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
    resolved.set(id, store);
    return store;
  };

  let primary: StoreObject | undefined;
  try {
    primary = spec.storeRef ? await resolve(undefined) : undefined;
    for (const entry of [...(es.spec.data ?? []), ...(es.spec.dataFrom ?? [])]) {
      if (entry.sourceRef?.storeRef?.name) await resolve(entry.sourceRef.storeRef);
    }
  } catch (err) {
    if (err instanceof Blocked) return fail(deps, es, err.reason, err.message, 'done');
    throw err;
  }
  if (primary && !storeHandledBy(primary.spec, deps.controllerClass)) {
    deps.onSync?.('skipped');
    return done();
  }

  const lean = deps.cachedSecret(ns, spec.targetName);
  const merging = spec.creationPolicy === 'Merge' || spec.creationPolicy === 'CreateOrMerge';
  let target: TargetState = 'present';
  if (spec.creationPolicy === 'None') target = 'not-applicable';
  else if (!lean) target = 'missing';
  else if (
    !merging &&
    lean.contentHash !== (deps.lastHash.get(key) ?? lean.annotations[ANNOTATION.dataHash])
  ) {
    target = 'drifted';
  }
  const ready = readyCondition(es.status);
  const storeGenerations = [...resolved.values()].map((st) => `${st.kind}/${st.name}@${st.generation}`);
  const currentVersion = syncedResourceVersion(es.metadata ?? {}, storeGenerations);
  const lastRefreshMs = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : undefined;
  const decision = decideRefresh({
    nowMs: now,
    key,
    spec,
    currentSyncedVersion: currentVersion,
    lastSyncedVersion: es.status?.syncedResourceVersion,
    lastRefreshMs,
    lastSyncFailed: ready?.status === 'False',
    target,
    forced: deps.forced?.delete(key) ?? false,
  });
  if (!decision.refresh) {
    if (lean && target === 'present' && !merging) deps.lastHash.set(key, lean.contentHash);
    return done(decision.nextCheckMs === undefined ? undefined : Math.max(0, decision.nextCheckMs - now));
  }

  const clientFor = async (ref: SecretStoreRef | undefined) => deps.client(await resolve(ref), ns);
  // Planned mode: a periodic refresh whose sources' version tags did not move fetches no payload
  // and writes nothing; only refreshTime moves. Other syncs record the tags for the next check:
  // from the payload reads themselves where the provider names versions, else read first.
  let versions: string | undefined;
  const tagsFirst = deps.lastVersions
    ? decision.why === 'refresh due' || (await tagsBeforePayloads(es.spec, clientFor).catch(() => true))
    : false;
  if (tagsFirst) {
    // A tag another ExternalSecret fetched since this one last looked is as good as asking again
    // (status.refreshTime has whole seconds, hence the extra second).
    const fetchedAfterMs = lastRefreshMs !== undefined ? lastRefreshMs + 1000 : now - spec.refreshIntervalMs;
    try {
      versions = await sourceVersions(es.spec, clientFor, fetchedAfterMs);
    } catch (err) {
      // A store that is down or throttling fails the attempt here: asking it again for the payloads
      // would double both the wait (each call runs to its deadline) and the calls. Other failures
      // fall back to fetching, which reports them precisely.
      if (err instanceof UnavailableError || err instanceof ThrottledError)
        return fail(deps, es, err.reason, err.message, 'retry', err);
    }
    if (
      decision.why === 'refresh due' &&
      versions !== undefined &&
      versions === deps.lastVersions!.get(key)
    ) {
      deps.onSync?.('unchanged');
      return synced(deps, es, spec, key, now, currentVersion);
    }
  }

  let values: Map<string, Uint8Array>;
  try {
    values = await fetchValues(es.spec, clientFor);
  } catch (err) {
    if (err instanceof Blocked) return fail(deps, es, err.reason, err.message, 'done');
    if (err instanceof NoSecretError) return remoteGone(deps, es, spec, err);
    if (err instanceof ProviderError) return failAfter(deps, es, spec, key, now, err.reason, err);
    if (err instanceof TemplateError)
      return failAfter(deps, es, spec, key, now, ES_REASON.TemplateError, err);
    throw err;
  }

  let plan: WritePlan;
  let desiredHash: string;
  let planAgainst: (live: V1Secret | undefined) => WritePlan;
  try {
    const desired = buildDesired(es, spec.targetName, values);
    desiredHash = desired.annotations[ANNOTATION.dataHash]!;
    planAgainst = (live) =>
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
      });
    // Creating policies skip the read when no managed Secret of that name is cached: a create never
    // overwrites, and one that already exists (unmanaged, or not yet seen) answers 409, re-planned
    // below against what is there.
    const creates = spec.creationPolicy === 'Owner' || spec.creationPolicy === 'Orphan';
    const skipRead = spec.creationPolicy === 'None' || (creates && !lean);
    plan = planAgainst(skipRead ? undefined : await deps.readSecret(ns, spec.targetName));
  } catch (err) {
    if (err instanceof TemplateError)
      return failAfter(deps, es, spec, key, now, ES_REASON.TemplateError, err);
    if (err instanceof ProviderError) return failAfter(deps, es, spec, key, now, err.reason, err);
    throw err;
  }
  if (plan.kind === 'blocked') return fail(deps, es, plan.reason, plan.message, 'retry');
  if (plan.kind !== 'none') {
    const bytes = secretDataBytes(plan.secret);
    if (bytes > MAX_SECRET_DATA_BYTES) {
      // The apiserver would refuse it every time: retrying cannot help until the values or the
      // spec change, so no backoff retries — the next periodic refresh (or a change) tries again.
      await fail(
        deps,
        es,
        ES_REASON.UpdateFailed,
        `Secret ${ns}/${spec.targetName} would hold ${bytes} bytes of data, more than the 1 MiB ` +
          `(${MAX_SECRET_DATA_BYTES} bytes) a Kubernetes Secret can hold: collect fewer or smaller values`,
        'done',
      );
      const due = nextDue(spec, now, key);
      return done(due === undefined ? undefined : Math.max(0, due - now));
    }
    try {
      try {
        await deps.writeSecret(ns, plan);
      } catch (err) {
        if (!(plan.kind === 'create' && err instanceof KubeApiError && err.code === 409)) throw err;
        plan = planAgainst(await deps.readSecret(ns, spec.targetName));
        if (plan.kind === 'blocked') return fail(deps, es, plan.reason, plan.message, 'retry');
        if (plan.kind !== 'none') await deps.writeSecret(ns, plan);
      }
    } catch (err) {
      // The apiserver's answer names the problem (size limit, forbidden, invalid key), never a value.
      if (!(err instanceof KubeApiError)) throw err;
      const hint =
        err.code === 422
          ? ' (a Secret holds at most 1 MiB of data)'
          : err.code === 403
            ? ' (check deploy/rbac.yaml)'
            : '';
      return fail(
        deps,
        es,
        ES_REASON.UpdateFailed,
        `writing Secret ${ns}/${spec.targetName} failed: ${err.message}${hint}`,
        'retry',
        err,
      );
    }
    if (plan.kind !== 'none')
      deps.event(
        es,
        'Normal',
        plan.kind === 'create' ? 'Created' : 'Updated',
        `Secret ${spec.targetName} ${plan.kind === 'create' ? 'created' : 'updated'}`,
      );
  }
  if (!merging && spec.creationPolicy !== 'None') deps.lastHash.set(key, desiredHash);
  // Tags the payload reads of this reconcile recorded (no provider call when they are cached). A
  // read shared with this ExternalSecret may have arrived up to SHARE_HOLD_MS before it started.
  if (deps.lastVersions && !tagsFirst)
    versions = await sourceVersions(es.spec, clientFor, now - SHARE_HOLD_MS - 1).catch(() => undefined);
  if (versions !== undefined) deps.lastVersions?.set(key, versions);
  deps.onSync?.(plan.kind === 'none' ? 'unchanged' : 'synced');

  return synced(deps, es, spec, key, now, currentVersion);
}

/** Ready=True with this refresh's time, then wait for the next periodic refresh (if any). */
async function synced(
  deps: ReconcileDeps,
  es: ExternalSecret,
  spec: Normalized,
  key: string,
  now: number,
  syncedVersion: string,
): Promise<Decision> {
  await setStatus(
    deps,
    es,
    { status: 'True', reason: ES_REASON.SecretSynced, message: successMessage(spec) },
    {
      refreshTime: isoSeconds(now),
      syncedResourceVersion: syncedVersion,
      bindingName: spec.creationPolicy === 'None' ? undefined : spec.targetName,
    },
  );
  const due = nextDue(spec, now, key);
  return done(due === undefined ? undefined : Math.max(0, due - now));
}

/** What the apiserver allows in a Secret's data: the values' bytes, summed (1 MiB). */
export const MAX_SECRET_DATA_BYTES = 1024 * 1024;

function secretDataBytes(s: V1Secret): number {
  let n = 0;
  for (const v of Object.values(s.data ?? {})) n += Buffer.byteLength(v, 'base64');
  return n;
}

/** A confirmed NotFound: only deletionPolicy Delete / Merge act on the Secret, as in ESO. */
async function remoteGone(
  deps: ReconcileDeps,
  es: ExternalSecret,
  spec: Normalized,
  err: NoSecretError,
): Promise<Decision> {
  const ns = es.metadata!.namespace!;
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
    if (live && ours) {
      await deps.deleteSecret(ns, spec.targetName, live.metadata!.uid!);
      deps.event(
        es,
        'Normal',
        ES_REASON.SecretDeleted,
        `Secret ${spec.targetName} deleted: ${err.message} (deletionPolicy Delete)`,
      );
    }
    await setStatus(deps, es, {
      status: 'False',
      reason: ES_REASON.SecretDeleted,
      message: `${err.message}; Secret deleted (deletionPolicy Delete)`,
    });
    return retry(err);
  }
  if (spec.deletionPolicy === 'Merge') {
    const live = await deps.readSecret(ns, spec.targetName);
    const next = live && planRemoveMergedKeys(live);
    if (next) await deps.replaceSecret(ns, next);
  }
  return fail(
    deps,
    es,
    ES_REASON.RemoteKeyNotFound,
    `${err.message}; the last synced Secret is kept`,
    'retry',
    err,
  );
}

/** Ready=False, then back off or wait for a change or the next refresh (retry-policy.ts). */
async function failAfter(
  deps: ReconcileDeps,
  es: ExternalSecret,
  spec: Normalized,
  key: string,
  now: number,
  reason: string,
  err: Error,
): Promise<Decision> {
  const next = afterFailure(err, now, nextDue(spec, now, key));
  if (next.then === 'backoff') return fail(deps, es, reason, err.message, 'retry', err);
  await fail(deps, es, reason, err.message, 'done');
  return done(next.requeueAfterMs);
}

async function fail(
  deps: ReconcileDeps,
  es: ExternalSecret,
  reason: string,
  message: string,
  then: 'retry' | 'terminal' | 'done',
  cause?: unknown,
): Promise<Decision> {
  deps.onSync?.('error');
  const changed = await setStatus(deps, es, { status: 'False', reason, message });
  if (changed) deps.event(es, 'Warning', reason, message);
  if (then === 'terminal') return terminal(`${reason}: ${message}`);
  if (then === 'done') return done();
  return retry(cause ?? new Error(`${reason}: ${message}`));
}

/** Patches status only when it differs; returns whether the Ready condition changed. */
async function setStatus(
  deps: ReconcileDeps,
  es: ExternalSecret,
  ready: ReadyState,
  synced?: { refreshTime: string; syncedResourceVersion: string; bindingName?: string },
): Promise<boolean> {
  const nowIso = isoSeconds(deps.clock.now());
  const next = nextStatus(es.status, ready, nowIso, synced);
  if (statusEqual(es.status, next)) return false;
  const prev = readyCondition(es.status);
  await deps.patchStatus(es, next);
  return (
    !prev || prev.status !== ready.status || prev.reason !== ready.reason || prev.message !== ready.message
  );
}
