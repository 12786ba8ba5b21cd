// In-memory ReconcileDeps for the reconcile without an apiserver: the fuzz harness
// (test/resilience/support/fuzz.ts) and the table-driven reconcile suite
// (test/unit/externalsecret/reconcile.test.ts). A status patch is applied as the watch would deliver
// it: a new ExternalSecret object replaces the cached one. Every object the reconcile gets from the
// "informer caches" (the ExternalSecret, stores, lean Secrets) is deeply frozen, so a reconcile that
// edits a cached object in place throws instead of passing.
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret, ExternalSecretStatus } from '../../src/api/generated';
import { KubeApiError } from '../../src/kube/request';
import type { SecretsClient } from '../../src/providers/core/types';
import type { Clock } from '../../src/runtime/clock';
import type { LeanSecret, ReconcileDeps } from '../../src/controllers/externalsecret/reconcile';
import type { StoreObject } from '../../src/controllers/secretstore/store';
import { SyncMemory } from '../../src/controllers/externalsecret/sync-memory';

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export interface FakeWorld {
  es: ExternalSecret;
  clock: Clock;
  /** The store a reference resolves to (undefined: not found). */
  store(kind: StoreObject['kind'], ns: string, name: string): StoreObject | undefined;
  client(store: StoreObject): Promise<SecretsClient>;
  /** Live Secrets by name (the apiserver); writes land here. */
  secrets?: Map<string, V1Secret>;
  /** ConfigMaps by name (templateFrom sources). */
  configMaps?: Map<string, V1ConfigMap>;
  /** What the Secret informer shows (lean projection), by name. */
  cached?: Map<string, LeanSecret>;
  namespaceLabels?: Record<string, string>;
  /** Checks a Secret write as the apiserver would (throw a KubeApiError to refuse it). */
  admit?(secret: V1Secret): void;
  controllerClass?: string;
  /** Default: a fresh memory without version tags (the naive fetch plan). */
  memory?: SyncMemory;
  /** Default unset: status.refreshTime moves on every refresh (ESO's behaviour). */
  refreshTimeHeartbeatMs?: number;
}

/** Everything the reconcile did through its deps, in order. */
export interface FakeRecord {
  statuses: ExternalSecretStatus[];
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** `create <name>`, `update <name>`, `recreate <name>`, `replace <name>`, `delete <name>`. */
  writes: string[];
  syncs: string[];
  /** `<status> <reason>` of every Ready decision (the readiness gauge), written or standing; `none`: not ours. */
  ready: string[];
  /** Rotation latencies (ms) of the syncs rotation events forced. */
  rotationMs: number[];
  /** The ExternalSecret as the cache holds it now (with the last status patch applied). */
  current(): ExternalSecret;
}

export function fakeReconcileDeps(world: FakeWorld): { deps: ReconcileDeps; record: FakeRecord } {
  let current = deepFreeze(world.es);
  const secrets = world.secrets ?? new Map<string, V1Secret>();
  const cached = world.cached ?? new Map<string, LeanSecret>();
  deepFreeze([...cached.values()]);
  const record: FakeRecord = {
    statuses: [],
    events: [],
    writes: [],
    syncs: [],
    ready: [],
    rotationMs: [],
    current: () => current,
  };
  const store = (kind: StoreObject['kind'], ns: string, name: string) =>
    deepFreeze(world.store(kind, ns, name));
  const put = (secret: V1Secret) => {
    world.admit?.(secret);
    secrets.set(secret.metadata!.name!, secret);
  };
  const deps: ReconcileDeps = {
    clock: world.clock,
    controllerClass: world.controllerClass,
    refreshTimeHeartbeatMs: world.refreshTimeHeartbeatMs,
    externalSecret: () => current,
    store,
    namespaceLabels: async () => world.namespaceLabels ?? {},
    client: (s) => world.client(s),
    cachedSecret: (_ns, name) => cached.get(name),
    readSecret: async (_ns, name) => structuredClone(secrets.get(name)),
    readConfigMap: async (_ns, name) => structuredClone(world.configMaps?.get(name)),
    writeSecret: async (_ns, plan) => {
      const name = plan.secret.metadata!.name!;
      if (plan.kind === 'create' && secrets.has(name))
        throw new KubeApiError(409, 'AlreadyExists', `secrets "${name}" already exists`);
      put(plan.secret);
      record.writes.push(`${plan.kind === 'update' && plan.recreate ? 'recreate' : plan.kind} ${name}`);
    },
    replaceSecret: async (_ns, s) => {
      put(s);
      record.writes.push(`replace ${s.metadata!.name!}`);
    },
    deleteSecret: async (_ns, name) => {
      secrets.delete(name);
      record.writes.push(`delete ${name}`);
    },
    patchStatus: async (_es, status) => {
      record.statuses.push(status);
      current = deepFreeze({ ...current, status });
    },
    event: (_es, type, reason, message) => void record.events.push({ type, reason, message }),
    memory: world.memory ?? new SyncMemory(false),
    onSync: (result) => void record.syncs.push(result),
    onReady: (_es, ready) => void record.ready.push(ready ? `${ready.status} ${ready.reason}` : 'none'),
    onRotationSynced: (ms) => void record.rotationMs.push(ms),
  };
  return { deps, record };
}
