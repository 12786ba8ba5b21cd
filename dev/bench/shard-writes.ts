// Who wrote what during a shard run, from the audit log: writes per replica (each replica runs as
// its own ServiceAccount, so the audit user names the replica) and the objects that more than one
// replica wrote — with namespace sharding there must be none. The sharder's label patches are
// counted apart: they are writes, but to a cache label, not to what an owner decides.
import { SHARDER_FIELD_MANAGER } from '../../src/runtime/sharder';
import type { AuditEntry, WriteCounts } from './audit';

export interface ReplicaWrites extends WriteCounts {
  /** Distinct Secrets it wrote (successfully): the ExternalSecrets it synced. */
  secretObjects: number;
  /** Distinct namespaces it wrote in. */
  namespaces: number;
  /** Shard label patches it made as the sharder (successful ones). */
  labels: number;
}

export interface WritesByReplica {
  /** Writes in the run's namespaces, per audit user (only the users asked about). */
  perUser: Map<string, ReplicaWrites>;
  /** Writes by those users outside the run's namespaces (e.g. the digest key Secret). */
  outside: Map<string, number>;
  /** Objects (resource/namespace/name) written successfully by more than one user. */
  shared: string[];
  /** Objects more than one user tried to write (refused attempts included). */
  sharedAttempts: string[];
}

const empty = (): ReplicaWrites => ({
  secrets: 0,
  status: 0,
  deployments: 0,
  events: 0,
  failed: 0,
  secretObjects: 0,
  namespaces: 0,
  labels: 0,
});

/** Status writes are writes to the ExternalSecret: one object. */
const objectOf = (e: AuditEntry) => `${e.resource.replace(/\/status$/, '')}/${e.namespace}/${e.name}`;

export function writesByReplica(
  entries: Iterable<AuditEntry>,
  users: readonly string[],
  inRun: (namespace: string) => boolean,
  from: number,
  to: number,
): WritesByReplica {
  const perUser = new Map<string, ReplicaWrites>(users.map((u) => [u, empty()]));
  const outside = new Map<string, number>(users.map((u) => [u, 0]));
  const writers = new Map<string, Set<string>>();
  const tried = new Map<string, Set<string>>();
  const secrets = new Map<string, Set<string>>(users.map((u) => [u, new Set()]));
  const namespaces = new Map<string, Set<string>>(users.map((u) => [u, new Set()]));
  for (const e of entries) {
    if (e.t < from || e.t >= to) continue;
    const w = perUser.get(e.user);
    if (!w) continue;
    if (!inRun(e.namespace)) {
      outside.set(e.user, (outside.get(e.user) ?? 0) + 1);
      continue;
    }
    if (e.fieldManager === SHARDER_FIELD_MANAGER) {
      if (e.code < 400) w.labels++;
      continue;
    }
    if (e.resource === 'secrets') w.secrets++;
    else if (e.resource === 'externalsecrets/status') w.status++;
    else if (e.resource === 'deployments') w.deployments++;
    else if (e.resource === 'events') w.events++;
    else continue;
    const obj = objectOf(e);
    const add = (m: Map<string, Set<string>>) => {
      const s = m.get(obj) ?? new Set<string>();
      s.add(e.user);
      m.set(obj, s);
    };
    add(tried);
    namespaces.get(e.user)!.add(e.namespace);
    if (e.code >= 400) {
      w.failed++;
      continue;
    }
    add(writers);
    if (e.resource === 'secrets') secrets.get(e.user)!.add(obj);
  }
  for (const [u, w] of perUser) {
    w.secretObjects = secrets.get(u)!.size;
    w.namespaces = namespaces.get(u)!.size;
  }
  const many = (m: Map<string, Set<string>>) => [...m].filter(([, s]) => s.size > 1).map(([o]) => o);
  return { perUser, outside, shared: many(writers), sharedAttempts: many(tried) };
}
