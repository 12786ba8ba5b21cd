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
  maxConcurrentRollouts?: number;
  rolloutProgressTimeoutMs?: number;
  digestKey: DigestKeySecret;
}

/** Both controllers as one: start/synced/run/stop apply to each. */
export function withRollout<C extends ControllerLike>(
  sync: C,
  w: RolloutWiring,
): ControllerLike & { sync: C; rollout: RolloutController } {
  const rollout = new RolloutController(w);
  return {
    sync,
    rollout,
    start: async () => {
      await Promise.all([sync.start(), rollout.start()]);
    },
    synced: () => sync.synced() && rollout.synced(),
    run: async () => {
      await Promise.all([sync.run(), rollout.run()]);
    },
    stop: async () => {
      await Promise.all([sync.stop(), rollout.stop()]);
    },
  };
}
