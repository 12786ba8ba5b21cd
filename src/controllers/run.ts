// The controller process (the ExternalSecret and rollout controllers, and the ClusterExternalSecret
// one when watching every namespace): informers on every replica (warm standby), workers only on
// the leader, health and metrics, graceful stop on SIGTERM (the lease is released so another replica takes
// over at once). With --sharding every replica runs the namespaced workers on its share of a ring
// of Leases (runtime/shard-ring.ts), and the leader keeps only the cluster-wide work and the
// sharder, which labels objects so that each replica's watches carry only its share.
// Losing the lease ends the process, as controller-runtime does; so do workers or
// a leader election that end with an error (a leader that no longer works, or no longer knows
// whether it leads, must give the lease up).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:http';
import type { Config } from '../config';
import { checkReachable } from '../kube/client';
import { startHealthServer } from '../observability/health';
import { createLogger, type AppLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { summarizeError } from '../observability/unexpected';
import { LeaderElector, leaderIdentity } from '../runtime/leader';
import { type ShardGate, ShardMember } from '../runtime/shard-member';
import { Sharder } from '../runtime/sharder';
import { shardLabelKey, shardLabelValue } from '../runtime/shard-labels';
import { LABEL } from '../api/constants';
import { ClusterExternalSecretController } from './clusterexternalsecret/controller';
import { ExternalSecretController } from './externalsecret/controller';
import { rolloutSelection, withRollout } from './rollout/wire';

export interface RunningController {
  stop(): Promise<void>;
  /** Stops without giving up the shard Lease, which then expires as after a SIGKILL (tests). */
  crash(): Promise<void>;
  /** The holder identity of its Leases (leader and shard ring). */
  identity: string;
  done: Promise<void>;
  metricsPort: number;
}

/** For embedders (tests): what a sharded process may touch besides its shard. */
export interface EmbedOptions {
  /** With --sharding: wraps the shard gate (e.g. to keep to some namespaces, or to watch it). */
  shardGate?: (gate: ShardGate) => ShardGate;
  /** false: the leader runs no cluster-wide work (store validation, ClusterExternalSecrets). */
  clusterWide?: boolean;
  /** With --sharding: the namespaces whose objects the leader's sharder labels (default all). */
  shardScope?: (namespace: string) => boolean;
}

export async function runController(
  kc: KubeConfig,
  cfg: Config,
  logger: AppLogger = createLogger(cfg.logLevel),
  /**
   * What to do once stopped because this process can no longer do its job (the lease was lost,
   * the workers or the leader election failed); the CLI exits 1, embedders decide.
   */
  onFatalStop: () => void = () => process.exit(1),
  metrics: Metrics = new Metrics(),
  embed: EmbedOptions = {},
): Promise<RunningController> {
  const reach = await checkReachable(kc);
  logger.info(
    { server: reach.server, version: reach.version, namespace: cfg.namespace ?? '(all)' },
    'connected to the Kubernetes API',
  );
  const identity = leaderIdentity(cfg.identity);
  // --sharding: every replica runs the namespaced workers, each on its share (shard-ring.ts).
  const shard = cfg.sharding.enabled
    ? new ShardMember({
        kc,
        namespace: cfg.leaderElection.namespace,
        ring: cfg.sharding.ring,
        identity,
        durations: cfg.leaderElection,
        logger,
        onViewChange: () => {
          const mayAct = (ns: string) => gate?.mayAct(ns) ?? false;
          externalSecrets.shardChanged(mayAct);
          sync.rollout.shardChanged(mayAct);
          sharder?.viewChanged();
        },
        // Rotation events the leader received, for the ExternalSecrets of this replica's share.
        onMessages: (messages) => {
          for (const m of messages) externalSecrets.refreshRemote(m.topic, m.items);
        },
      })
    : undefined;
  // The leader labels every ExternalSecret and managed Secret with its owner's shard label; each
  // replica's sync-side watches select its own (runtime/sharder.ts, shard-labels.ts).
  const sharder = shard
    ? new Sharder({
        kc,
        ring: cfg.sharding.ring,
        namespace: cfg.namespace,
        kinds: [{ kind: 'Secret', labelSelector: `${LABEL.managed}=true` }, { kind: 'ExternalSecret' }],
        view: () => shard.ring(),
        metrics,
        logger,
        scope: embed.shardScope,
      })
    : undefined;
  const gate = shard && embed.shardGate ? embed.shardGate(shard) : shard;
  const sync = withRollout(
    {
      kc,
      logger,
      metrics,
      namespace: cfg.namespace,
      debounceMs: cfg.rolloutDebounceMs,
      maxConcurrentRollouts: cfg.maxConcurrentRollouts,
      rolloutProgressTimeoutMs: cfg.rolloutProgressTimeoutMs,
      digestKey: cfg.digestKeySecret,
      selection: rolloutSelection(cfg.rolloutSelection),
      shard: gate,
    },
    (managedSecrets) =>
      new ExternalSecretController({
        kc,
        logger,
        metrics,
        namespace: cfg.namespace,
        controllerClass: cfg.controllerClass,
        concurrency: cfg.concurrency,
        fetchPlan: cfg.fetchPlan,
        refreshTimeHeartbeatMs: cfg.refreshTimeHeartbeatMs,
        shard: gate,
        managedSecrets,
        ...(shard && { relayRotation: (storeId: string, names: string[]) => shard.post(storeId, names) }),
        shardLabel: shard && { key: shardLabelKey(cfg.sharding.ring), value: shardLabelValue(identity) },
      }),
  );
  const externalSecrets = sync.sync;
  // ClusterExternalSecrets fan out to every namespace: served only when watching all of them (as
  // ESO, whose scoped installation turns its ClusterExternalSecret reconciler off).
  const fanOut =
    cfg.namespace || embed.clusterWide === false
      ? undefined
      : new ClusterExternalSecretController({ kc, logger, metrics });
  let leading = !cfg.leaderElection.enabled;
  const server: Server = await startHealthServer(
    cfg.metricsPort,
    cfg.bindAddress,
    { ready: () => sync.synced() && (fanOut?.synced() ?? true) },
    metrics,
  );
  const addr = server.address();
  const metricsPort = typeof addr === 'object' && addr ? addr.port : cfg.metricsPort;
  await Promise.all([sync.start(), fanOut?.start()]);
  logger.info('informers synced');

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let elector: LeaderElector | undefined;
  const startWork = () => {
    // The elector stays a candidate after losing the lease and may win it back while this process
    // stops because it lost it: no workers then.
    if (stopping) return;
    leading = true;
    metrics.leader.set(1);
    logger.info({ identity: elector?.identity }, 'leading: starting workers');
    if (embed.clusterWide !== false) externalSecrets.secretStores.run();
    if (!shard) sync.run().catch((err: unknown) => fatalStop('the workers failed', err));
    sharder?.run().catch((err: unknown) => fatalStop('the sharder failed', err));
    fanOut?.run().catch((err: unknown) => fatalStop('the ClusterExternalSecret workers failed', err));
  };
  let stopping = false;
  let releaseShard = true;
  const stop = async () => {
    if (stopping) return done;
    stopping = true;
    logger.info('stopping');
    // The store side first: no rotation event or store validation starts while the workers stop.
    await externalSecrets.secretStores.stop();
    await Promise.all([sync.stop(), fanOut?.stop(), sharder?.stop()]);
    // Its workers stopped: leaving the ring hands its share over without waiting for expiry.
    await shard?.stop(releaseShard);
    await elector?.stop();
    await new Promise<void>((r) => server.close(() => r()));
    resolveDone();
  };
  const fatalStop = (why: string, err?: unknown) => {
    logger.error(
      { ...(err !== undefined && { err: summarizeError(err) }) },
      `${why}; stopping so that a fresh process starts as a follower`,
    );
    if (stopping) return; // a graceful stop is under way: it reports how it ends
    stop().then(onFatalStop, (stopErr: unknown) => {
      logger.error({ err: summarizeError(stopErr) }, 'stop failed');
      onFatalStop();
    });
  };
  if (shard) {
    shard.run().catch((err: unknown) => fatalStop('the shard ring failed', err));
    sync.run().catch((err: unknown) => fatalStop('the workers failed', err));
  }
  if (cfg.leaderElection.enabled) {
    elector = new LeaderElector({
      kc,
      namespace: cfg.leaderElection.namespace,
      name: cfg.leaderElection.name,
      identity,
      durations: {
        leaseDurationMs: cfg.leaderElection.leaseDurationMs,
        renewDeadlineMs: cfg.leaderElection.renewDeadlineMs,
        retryPeriodMs: cfg.leaderElection.retryPeriodMs,
      },
      logger,
      onStartedLeading: startWork,
      onStoppedLeading: () => {
        metrics.leader.set(0);
        if (!leading || stopping) return;
        fatalStop('lost the leader lease');
      },
    });
    elector.run().catch((err: unknown) => fatalStop('leader election failed', err));
  } else {
    startWork();
  }
  const crash = () => {
    releaseShard = false;
    return stop();
  };
  return { stop, crash, identity, done, metricsPort };
}
