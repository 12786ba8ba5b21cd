// The controller under measurement runs as its own process (`node dist/bundle/main.js controller`,
// the artefact the image runs), authenticated as the secretsync ServiceAccount, so that its RSS is
// its own and a restart is a real restart. RSS comes from /proc/<pid>/status (VmRSS, VmHWM = peak).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, spawnManaged, type Managed } from '../testbed/process';
import { repoRoot } from '../testbed/paths';
import { MB, sleep } from './util';

export interface ControllerOptions {
  name: string;
  /** Port for its /metrics (a free one, picked by the caller). */
  metricsPort: number;
  kubeconfig: string;
  /** Watch one namespace (the variants); absent: every namespace (the shard scenario). */
  namespace?: string;
  fetchPlan: 'planned' | 'naive';
  concurrency: number;
  logFile: string;
  env: Record<string, string>;
  /** Leader election (default off: --no-leader-elect, one process per variant). */
  leaderElect?: boolean;
  /** More flags (e.g. --sharding, --shard-ring). */
  args?: string[];
}

/**
 * What runs: the production bundle (npm run build:bundle), as in the image, unless
 * SECRETSYNC_BENCH_ENTRY names another script (e.g. dist/src/main.js, the tsc output, to compare).
 */
export function controllerEntry(): string {
  return join(repoRoot, process.env.SECRETSYNC_BENCH_ENTRY ?? join('dist', 'bundle', 'main.js'));
}

/**
 * The Node flags the image runs with (the Dockerfile's ENTRYPOINT, read so that the two cannot
 * drift apart), or SECRETSYNC_BENCH_NODE_FLAGS (space-separated; empty for none) to measure others.
 */
export function nodeFlags(): string[] {
  const env = process.env.SECRETSYNC_BENCH_NODE_FLAGS;
  if (env !== undefined) return env.split(' ').filter(Boolean);
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const entry = line ? (JSON.parse(line[1]!) as string[]) : [];
  return entry.slice(1).filter((a) => a.startsWith('--'));
}

let compileCache: string | undefined;

/**
 * NODE_COMPILE_CACHE as the image sets it (Dockerfile): a V8 compile cache for the bundle, made
 * once per benchmark run by `version` with the same node flags (Node keys the cache by flags and
 * uid). Each process gets its own copy of it, as each container starts from the image's: what one
 * process adds (the provider SDKs it loaded) does not help the next, as it does not in a pod.
 * SECRETSYNC_BENCH_COMPILE_CACHE=0 measures without one.
 */
export function compileCacheEnv(): NodeJS.ProcessEnv {
  if (process.env.SECRETSYNC_BENCH_COMPILE_CACHE === '0') return {};
  if (compileCache === undefined) {
    compileCache = join(repoRoot, 'dist', 'compile-cache');
    rmSync(compileCache, { recursive: true, force: true });
    const env = { ...process.env, NODE_COMPILE_CACHE: compileCache };
    spawnSync(process.execPath, [...nodeFlags(), controllerEntry(), 'version'], { env, timeout: 60_000 });
  }
  const copy = mkdtempSync(join(tmpdir(), 'secretsync-compile-cache-'));
  cpSync(compileCache, copy, { recursive: true });
  return { NODE_COMPILE_CACHE: copy };
}

/** Every controller process started and not yet stopped, for cleanup on exit or Ctrl-C. */
export const running = new Set<ControllerProcess>();

export interface Rss {
  rss: number;
  peak: number;
  /** Where it goes, from the controller's own Node metrics (V8 heap used/total, external memory). */
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

export class ControllerProcess {
  private constructor(
    readonly opts: ControllerOptions,
    readonly proc: Managed,
    readonly startedAt: number,
    private readonly compileCache: string | undefined,
  ) {}

  static start(opts: ControllerOptions): ControllerProcess {
    const args = [
      ...nodeFlags(),
      controllerEntry(),
      'controller',
      '--kubeconfig',
      opts.kubeconfig,
      ...(opts.namespace ? ['--namespace', opts.namespace] : []),
      '--metrics-port',
      String(opts.metricsPort),
      '--bind-address',
      '127.0.0.1',
      ...(opts.leaderElect ? [] : ['--no-leader-elect']),
      '--fetch-plan',
      opts.fetchPlan,
      '--concurrency',
      String(opts.concurrency),
      '--log-level',
      'info',
      ...(opts.args ?? []),
    ];
    const startedAt = Date.now();
    const cache = compileCacheEnv();
    const proc = spawnManaged({
      name: opts.name,
      command: process.execPath,
      args,
      logFile: opts.logFile,
      env: { ...cache, ...opts.env },
    });
    const c = new ControllerProcess(opts, proc, startedAt, cache.NODE_COMPILE_CACHE);
    running.add(c);
    return c;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /**
   * Resolves when the process logs `line` (by default: its workers started, informers listed; a
   * sharded replica that does not lead logs only 'informers synced'); returns the time.
   */
  async ready(timeoutMs = 120_000, line = 'starting workers'): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let exited: number | null | undefined;
    // eslint-disable-next-line @typescript-eslint/no-floating-promises -- exited never rejects (it resolves on 'exit')
    void this.proc.exited.then((c) => (exited = c));
    while (Date.now() < deadline) {
      if (exited !== undefined)
        throw new Error(`${this.opts.name} exited (${exited}); log: ${this.opts.logFile}`);
      let log = '';
      try {
        log = readFileSync(this.opts.logFile, 'utf8');
      } catch {
        /* not yet */
      }
      if (log.includes(line)) return Date.now();
      await sleep(50);
    }
    throw new Error(`${this.opts.name} not ready within ${timeoutMs / 1000}s; log: ${this.opts.logFile}`);
  }

  /** CPU time (user + system) the process has used so far, in seconds. */
  cpuSeconds(): number {
    // Fields after the command name (which may contain spaces): utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // USER_HZ is 100 on Linux
  }

  /**
   * The controller's own reconcile-duration histogram (sum, count) for ExternalSecrets. Only used to
   * explain figures (where the time goes), never as a count of provider calls or writes.
   */
  async reconcileStats(): Promise<{ sum: number; count: number } | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.opts.metricsPort}/metrics`)).text();
      const get = (suffix: string) =>
        Number(
          new RegExp(
            `^secretsync_reconcile_duration_seconds_${suffix}\\{controller="externalsecret"\\} (\\S+)`,
            'm',
          ).exec(text)?.[1] ?? NaN,
        );
      const r = { sum: get('sum'), count: get('count') };
      // A labelled histogram has no lines before its first observation.
      return Number.isFinite(r.sum) && Number.isFinite(r.count) ? r : { sum: 0, count: 0 };
    } catch {
      return undefined;
    }
  }

  /**
   * ExternalSecret refreshes that reached the sources (synced or found unchanged), from the
   * controller's counter: a refresh that changes nothing writes nothing the benchmark could watch.
   */
  async refreshCount(): Promise<number | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.opts.metricsPort}/metrics`)).text();
      let n = 0;
      for (const m of text.matchAll(
        /^secretsync_externalsecret_syncs_total\{result="(?:synced|unchanged)"\} (\S+)/gm,
      ))
        n += Number(m[1]);
      return n;
    } catch {
      return undefined;
    }
  }

  /** The value of each unlabelled series of its /metrics (undefined if it does not answer). */
  private async scrape(): Promise<Map<string, number> | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.opts.metricsPort}/metrics`)).text();
      const out = new Map<string, number>();
      for (const m of text.matchAll(/^([a-z_]+)(\{[^}]*\})? (\S+)$/gm))
        out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
      return out;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves with the time of its first ExternalSecret reconcile (the controller's reconcile
   * histogram, polled every 20 ms: an unchanged restart makes no apiserver or provider call that
   * could be seen server-side).
   */
  async firstReconcile(timeoutMs = 120_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const series = 'secretsync_reconcile_duration_seconds_count{controller="externalsecret"}';
    while (Date.now() < deadline) {
      if ((await this.scrape())?.get(series)) return Date.now();
      await sleep(20);
    }
    throw new Error(`${this.opts.name}: no reconcile within ${timeoutMs / 1000}s`);
  }

  /** rss() with the heap figures of its Node metrics. */
  async memory(): Promise<Rss> {
    const r = this.rss();
    const m = await this.scrape();
    if (!m) return r;
    return {
      ...r,
      heapUsed: m.get('nodejs_heap_size_used_bytes'),
      heapTotal: m.get('nodejs_heap_size_total_bytes'),
      external: m.get('nodejs_external_memory_bytes'),
    };
  }

  /** Current and peak resident set size, in bytes. */
  rss(): Rss {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
  }

  /** RSS after `settleMs`, sampled every second; the last sample (and the peak so far). */
  async settledRss(settleMs: number): Promise<Rss> {
    const end = Date.now() + settleMs;
    while (Date.now() < end) await sleep(Math.min(1000, Math.max(0, end - Date.now())));
    return this.memory();
  }

  /** Whether its log has `text` (e.g. that it led). */
  logIncludes(text: string): boolean {
    try {
      return readFileSync(this.opts.logFile, 'utf8').includes(text);
    } catch {
      return false;
    }
  }

  /** Lines of its log at warn level or above (for the report's notes). */
  problems(): string[] {
    let log = '';
    try {
      log = readFileSync(this.opts.logFile, 'utf8');
    } catch {
      return [];
    }
    return log
      .split('\n')
      .filter((l) => /"level":(40|50|60)/.test(l))
      .map((l) => {
        try {
          const o = JSON.parse(l) as { msg?: string; err?: string; reason?: string };
          return [o.msg, o.reason, o.err].filter(Boolean).join(': ');
        } catch {
          return l.slice(0, 200);
        }
      });
  }

  async stop(): Promise<void> {
    running.delete(this);
    await killGroup(this.pid, 10_000);
    if (this.compileCache) rmSync(this.compileCache, { recursive: true, force: true });
  }
}

/** One step of the module floor: RSS and V8 heap in use after it (bytes; medians over the runs). */
export interface FloorStep {
  step: string;
  rss: number;
  heapUsed?: number;
}

/**
 * RSS of a fresh Node process after requiring, in order, what the controller loads: the floor
 * under every memory figure, measured rather than assumed. Two processes: what ships (the bundle,
 * then the provider SDKs it loads lazily, by the paths src/ requires), and the tsc output with
 * client-node whole, to compare. Each runs `runs` times with the Dockerfile's node flags; a fresh
 * process's RSS varies by a few MB from run to run (V8's background threads), so each figure is
 * the median. `npm run -s bench:floor` prints this table alone.
 */
export function moduleFloor(runs = 5): FloorStep[] {
  const shipped = [
    [
      'the controller as shipped (dist/bundle/main.js: CLI, sync + rollout controllers, client-node tree-shaken; with the compile cache the image ships)',
      './dist/bundle/main.js',
    ],
    ['+ @google-cloud/pubsub (a store with a Pub/Sub subscription)', '@google-cloud/pubsub'],
    [
      '+ @google-cloud/secret-manager (first gcpsm store; its v1 entry)',
      '@google-cloud/secret-manager/build/src/v1',
    ],
    ['+ @aws-sdk/client-secrets-manager (first aws store)', '@aws-sdk/client-secrets-manager'],
  ];
  const unbundled = [
    ['unbundled: @kubernetes/client-node alone', '@kubernetes/client-node'],
    ['unbundled: + the tsc output (dist/src/main.js)', './dist/src/main.js'],
  ];
  const uncached = [['the bundle without a compile cache (parsed at start)', './dist/bundle/main.js']];
  return [
    ...medianSteps(shipped, true, runs, true),
    ...medianSteps(uncached, false, runs),
    ...medianSteps(unbundled, false, runs),
  ];
}

function medianSteps(steps: string[][], bare: boolean, runs: number, cached = false): FloorStep[] {
  const run = () => {
    const env = cached ? compileCacheEnv() : {};
    try {
      return requireSteps(steps, bare, env);
    } finally {
      if (env.NODE_COMPILE_CACHE) rmSync(env.NODE_COMPILE_CACHE, { recursive: true, force: true });
    }
  };
  const all = Array.from({ length: runs }, run).filter((r) => r.length > 0);
  if (all.length === 0) return [];
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return all[0]!.map((row, i) => ({
    step: row.step,
    rss: median(all.map((r) => r[i]!.rss)),
    heapUsed: median(all.map((r) => r[i]!.heapUsed ?? 0)),
  }));
}

function requireSteps(steps: string[][], bare: boolean, env: NodeJS.ProcessEnv): FloorStep[] {
  const script = `
    const path = require('node:path');
    const at = (label) => { const m = process.memoryUsage(); return [label, m.rss, m.heapUsed]; };
    const out = ${bare} ? [at('bare node')] : [];
    for (const [label, mod] of ${JSON.stringify(steps)}) {
      require(mod.startsWith('.') ? path.resolve(mod) : mod);
      out.push(at(label));
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...nodeFlags(), '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_COMPILE_CACHE: undefined, ...env },
  });
  if (r.status !== 0) return [];
  const rows = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as [string, number, number][];
  return rows.map(([step, rss, heapUsed]) => ({ step, rss, heapUsed }));
}

export const mb = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / MB);
