// The one hook into the controller process (src/controllers/run.ts): wraps the sync controller so
// that the rollout controller starts, syncs, runs (on the leader) and stops beside it under the
// same leader election, without run.ts knowing about either's internals.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AppLogger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { RolloutController } from './controller';
import type { DigestKeySecret } from './digest-key';

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
  digestKey: DigestKeySecret;
}

/** Both controllers as one, the rollout side built from the wiring: see alongside(). */
export function withRollout<C extends ControllerLike>(
  sync: C,
  w: RolloutWiring,
): ControllerLike & { sync: C; rollout: RolloutController } {
  return alongside(sync, new RolloutController(w));
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
): ControllerLike & { sync: C; rollout: R } {
  let rolloutListed: Promise<void> | undefined;
  return {
    sync,
    rollout,
    start: async () => {
      rolloutListed = rollout.start();
      // Its failure is reported where it is awaited: run() on the leader.
      rolloutListed.catch(() => undefined);
      await sync.start();
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
