// One reconcile of a ClusterExternalSecret: select namespaces, plan, apply the plan (each
// namespace's failure is that namespace's, never the others'), write the status if it changed, and
// come back after refreshTime. The caches and the writes are injected (FanOutDeps).
import type { ClusterExternalSecret, ClusterExternalSecretStatus, ExternalSecret } from '../../api/generated';
import { DurationError, parseDuration } from '../../gocompat/duration';
import { isApiError } from '../../kube/request';
import { errorText } from '../../observability/log';
import type { Clock } from '../../runtime/clock';
import { done, retry, type Decision } from '../../runtime/decision';
import { externalSecretName, isOwnedBy } from './desired';
import { clashReason, planFanOut, type FanOutAction } from './plan';
import { targetNamespaces, type NamespaceView } from './select';
import { fanOutStatus } from './status';

/** ESO's default for an unset refreshTime. */
export const DEFAULT_REFRESH_MS = 60_000;
/** Writes to the apiserver at once per ClusterExternalSecret. */
const PARALLEL_WRITES = 8;

export interface FanOutDeps {
  clock: Clock;
  clusterExternalSecret(name: string): ClusterExternalSecret | undefined;
  namespaces(): Iterable<NamespaceView>;
  externalSecret(namespace: string, name: string): ExternalSecret | undefined;
  /** The ExternalSecrets whose controller owner is this ClusterExternalSecret (same uid). */
  owned(ces: ClusterExternalSecret): ExternalSecret[];
  /** Reads one ExternalSecret from the apiserver (undefined when there is none). */
  read(namespace: string, name: string): Promise<ExternalSecret | undefined>;
  create(es: ExternalSecret): Promise<void>;
  replace(es: ExternalSecret): Promise<void>;
  remove(namespace: string, name: string, uid: string): Promise<void>;
  patchStatus(ces: ClusterExternalSecret, status: ClusterExternalSecretStatus): Promise<void>;
}

/** refreshTime in ms: DEFAULT_REFRESH_MS when unset (or unparsable: admission refuses it), 0 = never. */
export function refreshMs(ces: ClusterExternalSecret): number {
  const v = ces.spec.refreshTime;
  if (v === undefined || v === '') return DEFAULT_REFRESH_MS;
  try {
    return parseDuration(v);
  } catch (err) {
    if (err instanceof DurationError) return DEFAULT_REFRESH_MS;
    throw err;
  }
}

/** Errors that another attempt can cure (a stale cache, the apiserver busy or unreachable). */
export function isTransient(err: unknown): boolean {
  if (!isApiError(err)) return true;
  return err.code === 409 || err.code === 429 || err.code >= 500;
}

const VERB = { create: 'create', update: 'update', delete: 'delete' } as const;

/** An apiserver message can quote the whole object back: the reason keeps its start. */
const REASON_MAX = 300;

function failure(a: FanOutAction, err: unknown): string {
  const what =
    a.kind === 'delete' ? `the ExternalSecret ${a.name} it no longer selects` : 'the ExternalSecret';
  const text = errorText(err);
  return `could not ${VERB[a.kind]} ${what}: ${text.length > REASON_MAX ? `${text.slice(0, REASON_MAX)}…` : text}`;
}

function apply(deps: FanOutDeps, a: FanOutAction): Promise<void> {
  switch (a.kind) {
    case 'create':
      return deps.create(a.object);
    case 'update':
      return deps.replace(a.object);
    case 'delete':
      return deps.remove(a.namespace, a.name, a.uid);
  }
}

async function inPool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

export async function reconcileClusterExternalSecret(deps: FanOutDeps, name: string): Promise<Decision> {
  const ces = deps.clusterExternalSecret(name);
  // Deleted: the garbage collector deletes its ExternalSecrets (they name it as controller owner).
  if (!ces || ces.metadata?.deletionTimestamp) return done();
  const targets = targetNamespaces(ces.spec, deps.namespaces());
  const plan = planFanOut(ces, {
    targets,
    existing: (ns, n) => deps.externalSecret(ns, n),
    owned: deps.owned(ces),
  });
  const provisioned = [...plan.unchanged];
  const failed = [...plan.clashes];
  let again: unknown;
  await inPool(plan.actions, PARALLEL_WRITES, async (a) => {
    try {
      await apply(deps, a);
      if (a.kind !== 'delete') provisioned.push(a.namespace);
    } catch (err) {
      if (isTransient(err)) again ??= err;
      if (!isApiError(err, 409)) {
        failed.push({ namespace: a.namespace, reason: failure(a, err) });
        return;
      }
      // A conflict means the cache was behind (our own ExternalSecret not seen yet, a status write
      // since): not the namespace's failure. Retried after a short backoff; a create asks what is there.
      if (a.kind === 'update') provisioned.push(a.namespace);
      if (a.kind !== 'create') return;
      const name = a.object.metadata?.name ?? '';
      const there = await deps.read(a.namespace, name).catch(() => undefined);
      if (there && isOwnedBy(there.metadata, ces)) provisioned.push(a.namespace);
      else if (there) failed.push({ namespace: a.namespace, reason: clashReason(ces, name) });
    }
  });
  const status = fanOutStatus(
    ces.status,
    { externalSecretName: externalSecretName(ces), provisioned, failed },
    new Date(deps.clock.now()).toISOString(),
  );
  if (canonical(status) !== canonical(ces.status ?? {})) await deps.patchStatus(ces, status);
  if (again !== undefined) return retry(again);
  const every = refreshMs(ces);
  return every > 0 ? done(every) : done();
}
