#!/usr/bin/env node
// secretsync CLI: `controller` runs the controller; `validate`, `status` and `sync` (src/cli/);
// `version`. The development checkout adds `start` (dev/demo/main.ts: with no cluster configured,
// a local testbed and a demo).
import { Command, Option } from 'commander';
import { registerStatus } from './cli/status';
import { registerSync } from './cli/sync';
import { registerValidate } from './cli/validate';
import { buildConfig, ConfigError, type RawFlags } from './config';
import { runController } from './controllers/run';
import { loadKubeConfig } from './kube/client';
import { createLogger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { installUnexpectedFailurePolicy, summarizeError } from './observability/unexpected';
import { VERSION } from './version';

/**
 * The controller's flags. No commander defaults: buildConfig applies them after the environment
 * variable, which a default filled in here would always hide.
 */
export function controllerOptions(cmd: Command): Command {
  return (
    cmd
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then in-cluster)')
      .option('--namespace <ns>', 'watch only this namespace (default: all)')
      .option(
        '--controller-class <name>',
        'handle only stores whose spec.controller is this (and unset ones)',
      )
      .option('--concurrency <n>', 'reconcile workers (default 16)')
      .option('--metrics-port <port>', 'port for /metrics, /healthz, /readyz (default 8080)')
      .option('--bind-address <addr>', 'address for the metrics/health server (default 0.0.0.0)')
      .option('--log-level <level>', 'pino log level (default info)')
      .addOption(new Option('--no-leader-elect', 'run without leader election (single replica only)'))
      .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE)')
      .option('--leader-election-id <name>', 'name of the Lease (default secretsync-leader)')
      .option('--lease-duration <d>', 'leader lease duration (default 15s)')
      .option('--renew-deadline <d>', 'leader renew deadline (default 10s)')
      .option('--retry-period <d>', 'leader retry period (default 2s)')
      .option(
        '--sharding',
        'active-active: every replica reconciles its share of namespaces (a hash ring over one Lease per replica); the leader keeps the cluster-wide work',
      )
      .option('--shard-ring <name>', 'name of the shard ring (label of its Leases; default secretsync)')
      .option(
        '--rollout-debounce <d>',
        'minimum time between two rollouts of one workload (unless its pause-period says otherwise): the first change rolls at once, later ones within the window make one rollout at its end (default 1s)',
      )
      .option(
        '--max-concurrent-rollouts <n>',
        'restarts in flight at once, cluster-wide; a rollout counts until its new pods are available (default 0: unlimited)',
      )
      .option(
        '--rollout-progress-timeout <d>',
        'how long a rollout counts against --max-concurrent-rollouts at most without completing (default 10m)',
      )
      .option(
        '--digest-key-secret <name>',
        'Secret (in the Lease namespace) holding the key of the digests written on workloads',
      )
      .option(
        '--fetch-plan <mode>',
        'planned (shared fetches, batching, version tags) or naive (one call per entry) (default planned)',
      )
      .option(
        '--refresh-time-heartbeat <d>',
        'write status.refreshTime at least this often when a refresh changes nothing (0: every refresh, as ESO) (default 1h)',
      )
      // Reloader's flags, same names and spellings (--flag or --flag=true|false): docs/reference.md.
      .option(
        '--auto-reload-all [bool]',
        'workloads without an auto annotation roll as if reloader.stakater.com/auto: "true"',
      )
      .option('--reload-on-create [bool]', 'an optional reference appearing rolls its readers (default true)')
      .option(
        '--reload-on-delete [bool]',
        'an optional reference going away rolls its readers (default true)',
      )
      .option('--resources-to-ignore <kinds>', 'secrets and/or configMaps: their changes never roll anything')
      .option('--namespaces-to-ignore <list>', 'comma list of namespaces whose workloads are never rolled')
      .option(
        '--ignored-workload-types <list>',
        'comma list of workload kinds not watched: deployments, statefulsets, daemonsets, jobs, cronjobs, rollouts',
      )
      .option(
        '--namespace-selector <selector>',
        'only workloads in namespaces with these labels (e.g. reloader=enabled)',
      )
      .option(
        '--resource-label-selector <selector>',
        'only Secrets and ConfigMaps with these labels roll anything',
      )
  );
}

export async function runFromFlags(flags: RawFlags): Promise<void> {
  const cfg = buildConfig(flags);
  const kc = loadKubeConfig({ kubeconfig: cfg.kubeconfig });
  if (!kc)
    throw new ConfigError('no cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a cluster');
  const logger = createLogger(cfg.logLevel);
  const metrics = new Metrics();
  // Installed before anything starts, for the process's whole life: docs/reference.md.
  installUnexpectedFailurePolicy({ logger, counter: metrics.unexpectedRejections });
  const running = await runController(kc, cfg, logger, () => process.exit(1), metrics);
  const onSignal = (sig: string) => {
    logger.info({ signal: sig }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: summarizeError(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  await running.done;
}

export function buildCli(): Command {
  const program = new Command('secretsync')
    .description('Sync cloud secrets into Kubernetes Secrets and restart the workloads that use them')
    .version(VERSION, '--version');
  controllerOptions(program.command('controller').description('run the controller against a cluster')).action(
    runFromFlags,
  );
  registerValidate(program);
  registerStatus(program);
  registerSync(program);
  program
    .command('version')
    .description('print the version')
    .action(() => console.log(VERSION));
  return program;
}

/** Runs the CLI on `argv`; `node dist/src/main.js` and bin/secretsync.js both come here. */
export function runCli(argv: string[] = process.argv, program: Command = buildCli()): Promise<void> {
  return program
    .parseAsync(argv)
    .then(() => undefined)
    .catch((err: unknown) => {
      console.error(`secretsync: ${summarizeError(err).message}`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    });
}

// eslint-disable-next-line @typescript-eslint/no-floating-promises -- runCli catches every failure itself (prints it, exits)
if (require.main === module) void runCli();
