// The Lease record rules of client-go's leader election, as pure functions of (record, identity,
// now): who holds a lease, what we write to take or renew it, and what we write to give it up.
// Kept apart from the elector's I/O loop so the rules are unit-tested without a clock or a cluster.

/** coordination.k8s.io/v1 LeaseSpec as it travels in JSON (times are RFC 3339 micro-time strings). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [other: string]: unknown;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [other: string]: unknown };
  spec?: LeaseSpec;
}

/** A MicroTime: RFC 3339 with six fractional digits, as the apiserver writes them. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function parseTime(t: unknown): number | undefined {
  if (t instanceof Date) return t.getTime();
  if (typeof t !== 'string' || t === '') return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** When the lease expires: renewTime (else acquireTime) + leaseDurationSeconds; undefined if unknown. */
export function leaseExpiry(spec: LeaseSpec | undefined): number | undefined {
  const renewed = parseTime(spec?.renewTime ?? spec?.acquireTime);
  const seconds = spec?.leaseDurationSeconds;
  if (renewed === undefined || seconds === undefined || !(seconds > 0)) return undefined;
  return renewed + seconds * 1000;
}

/**
 * The identity that validly holds the lease at `nowMs`, or undefined when it is free: no holder
 * (released), or renewTime + leaseDurationSeconds has passed. Compares the holder's clock (which
 * wrote renewTime) with ours, so it assumes node clocks agree to well within leaseDuration.
 */
export function validHolder(spec: LeaseSpec | undefined, nowMs: number): string | undefined {
  const holder = spec?.holderIdentity;
  if (!holder) return undefined;
  const expiry = leaseExpiry(spec);
  return expiry !== undefined && expiry > nowMs ? holder : undefined;
}

/**
 * The spec to write to take (or renew) the lease: renewTime = now; acquireTime and
 * leaseTransitions kept on renewal; on a takeover acquireTime = now and leaseTransitions + 1.
 */
export function acquiredSpec(
  prev: LeaseSpec | undefined,
  identity: string,
  nowMs: number,
  leaseDurationSeconds: number,
): LeaseSpec {
  const renewal = prev?.holderIdentity === identity;
  const transitions = prev?.leaseTransitions ?? 0;
  return {
    ...prev,
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewal && prev?.acquireTime ? prev.acquireTime : microTime(nowMs),
    renewTime: microTime(nowMs),
    leaseTransitions: prev === undefined ? 0 : renewal ? transitions : transitions + 1,
  };
}

/**
 * The spec to write when giving the lease up on a graceful stop (as client-go's ReleaseOnCancel):
 * no holder and a 1 s duration, so another candidate takes it on its next try.
 */
export function releasedSpec(prev: LeaseSpec | undefined, nowMs: number): LeaseSpec {
  return {
    ...prev,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: microTime(nowMs),
    renewTime: microTime(nowMs),
    leaseTransitions: prev?.leaseTransitions ?? 0,
  };
}

/** What the apiserver answered to a Lease request that failed. */
export interface LeaseFailure {
  op: 'read' | 'create' | 'update' | 'renew';
  /** HTTP status; undefined when the apiserver was not reached. */
  code?: number;
  /** The apiserver's (or the transport's) error text. */
  error: string;
  namespace: string;
  name: string;
}

const VERB: Record<LeaseFailure['op'], string> = {
  read: 'get',
  create: 'create',
  update: 'update',
  renew: 'update',
};

/**
 * One log line saying why leader election cannot proceed and what fixes it. A 404 on create can
 * only mean the Lease's namespace is missing (the apiserver says `namespaces "x" not found`).
 */
export function explainLeaseFailure(f: LeaseFailure, namespaceFlag = '--leader-election-namespace'): string {
  const says = `apiserver: ${f.error}`;
  if (f.code === 404 && (f.op === 'create' || /namespaces? "[^"]*" not found/.test(f.error))) {
    return (
      `leader election: namespace ${f.namespace} does not exist (${says}); create it or pass ` +
      `${namespaceFlag} naming the namespace the Lease should live in`
    );
  }
  if (f.code === 403) {
    return (
      `leader election: the controller may not ${VERB[f.op]} Leases in namespace ${f.namespace} (${says}); ` +
      `grant it (deploy/rbac.yaml) or pass ${namespaceFlag}`
    );
  }
  return `leader election: ${f.op} of Lease ${f.namespace}/${f.name} failed (${f.code === undefined ? f.error : says}); retrying`;
}
