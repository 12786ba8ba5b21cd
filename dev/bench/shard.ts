// The shard scenario (`--scenarios shard`): N ExternalSecrets spread over many namespaces, each
// namespace with a fake-provider SecretStore (no cloud, no workloads, so no rollout), converged
// from scratch by R controller processes. Runs: `plain` (one replica, leader election, no
// --sharding: what ships by default) and R = 1, 3, … replicas with --sharding. Each run starts from
// the same state: the ExternalSecrets are created (no controller running) after the previous run's
// ExternalSecrets and Secrets are deleted, so every run converges the same objects from nothing.
// Each replica runs as its own ServiceAccount bound to the secretsync roles, so that the audit log
// names the replica behind every write.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Informer } from '../../src/runtime/informer';
import { freePort } from '../testbed/ports';
import { repoRoot } from '../testbed/paths';
import type { AuditLog, WriteCounts } from './audit';
import { ControllerProcess } from './controller';
import { cpuBetween, snapshotCpu, testbedLabels, type CpuUse } from './cpu';
import type { Kube } from './kube';
import { writesByReplica } from './shard-writes';
import { pool, sleep, Timeout, until } from './util';

/** `plain`: one replica without --sharding; a number: that many replicas with --sharding. */
export type ShardRunKind = 'plain' | number;

export interface ShardOptions {
  n: number;
  namespaces: number;
  /** Keys in each fake store; ExternalSecret i reads key i mod keys. */
  keys: number;
  runs: ShardRunKind[];
  concurrency: number;
  createWidth: number;
  convergeTimeoutMs: number;
  /** After all are Ready, writes are still counted for this long (late or duplicate writes). */
  quietMs: number;
}

export interface ReplicaResult {
  identity: string;
  leader: boolean;
  /** Times its process exited on its own and was started again (as a pod would be). */
  restarts: number;
  /** Process start → 'informers synced' (s). */
  syncedS?: number;
  /** VmHWM at the end of the run (bytes). */
  peakRss: number;
  /** CPU seconds (user + system) from start to all Ready, and to the end of the quiet window. */
  cpuS: number;
  cpuEndS: number;
  writes: WriteCounts;
  /** Distinct Secrets it wrote: its share of the ExternalSecrets. */
  secretObjects: number;
  namespaces: number;
  /** Writes outside the run's namespaces (e.g. the digest key Secret in secretsync-system). */
  outside: number;
}

export interface ShardRunResult {
  label: string;
  replicas: number;
  sharding: boolean;
  /** Deleting the previous run's ExternalSecrets and Secrets (s; not counted). */
  resetS: number;
  /** Creating the N ExternalSecrets with no controller running (s; not counted). */
  createdS: number;
  /** First replica spawned → all N Ready (s). */
  convergeS?: number;
  ready: number;
  /** Managed Secrets named after the ExternalSecrets, listed after the run. */
  secrets: number;
  /** Ready=False reasons seen at the end, with counts. */
  notReady: Record<string, number>;
  windowS: number;
  replicaResults: ReplicaResult[];
  writes: WriteCounts;
  /** The sharder's shard label patches (not in writes; absent in results saved before they were counted). */
  labelPatches?: number;
  shared: string[];
  sharedAttempts: string[];
  machine?: CpuUse;
  notes: string[];
}

export interface ShardResult {
  n: number;
  namespaces: number;
  keys: number;
  concurrency: number;
  quietS: number;
  runs: ShardRunResult[];
}

export interface ShardEnv {
  kube: Kube;
  audit: AuditLog;
  logs: string;
  /** Directory for the replicas' kubeconfigs. */
  root: string;
  controllerEnv: Record<string, string>;
  progress: (line: string) => void;
}

const ES_GROUP = '/apis/external-secrets.io/v1';
const MANAGED = 'reconcile.external-secrets.io/managed=true';
const BENCH_LABEL = 'secretsync.io/bench-shard';
const SA_USER = (sa: string) => `system:serviceaccount:secretsync-system:${sa}`;

export function runLabel(kind: ShardRunKind): string {
  return kind === 'plain'
    ? '1 replica, no --sharding'
    : `${kind} replica${kind === 1 ? '' : 's'}, --sharding`;
}

/** kubelet's first crash-loop back-off: a replica that exits is started again after this, as in a Deployment. */
const RESTART_DELAY_MS = 10_000;

/**
 * One replica, restarted like a pod (restartPolicy Always) when its process exits on its own (e.g.
 * it lost its Lease and stops to start afresh, as it is designed to). CPU and peak RSS are sampled
 * every second, so that a process that exited still counts.
 */
class Replica {
  readonly procs: ControllerProcess[] = [];
  private cpuDone = 0;
  private lastCpu = 0;
  private peak = 0;
  private stopping = false;
  private sampler?: NodeJS.Timeout;
  readonly exits: { at: number; code: number | null }[] = [];

  constructor(
    readonly index: number,
    private readonly start: (attempt: number) => Promise<ControllerProcess>,
    private readonly note: (s: string) => void,
  ) {}

  get current(): ControllerProcess {
    return this.procs[this.procs.length - 1]!;
  }

  async launch(): Promise<void> {
    const c = await this.start(this.procs.length);
    this.procs.push(c);
    this.lastCpu = 0;
    // eslint-disable-next-line @typescript-eslint/no-floating-promises -- exited never rejects (it resolves on 'exit')
    void c.proc.exited.then((code) => this.exited(c, code));
    this.sampler ??= setInterval(() => this.sample(), 1000);
  }

  private sample(): void {
    try {
      this.lastCpu = this.current.cpuSeconds();
      this.peak = Math.max(this.peak, this.current.rss().peak);
    } catch {
      /* exited between two samples */
    }
  }

  private exited(c: ControllerProcess, code: number | null): void {
    if (this.stopping || c !== this.current) return;
    this.cpuDone += this.lastCpu;
    this.exits.push({ at: Date.now(), code });
    this.note(
      `r${this.index} exited (code ${code}; log ${c.opts.logFile}); started again after ${RESTART_DELAY_MS / 1000} s`,
    );
    setTimeout(() => {
      if (!this.stopping) this.launch().catch((err: Error) => this.note(`r${this.index}: ${err.message}`));
    }, RESTART_DELAY_MS);
  }

  /** CPU seconds of all its processes so far. */
  cpuSeconds(): number {
    this.sample();
    return this.cpuDone + this.lastCpu;
  }

  peakRss(): number {
    this.sample();
    return this.peak;
  }

  leader(): boolean {
    return this.procs.some((c) => c.logIncludes('leading: starting workers'));
  }

  problems(): string[] {
    return this.procs.flatMap((c) => c.problems());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sampler);
    for (const c of this.procs) await c.stop().catch(() => undefined);
  }
}

export class ShardBench {
  readonly tag = randomBytes(2).toString('hex');
  readonly nsNames: string[];
  private readonly nsSet: Set<string>;
  private readonly accounts: string[] = [];
  private populated = false;

  constructor(
    private readonly env: ShardEnv,
    private readonly opts: ShardOptions,
  ) {
    this.nsNames = Array.from({ length: opts.namespaces }, (_, k) => `bench-shard-${this.tag}-${k}`);
    this.nsSet = new Set(this.nsNames);
  }

  async run(): Promise<ShardResult> {
    await this.setup();
    const runs: ShardRunResult[] = [];
    for (const kind of this.opts.runs) {
      this.env.progress(`shard: ${runLabel(kind)}, N=${this.opts.n} over ${this.opts.namespaces} namespaces`);
      runs.push(await this.runOnce(kind));
      this.env.audit.forgetBefore(Date.now() - 1000);
    }
    return {
      n: this.opts.n,
      namespaces: this.opts.namespaces,
      keys: this.opts.keys,
      concurrency: this.opts.concurrency,
      quietS: this.opts.quietMs / 1000,
      runs,
    };
  }

  /** Namespaces, their fake stores, the shard ring's Role, one ServiceAccount per replica. */
  private async setup(): Promise<void> {
    const { kube, progress } = this.env;
    const maxReplicas = Math.max(1, ...this.opts.runs.map((k) => (k === 'plain' ? 1 : k)));
    progress(
      `shard: ${this.opts.namespaces} namespaces with a fake store each, ${maxReplicas} ServiceAccounts`,
    );
    await kube.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=secretsync-bench',
      '-f',
      join(repoRoot, 'overlays', 'components', 'sharding', 'rbac.yaml'),
    ]);
    for (let i = 0; i < maxReplicas; i++) {
      const sa = `secretsync-bench-r${i}`;
      await kube.serviceAccountLikeController(sa);
      await kube.controllerKubeconfig(join(this.env.root, `kubeconfig-${sa}`), sa);
      this.accounts.push(sa);
    }
    const data = Array.from({ length: this.opts.keys }, (_, j) => ({
      key: `k-${j}`,
      value: randomBytes(12).toString('hex'),
    }));
    await pool(this.nsNames, 8, async (ns) => {
      await kube.createNamespace(ns);
      await kube.create(`${ES_GROUP}/namespaces/${ns}/secretstores`, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'fake', namespace: ns },
        spec: { provider: { fake: { data } } },
      });
    });
  }

  /** Deletes the previous run's ExternalSecrets and Secrets (the stores stay). */
  private async reset(): Promise<void> {
    const { kube } = this.env;
    await pool(this.nsNames, 16, async (ns) => {
      await kube.deleteCollection(`/api/v1/namespaces/${ns}/secrets`, MANAGED);
      await kube.deleteCollection(`${ES_GROUP}/namespaces/${ns}/externalsecrets`);
    });
    const left = async () => {
      let n = 0;
      await pool(this.nsNames, 8, async (ns) => {
        for (const path of [
          `/api/v1/namespaces/${ns}/secrets`,
          `${ES_GROUP}/namespaces/${ns}/externalsecrets`,
        ]) {
          const l = await kube.request<{ items: unknown[] }>({
            path,
            query: { limit: 1, ...(path.includes('/secrets') && { labelSelector: MANAGED }) },
          });
          n += l.items.length;
        }
      });
      return n;
    };
    await until(async () => (await left()) === 0, 600_000, 'previous run deleted', 1000);
  }

  private async create(runTag: string): Promise<void> {
    const { n, keys } = this.opts;
    const nsCount = this.nsNames.length;
    const indexes = Array.from({ length: n }, (_, i) => i);
    let done = 0;
    const timer = setInterval(() => this.env.progress(`  created ${done}/${n}`), 15_000);
    try {
      await pool(indexes, this.opts.createWidth, async (i) => {
        const ns = this.nsNames[i % nsCount]!;
        await this.env.kube.create(`${ES_GROUP}/namespaces/${ns}/externalsecrets`, {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: `es-${i}`, namespace: ns, labels: { [BENCH_LABEL]: runTag } },
          spec: {
            refreshInterval: '1h',
            secretStoreRef: { name: 'fake', kind: 'SecretStore' },
            target: { name: `es-${i}` },
            data: [{ secretKey: 'value', remoteRef: { key: `k-${i % keys}` } }],
          },
        });
        done++;
      });
    } finally {
      clearInterval(timer);
    }
  }

  private async countSecrets(): Promise<number> {
    let n = 0;
    await pool(this.nsNames, 8, async (ns) => {
      let cont: string | undefined;
      do {
        const l = await this.env.kube.request<{
          items: { metadata?: { name?: string } }[];
          metadata?: { continue?: string };
        }>({
          path: `/api/v1/namespaces/${ns}/secrets`,
          query: { labelSelector: MANAGED, limit: 500, continue: cont },
        });
        n += l.items.filter((s) => s.metadata?.name?.startsWith('es-')).length;
        cont = l.metadata?.continue || undefined;
      } while (cont);
    });
    return n;
  }

  private async runOnce(kind: ShardRunKind): Promise<ShardRunResult> {
    const { kube, progress } = this.env;
    const sharding = kind !== 'plain';
    const replicas = kind === 'plain' ? 1 : kind;
    const runTag = `${kind === 'plain' ? 'p' : `s${kind}`}-${randomBytes(2).toString('hex')}`;
    const notes: string[] = [];
    const note = (s: string) => {
      notes.push(s);
      progress(`  note: ${s}`);
    };

    let t = Date.now();
    if (this.populated) {
      progress('  deleting the previous run’s ExternalSecrets and Secrets');
      await this.reset();
    }
    const resetS = (Date.now() - t) / 1000;
    progress(`  creating ${this.opts.n} ExternalSecrets (no controller running)`);
    t = Date.now();
    this.populated = true;
    await this.create(runTag);
    const createdS = (Date.now() - t) / 1000;
    progress(`  created in ${createdS.toFixed(1)} s; listing them for the Ready watch`);

    const ready = new Set<string>();
    const reasons = new Map<string, string>();
    const es = new Informer<{ ready: boolean; reason: string }>(kube.kc, {
      path: `${ES_GROUP}/externalsecrets`,
      labelSelector: `${BENCH_LABEL}=${runTag}`,
      project: (o) => {
        const c = (
          o as { status?: { conditions?: { type: string; status: string; reason?: string }[] } }
        ).status?.conditions?.find((x) => x.type === 'Ready');
        return { ready: c?.status === 'True', reason: c ? `${c.status}/${c.reason ?? ''}` : '' };
      },
    });
    const onEs = (key: string, v: { ready: boolean; reason: string }) => {
      if (v.ready) ready.add(key);
      else ready.delete(key);
      if (v.reason && !v.ready) reasons.set(key, v.reason);
      else reasons.delete(key);
    };
    es.on('add', onEs);
    es.on('update', onEs);
    await es.start();

    const ctls: Replica[] = [];
    const users = this.accounts.slice(0, replicas).map(SA_USER);
    let result: ShardRunResult | undefined;
    try {
      const labels0 = testbedLabels({ [process.pid]: 'benchmark (informer)' });
      const machine0 = snapshotCpu(labels0);
      const t0 = Date.now();
      for (let i = 0; i < replicas; i++) {
        const sa = this.accounts[i]!;
        const identity = `bench-${runTag}-r${i}`;
        const kubeconfig = join(this.env.root, `kubeconfig-${sa}`);
        const r = new Replica(
          i,
          async (attempt) =>
            ControllerProcess.start({
              name: `controller-${identity}`,
              metricsPort: await freePort(),
              kubeconfig,
              fetchPlan: 'planned',
              concurrency: this.opts.concurrency,
              logFile: join(this.env.logs, `controller-${identity}${attempt ? `-${attempt}` : ''}.log`),
              env: { ...this.env.controllerEnv, KUBECONFIG: kubeconfig, POD_NAME: identity },
              leaderElect: true,
              args: [
                '--leader-election-id',
                `bench-${runTag}`,
                ...(sharding ? ['--sharding', '--shard-ring', `bench-${runTag}`] : []),
              ],
            }),
          note,
        );
        await r.launch();
        ctls.push(r);
      }
      const synced = await Promise.all(
        ctls.map((c) => c.current.ready(300_000, 'informers synced').then((at) => (at - t0) / 1000)),
      );
      progress(
        `  ${replicas} replica(s) synced their informers after ${synced.map((s) => s.toFixed(1)).join(', ')} s`,
      );
      const n = this.opts.n;
      const ticker = setInterval(() => progress(`  ${ready.size}/${n} Ready`), 15_000);
      let convergedAt: number | undefined;
      try {
        await until(() => ready.size >= n, this.opts.convergeTimeoutMs, `${n} ExternalSecrets Ready`, 100);
        convergedAt = Date.now();
      } catch (err) {
        if (!(err instanceof Timeout)) throw err;
        note(`only ${ready.size}/${n} Ready after ${this.opts.convergeTimeoutMs / 1000}s`);
      } finally {
        clearInterval(ticker);
      }
      const end0 = convergedAt ?? Date.now();
      const cpuAtConverge = ctls.map((c) => c.cpuSeconds());
      const labels = testbedLabels({
        [process.pid]: 'benchmark (informer)',
        ...Object.fromEntries(ctls.flatMap((c, i) => c.procs.map((p) => [p.pid, `controller r${i}`]))),
      });
      const machine = cpuBetween(machine0, snapshotCpu(labels));
      progress(
        `  ${ready.size}/${n} Ready after ${((end0 - t0) / 1000).toFixed(1)} s; counting writes for ${this.opts.quietMs / 1000} s more`,
      );
      await sleep(this.opts.quietMs);
      const to = Date.now();
      const rss = ctls.map((c) => c.peakRss());
      const cpuEnd = ctls.map((c) => c.cpuSeconds());
      await this.env.audit.settle();
      const w = writesByReplica(this.env.audit.entries, users, (ns) => this.nsSet.has(ns), t0, to);
      const logs = ctls.map((c) => c.problems());
      for (const [i, p] of logs.entries()) {
        const counts = new Map<string, number>();
        for (const line of p) counts.set(line.slice(0, 160), (counts.get(line.slice(0, 160)) ?? 0) + 1);
        for (const [line, c] of [...counts].slice(0, 3)) note(`r${i} log (warn+, ×${c}): ${line}`);
      }
      const notReady: Record<string, number> = {};
      for (const r of reasons.values()) notReady[r] = (notReady[r] ?? 0) + 1;
      const total: WriteCounts = { secrets: 0, status: 0, deployments: 0, events: 0, failed: 0 };
      const replicaResults: ReplicaResult[] = ctls.map((c, i) => {
        const rw = w.perUser.get(users[i]!)!;
        for (const k of Object.keys(total) as (keyof WriteCounts)[]) total[k] += rw[k];
        return {
          identity: `r${i}`,
          leader: c.leader(),
          restarts: c.exits.length,
          syncedS: synced[i],
          peakRss: rss[i]!,
          cpuS: cpuAtConverge[i]!,
          cpuEndS: cpuEnd[i]!,
          writes: {
            secrets: rw.secrets,
            status: rw.status,
            deployments: rw.deployments,
            events: rw.events,
            failed: rw.failed,
          },
          secretObjects: rw.secretObjects,
          namespaces: rw.namespaces,
          outside: w.outside.get(users[i]!) ?? 0,
        };
      });
      result = {
        label: runLabel(kind),
        replicas,
        sharding,
        resetS,
        createdS,
        ...(convergedAt !== undefined && { convergeS: (convergedAt - t0) / 1000 }),
        ready: ready.size,
        secrets: 0,
        notReady,
        windowS: (to - t0) / 1000,
        replicaResults,
        writes: total,
        labelPatches: [...w.perUser.values()].reduce((a, x) => a + x.labels, 0),
        shared: w.shared,
        sharedAttempts: w.sharedAttempts,
        machine,
        notes,
      };
    } finally {
      for (const c of ctls) await c.stop().catch(() => undefined);
      await es.stop().catch(() => undefined);
    }
    if (!result) throw new Error('shard run ended without a result');
    result.secrets = await this.countSecrets();
    if (result.secrets < this.opts.n)
      note(`only ${result.secrets}/${this.opts.n} Secrets found after the run`);
    if (result.shared.length)
      note(
        `objects written by two replicas: ${result.shared.length} (e.g. ${result.shared.slice(0, 3).join(', ')})`,
      );
    return result;
  }
}
