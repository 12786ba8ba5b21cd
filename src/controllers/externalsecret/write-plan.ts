// Whether and how to write the target Secret: a pure comparison of the desired Secret with the
// live one under the creation policy. Content decides, not the hash annotation, so Secrets that ESO
// wrote for the same ExternalSecret are adopted without a rewrite. A Secret we do not own is never
// overwritten.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { ANNOTATION, LABEL } from '../../api/constants';
import type { DesiredSecret } from './desired';
import type { CreationPolicy } from './spec';

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export type WritePlan =
  | { kind: 'create'; secret: V1Secret }
  | { kind: 'update'; secret: V1Secret; recreate: boolean }
  | { kind: 'none' }
  | { kind: 'blocked'; reason: 'SecretNotOwned' | 'SecretMissing'; message: string };

function ownerRef(o: Owner): V1OwnerReference {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    uid: o.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

const b64 = (v: Uint8Array) => Buffer.from(v).toString('base64');

function sameData(
  desired: Map<string, Uint8Array>,
  live: Record<string, string> | undefined,
  onlyOurs: boolean,
): boolean {
  const liveData = live ?? {};
  if (!onlyOurs && Object.keys(liveData).length !== desired.size) return false;
  for (const [k, v] of desired) if (liveData[k] !== b64(v)) return false;
  return true;
}

/** Desired labels/annotations present with equal values; the data-hash annotation is not compared. */
function sameMeta(want: Record<string, string>, have: Record<string, string> | undefined): boolean {
  return Object.entries(want).every(([k, v]) => k === ANNOTATION.dataHash || have?.[k] === v);
}

/**
 * The live finalizers plus the template's (ESO adds them, never removes them). None is added to a
 * Secret being deleted: the API refuses new finalizers then.
 */
function withFinalizers(want: string[], live: V1Secret): string[] | undefined {
  const have = live.metadata?.finalizers;
  if (live.metadata?.deletionTimestamp) return have;
  const missing = want.filter((f) => !have?.includes(f));
  return missing.length === 0 ? have : [...(have ?? []), ...missing];
}

function sameFinalizers(want: string[], live: V1Secret): boolean {
  return withFinalizers(want, live) === live.metadata?.finalizers;
}

function controllerOf(s: V1Secret): V1OwnerReference | undefined {
  return s.metadata?.ownerReferences?.find((r) => r.controller);
}

function fresh(d: DesiredSecret, namespace: string, owner?: Owner): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: d.name,
      namespace,
      labels: d.labels,
      annotations: d.annotations,
      finalizers: d.finalizers.length > 0 ? d.finalizers : undefined,
      ownerReferences: owner ? [ownerRef(owner)] : undefined,
    },
    type: d.type,
    immutable: d.immutable || undefined,
    data: Object.fromEntries([...d.data].map(([k, v]) => [k, b64(v)])),
  };
}

export function planWrite(args: {
  policy: CreationPolicy;
  desired: DesiredSecret;
  live: V1Secret | undefined;
  namespace: string;
  owner: Owner;
}): WritePlan {
  const { policy, desired, live, namespace, owner } = args;
  const where = `Secret ${namespace}/${desired.name}`;
  if (policy === 'None') return { kind: 'none' };

  if (!live) {
    if (policy === 'Merge') {
      return {
        kind: 'blocked',
        reason: 'SecretMissing',
        message: `${where} does not exist; creationPolicy Merge only adds keys to an existing Secret`,
      };
    }
    const secret = fresh(desired, namespace, policy === 'Owner' ? owner : undefined);
    // CreateOrMerge records its keys like Merge, so a later spec change can remove them.
    if (policy === 'CreateOrMerge')
      secret.metadata!.annotations = {
        ...secret.metadata!.annotations,
        [ANNOTATION.mergedKeys]: mergedKeys(desired),
      };
    return { kind: 'create', secret };
  }

  const ctrl = controllerOf(live);
  if (policy === 'Merge' || policy === 'CreateOrMerge') return planMerge(desired, live);

  if (ctrl && ctrl.uid !== owner.uid) {
    return {
      kind: 'blocked',
      reason: 'SecretNotOwned',
      message: `${where} is controlled by ${ctrl.kind} ${ctrl.name}; it is left unchanged`,
    };
  }
  const ours =
    policy === 'Owner' ? ctrl?.uid === owner.uid : live.metadata?.labels?.[LABEL.managed] === 'true';
  if (!ours) {
    return {
      kind: 'blocked',
      reason: 'SecretNotOwned',
      message: `${where} already exists and is not managed by this ExternalSecret; it is left unchanged (delete it, or use creationPolicy Merge)`,
    };
  }
  const same =
    sameData(desired.data, live.data, false) &&
    (live.type ?? 'Opaque') === desired.type &&
    sameMeta(desired.labels, live.metadata?.labels) &&
    sameMeta(desired.annotations, live.metadata?.annotations) &&
    sameFinalizers(desired.finalizers, live) &&
    Boolean(live.immutable) === desired.immutable;
  if (same) return { kind: 'none' };
  // Type and immutable Secrets cannot change in place: the Secret is ours, so it is replaced.
  if (live.immutable || (live.type ?? 'Opaque') !== desired.type) {
    return {
      kind: 'update',
      secret: fresh(desired, namespace, policy === 'Owner' ? owner : undefined),
      recreate: true,
    };
  }
  const next = fresh(desired, namespace, policy === 'Owner' ? owner : undefined);
  next.metadata = {
    ...live.metadata,
    labels: { ...live.metadata?.labels, ...desired.labels },
    annotations: { ...live.metadata?.annotations, ...desired.annotations },
    finalizers: withFinalizers(desired.finalizers, live),
    ownerReferences:
      policy === 'Owner'
        ? [...(live.metadata?.ownerReferences ?? []).filter((r) => !r.controller), ownerRef(owner)]
        : live.metadata?.ownerReferences,
  };
  return { kind: 'update', secret: next, recreate: false };
}

/**
 * A create or update with these labels added (--sharding: the writer's shard label). They are not
 * part of the desired Secret, so a Secret that lacks them is not rewritten for them alone.
 */
export function withWriteLabels(
  plan: WritePlan,
  labels: Readonly<Record<string, string>> | undefined,
): WritePlan {
  if (!labels || (plan.kind !== 'create' && plan.kind !== 'update')) return plan;
  const metadata = { ...plan.secret.metadata, labels: { ...plan.secret.metadata?.labels, ...labels } };
  return { ...plan, secret: { ...plan.secret, metadata } };
}

function mergedKeys(d: DesiredSecret): string {
  return [...d.data.keys()].sort().join(',');
}

/** Merge: set our keys, drop keys we merged earlier but no longer want, keep everyone else's. */
function planMerge(desired: DesiredSecret, live: V1Secret): WritePlan {
  const previously = (live.metadata?.annotations?.[ANNOTATION.mergedKeys] ?? '').split(',').filter(Boolean);
  const data: Record<string, string> = { ...live.data };
  for (const k of previously) if (!desired.data.has(k)) delete data[k];
  for (const [k, v] of desired.data) data[k] = b64(v);
  const annotations = {
    ...desired.annotations,
    [ANNOTATION.mergedKeys]: [...desired.data.keys()].sort().join(','),
  };
  const unchanged =
    sameData(desired.data, live.data, true) &&
    previously.every((k) => desired.data.has(k)) &&
    sameMeta(desired.labels, live.metadata?.labels) &&
    sameMeta(annotations, live.metadata?.annotations) &&
    sameFinalizers(desired.finalizers, live);
  if (unchanged) return { kind: 'none' };
  return {
    kind: 'update',
    recreate: false,
    secret: {
      ...live,
      metadata: {
        ...live.metadata,
        labels: { ...live.metadata?.labels, ...desired.labels },
        annotations: { ...live.metadata?.annotations, ...annotations },
        finalizers: withFinalizers(desired.finalizers, live),
      },
      data,
    },
  };
}

/** deletionPolicy Merge when the remote secret is gone: remove only the keys we merged. */
export function planRemoveMergedKeys(live: V1Secret): V1Secret | undefined {
  const merged = (live.metadata?.annotations?.[ANNOTATION.mergedKeys] ?? '').split(',').filter(Boolean);
  if (merged.length === 0) return undefined;
  const data = { ...live.data };
  for (const k of merged) delete data[k];
  const annotations = { ...live.metadata?.annotations };
  delete annotations[ANNOTATION.mergedKeys];
  delete annotations[ANNOTATION.dataHash];
  return { ...live, metadata: { ...live.metadata, annotations }, data };
}
