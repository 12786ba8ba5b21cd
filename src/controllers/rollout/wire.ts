// The one hook into the controller process (src/controllers/run.ts): wraps the sync controller so
// that the rollout controller starts, syncs, runs (on the leader) and stops beside it under the
// same leader election, without run.ts knowing about either's internals.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Informer } from '../../runtime/informer';
import type { RolloutFlags } from '../../config';
import { WORKLOAD_KINDS } from './kinds';
import type { AppLogger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { RolloutController, type RolloutSelection } from './controller';
import type { DigestKeySecret } from './digest-key';
import type { ShardGate } from '../../runtime/shard-member';

/** What run.ts drives: the shape both controllers share. */
export interface ControllerLike {
  start(): Promise<void>;
  synced(): boolean;
  run(): Promise<void>;
  stop(): Promise<void>;
}

export interface RolloutWiring {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  namespace?: string;
  debounceMs: number;
  maxConcurrentRollouts?: number;
  rolloutProgressTimeoutMs?: number;
  digestKey: DigestKeySecret;
  selection?: RolloutSelection;
  shard?: ShardGate;
}

/** The flags as the rollout controller takes them (kind names checked against kinds.ts). */
export function rolloutSelection(f: RolloutFlags): RolloutSelection {
  return {
    autoReloadAll: f.autoReloadAll,
    onCreate: f.onCreate,
    onDelete: f.onDelete,
    ignoreKinds: f.ignoreKinds,
    ignoreNamespaces: f.ignoreNamespaces,
    ignoreWorkloadKinds: WORKLOAD_KINDS.filter((k) => f.ignoreWorkloadKinds.includes(k)),
    namespaceSelector: f.namespaceSelector,
    resourceSelector: f.resourceSelector,
  };
}

/**
 * Both controllers as one, the rollout side built from the wiring: see alongside(). The sync side
 * is built with the rollout side's view of the managed Secrets, so that one list and one watch of
 * Secrets serve both (RolloutController.managedSecrets).
 */
export function withRollout<C extends ControllerLike>(
  w: RolloutWiring,
  buildSync: (managedSecrets: <U>(project: (obj: KubernetesObject) => U) => Informer<U>) => C,
): ControllerLike & { sync: C; rollout: RolloutController } {
  let syncListed!: () => void;
  // The rollout side's other Secrets (tens of thousands) are listed after the sync side's lists,
  // not competing with them for the apiserver and this process.
  const secretsRestAfter = new Promise<void>((resolve) => (syncListed = resolve));
  const rollout = new RolloutController({ ...w, secretsRestAfter });
  return alongside(
    buildSync((project) => rollout.managedSecrets(project)),
    rollout,
    syncListed,
  );
}

/**
 * Two controllers as one: start/synced/run/stop apply to each. start() resolves once the sync
 * side has listed: the rollout side lists every Secret and ConfigMap in the cluster (tens of
 * thousands), which ExternalSecrets never need, so its listing goes on in the background and its
 * workers start only after it completes — no rollout is decided on a partial view.
 */
export function alongside<C extends ControllerLike, R extends ControllerLike>(
  sync: C,
  rollout: R,
  /** Called once the sync side's start() has settled. */
  onSyncListed: () => void = () => undefined,
): ControllerLike & { sync: C; rollout: R } {
  let rolloutListed: Promise<void> | undefined;
  return {
    sync,
    rollout,
    start: async () => {
      rolloutListed = rollout.start();
      // Its failure is reported where it is awaited: run() on the leader.
      rolloutListed.catch(() => undefined);
      try {
        await sync.start();
      } finally {
        onSyncListed();
      }
    },
    synced: () => sync.synced() && rollout.synced(),
    run: async () => {
      await Promise.all([sync.run(), (rolloutListed ?? rollout.start()).then(() => rollout.run())]);
    },
    stop: async () => {
      await Promise.all([sync.stop(), rollout.stop()]);
    },
  };
}
