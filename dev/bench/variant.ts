// One benchmark variant: a provider (GCP emulator or moto), a fetch plan (planned | naive) and a
// shape (N ExternalSecrets over M remote secrets), in its own namespace with its own controller
// process. Scenarios run in order — cold converge, idle cycle, rotation latency, memory,
// startup — each bounded in time; what they count is counted server-side (the audit log, the
// emulator, the proxy in front of moto) and watched with informers from this process.
import { cpuBetween, snapshotCpu, testbedLabels, type CpuUse } from './cpu';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PubSub, Topic } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Informer } from '../../src/runtime/informer';
import { freePort } from '../testbed/ports';
import type { AuditLog, WriteCounts } from './audit';
import { ControllerProcess, type Rss } from './controller';
import { CONTROLLER_USER, type Kube } from './kube';
import {
  summarize,
  type AwsBench,
  type AwsCountingProxy,
  type CallLog,
  type CallSummary,
  type GcpBench,
} from './providers';
import { pool, sleep, Timeout, until } from './util';

export type Scenario = 'cold' | 'idle' | 'rotation' | 'memory' | 'startup';
export type Mode = 'planned' | 'naive';
export type Provider = 'gcp' | 'aws';
/** How the AWS store authenticates: the controller's own credentials, or static keys from a Secret. */
export type StoreAuth = 'ambient' | 'secretRef';

export interface Shape {
  /** `N=10·M` or `N=M`. */
  label: string;
  n: number;
  m: number;
}

export interface BenchOptions {
  refreshMs: number;
  idleCycles: number;
  rotations: number;
  unrelated: number;
  unrelatedBytes: number;
  convergeTimeoutMs: number;
  startupWindowMs: number;
  concurrency: number;
  createWidth: number;
  scenarios: Set<Scenario>;
  /** Absent in results saved before the flag existed: ambient. */
  storeAuth?: StoreAuth;
}

export interface ColdResult {
  appliedS: number;
  readyS?: number;
  ready: number;
  /** Controller CPU seconds used during the converge. */
  cpuS?: number;
  /** Mean reconcile duration (controller's own histogram) and reconciles during the converge. */
  reconcileMeanMs?: number;
  reconciles?: number;
  calls: CallSummary;
  writes: WriteCounts;
  /** The whole machine's CPU during the converge, per component. */
  machine?: CpuUse;
}

export interface IdleResult {
  /** Patching N ExternalSecrets to the short interval and their re-sync (not counted). */
  switchS: number;
  windowS: number;
  /** window / refreshInterval: what a controller keeping up would show. */
  expectedCycles: number;
  refreshes: number;
  cycles: number;
  calls: CallSummary;
  writes: WriteCounts;
  peakPerSecond: number;
  meanPerSecond: number;
}

export interface Latencies {
  /** cloud write → Secret updated, seconds. */
  secret: number[];
  /** cloud write → new ReplicaSet, seconds. */
  replicaSet: number[];
  failures: number;
}

export interface RotationResult {
  rolloutWired: boolean;
  event: Latencies;
  polling: Latencies;
}

export interface MemoryResult {
  /** The process in an empty namespace (informers synced, nothing to do). */
  bare: Rss;
  /** With the stores (the rotation store's Pub/Sub subscriber running) but no ExternalSecret. */
  idle: Rss;
  withEs?: Rss;
  withUnrelated?: Rss;
  unrelated: number;
}

export interface StartupResult {
  readyS: number;
  /** Process start → its first ExternalSecret reconcile (absent in results saved before). */
  firstReconcileS?: number;
  /** The controller's CPU seconds (user + system) by its first reconcile. */
  firstReconcileCpuS?: number;
  windowS: number;
  writes: WriteCounts;
  newReplicaSets: number;
  calls: CallSummary;
  first10s: number;
  peakPerSecond: number;
  meanPerSecond: number;
  rss?: Rss;
}

export interface VariantResult {
  id: string;
  provider: Provider;
  mode: Mode;
  shape: Shape;
  cold?: ColdResult;
  idle?: IdleResult;
  rotation?: RotationResult;
  memory?: MemoryResult;
  startup?: StartupResult;
  notes: string[];
}

export interface VariantEnv {
  kube: Kube;
  audit: AuditLog;
  logs: string;
  /** The controller's kubeconfig (secretsync ServiceAccount). */
  controllerKubeconfig: string;
  controllerEnv: Record<string, string>;
  gcp?: GcpBench;
  pubsub?: PubSub;
  pubsubProject?: string;
  aws?: { bench: AwsBench; proxy: AwsCountingProxy };
  progress: (line: string) => void;
}

const AWS_KEYS_SECRET = 'bench-aws-keys';
const ANN_HASH = 'reconcile.external-secrets.io/data-hash';
const ANN_RECORDED = 'secretsync.io/last-reload-hash';
const ES_PATH = (ns: string) => `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`;

interface EsView {
  ready: boolean;
  reason: string;
  refreshTime: string;
}

const value = () => randomBytes(24).toString('hex');
const isBenchEs = (name: string) => name.startsWith('es-');

export class Variant {
  readonly result: VariantResult;
  readonly ns: string;
  private readonly project: string;
  private readonly rotProject: string;
  private ctl?: ControllerProcess;
  private calls!: CallLog;
  private rotCalls?: CallLog;
  private topic?: Topic;
  private readonly informers: Informer<unknown>[] = [];
  private readonly ready = new Set<string>();
  /** refreshTime changes of bench ExternalSecrets: times seen. */
  private readonly refreshes: number[] = [];
  private readonly secretChangedAt = new Map<string, number>();
  private readonly replicaSets = new Map<string, number[]>();
  private deployments!: Informer<{ recorded: boolean }>;
  private es!: Informer<EsView>;
  private restarts = 0;

  constructor(
    private readonly env: VariantEnv,
    private readonly opts: BenchOptions,
    provider: Provider,
    mode: Mode,
    shape: Shape,
  ) {
    const auth = opts.storeAuth === 'secretRef' ? '-keys' : '';
    const tag = `${provider}${auth}-${mode}-${shape.n}-${shape.m}`;
    const suffix = randomBytes(2).toString('hex');
    this.ns = `bench-${tag}-${suffix}`;
    this.project = `bench-${mode}-${shape.n}-${shape.m}-${suffix}`;
    this.rotProject = `${this.project}-rot`;
    this.result = { id: tag, provider, mode, shape, notes: [] };
  }

  private get has() {
    return (s: Scenario) => this.opts.scenarios.has(s);
  }

  /** The secret's name in the cloud: AWS variants share one region, so each has its own path. */
  private remoteKey(j: number): string {
    return this.result.provider === 'gcp' ? `s-${j}` : `${this.ns}/s-${j}`;
  }

  /** remoteRef.key: the AWS store's `prefix` supplies the variant's path, as a team's store would. */
  private refKey(j: number): string {
    return `s-${j}`;
  }

  private note(s: string): void {
    this.result.notes.push(s);
    this.env.progress(`  note: ${s}`);
  }

  // ------------------------------------------------------------------ set-up

  private storeSpec(project: string) {
    if (this.result.provider === 'gcp') return { provider: { gcpsm: { projectID: project } } };
    const aws = { service: 'SecretsManager', region: 'us-east-1', prefix: `${this.ns}/` };
    if (this.opts.storeAuth !== 'secretRef') return { provider: { aws } };
    // A per-store identity: the store's client is built with its own credentials (src/providers/credentials, src/providers/<cloud>/identity.ts).
    const ref = (key: string) => ({ name: AWS_KEYS_SECRET, key });
    const secretRef = {
      accessKeyIDSecretRef: ref('access-key-id'),
      secretAccessKeySecretRef: ref('secret-access-key'),
    };
    return { provider: { aws: { ...aws, auth: { secretRef } } } };
  }

  private async setup(): Promise<void> {
    const { kube, progress } = this.env;
    const { m } = this.result.shape;
    progress(`  ${m} remote secrets, store, informers`);
    const entries = Array.from({ length: m }, (_, j) => [this.remoteKey(j), value()] as [string, string]);
    if (this.result.provider === 'gcp') {
      this.calls = this.env.gcp!.track(this.project);
      await this.env.gcp!.putAll(this.project, entries);
    } else {
      this.env.aws!.proxy.log.clear();
      this.calls = this.env.aws!.proxy.log;
      await this.env.aws!.bench.putAll(entries);
    }
    if (this.result.provider === 'aws' && this.opts.storeAuth === 'secretRef')
      // moto accepts any key pair (no IAM enforcement in the benchmark).
      await kube.create(`/api/v1/namespaces/${this.ns}/secrets`, {
        metadata: { name: AWS_KEYS_SECRET, namespace: this.ns },
        stringData: { 'access-key-id': 'AKIABENCHSTORE000001', 'secret-access-key': 'bench-store-key' },
      });
    const storePath = `/apis/external-secrets.io/v1/namespaces/${this.ns}/secretstores`;
    await kube.create(storePath, {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'bench', namespace: this.ns },
      spec: this.storeSpec(this.project),
    });
    if (this.result.provider === 'gcp' && this.has('rotation')) {
      this.rotCalls = this.env.gcp!.track(this.rotProject);
      const [topic] = await this.env.pubsub!.createTopic(`${this.ns}-events`);
      this.topic = topic;
      await topic.createSubscription(`${this.ns}-sub`);
      await kube.create(storePath, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: {
          name: 'rot',
          namespace: this.ns,
          annotations: {
            'secretsync.io/pubsub-subscription': `projects/${this.env.pubsubProject}/subscriptions/${this.ns}-sub`,
          },
        },
        spec: this.storeSpec(this.rotProject),
      });
    }
  }

  private startInformers(): void {
    const kc = this.env.kube.kc;
    const es = new Informer<EsView>(kc, {
      path: ES_PATH(this.ns),
      project: (o) => {
        const st = (
          o as {
            status?: {
              refreshTime?: string;
              conditions?: { type: string; status: string; reason?: string }[];
            };
          }
        ).status;
        const c = st?.conditions?.find((x) => x.type === 'Ready');
        return { ready: c?.status === 'True', reason: c?.reason ?? '', refreshTime: st?.refreshTime ?? '' };
      },
    });
    const onEs = (key: string, v: EsView, old?: EsView) => {
      if (v.ready) this.ready.add(key);
      else this.ready.delete(key);
      const name = key.slice(key.indexOf('/') + 1);
      if (isBenchEs(name) && old?.refreshTime && v.refreshTime && old.refreshTime !== v.refreshTime)
        this.refreshes.push(Date.now());
    };
    es.on('add', onEs);
    es.on('update', onEs);
    es.on('delete', (key) => this.ready.delete(key));
    this.es = es;

    const secrets = new Informer<{ hash: string }>(kc, {
      path: `/api/v1/namespaces/${this.ns}/secrets`,
      labelSelector: 'reconcile.external-secrets.io/managed=true',
      project: (o) => ({ hash: o.metadata?.annotations?.[ANN_HASH] ?? '' }),
    });
    secrets.on('update', (key, v, old) => {
      if (old && old.hash !== v.hash) this.secretChangedAt.set(key.slice(key.indexOf('/') + 1), Date.now());
    });

    const rs = new Informer<{ owner: string }>(kc, {
      path: `/apis/apps/v1/namespaces/${this.ns}/replicasets`,
      project: (o: KubernetesObject) => ({
        owner: o.metadata?.ownerReferences?.find((r) => r.kind === 'Deployment')?.name ?? '',
      }),
    });
    rs.on('add', (_key, v) => {
      const list = this.replicaSets.get(v.owner) ?? [];
      list.push(Date.now());
      this.replicaSets.set(v.owner, list);
    });

    this.deployments = new Informer<{ recorded: boolean }>(kc, {
      path: `/apis/apps/v1/namespaces/${this.ns}/deployments`,
      project: (o) => ({ recorded: Boolean(o.metadata?.annotations?.[ANN_RECORDED]) }),
    });
    this.informers.push(
      es as Informer<unknown>,
      secrets as Informer<unknown>,
      rs as Informer<unknown>,
      this.deployments as Informer<unknown>,
    );
  }

  private async startController(): Promise<number> {
    return (await this.spawnController()).ready();
  }

  private async spawnController(): Promise<ControllerProcess> {
    const env = { ...this.env.controllerEnv };
    if (this.result.provider === 'aws') env.AWS_ENDPOINT_URL = this.env.aws!.proxy.url;
    this.ctl = ControllerProcess.start({
      name: `controller-${this.result.id}`,
      metricsPort: await freePort(),
      kubeconfig: this.env.controllerKubeconfig,
      namespace: this.ns,
      fetchPlan: this.result.mode,
      concurrency: this.opts.concurrency,
      logFile: join(this.env.logs, `controller-${this.ns}-${this.restarts++}.log`),
      env,
    });
    return this.ctl;
  }

  private readyCount(): number {
    let c = 0;
    for (const k of this.ready) if (isBenchEs(k.slice(k.indexOf('/') + 1))) c++;
    return c;
  }

  private writes(from: number, to: number, names?: (n: string) => boolean): WriteCounts {
    return this.env.audit.count({ user: CONTROLLER_USER, namespace: this.ns, from, to, names });
  }

  // ------------------------------------------------------------------ scenarios

  private async cold(): Promise<void> {
    const { n, m } = this.result.shape;
    // ESO's default interval: nothing comes due again while the benchmark watches (the idle
    // scenario switches to a short interval on purpose).
    const refresh = '1h';
    const bodies = Array.from({ length: n }, (_, i) => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: `es-${i}`, namespace: this.ns },
      spec: {
        refreshInterval: refresh,
        secretStoreRef: { name: 'bench', kind: 'SecretStore' },
        target: { name: `es-${i}` },
        data: [{ secretKey: 'value', remoteRef: { key: this.refKey(i % m) } }],
      },
    }));
    this.env.progress(`  cold converge: creating ${n} ExternalSecrets`);
    const cpu0 = this.ctl!.cpuSeconds();
    const rec0 = await this.ctl!.reconcileStats();
    const labels = testbedLabels({
      [this.ctl!.pid]: 'controller',
      [process.pid]: 'benchmark (creates, informers, Secret Manager emulator)',
    });
    const machine0 = snapshotCpu(labels);
    const t0 = Date.now();
    await this.env.kube.createAll(ES_PATH(this.ns), bodies, this.opts.createWidth);
    const applied = Date.now();
    let readyAt: number | undefined;
    try {
      await until(
        () => this.readyCount() >= n,
        this.opts.convergeTimeoutMs,
        `${n} ExternalSecrets Ready`,
        50,
      );
      readyAt = Date.now();
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      this.note(
        `cold converge: only ${this.readyCount()}/${n} Ready after ${this.opts.convergeTimeoutMs / 1000}s`,
      );
    }
    const end = readyAt ?? Date.now();
    const cpuS = this.ctl!.cpuSeconds() - cpu0;
    const machine = cpuBetween(machine0, snapshotCpu(labels));
    const rec1 = await this.ctl!.reconcileStats();
    await this.env.audit.settle();
    const reconciles = rec0 && rec1 ? rec1.count - rec0.count : undefined;
    this.result.cold = {
      appliedS: (applied - t0) / 1000,
      readyS: readyAt === undefined ? undefined : (readyAt - t0) / 1000,
      ready: this.readyCount(),
      cpuS,
      ...(rec0 &&
        rec1 &&
        reconciles && { reconciles, reconcileMeanMs: ((rec1.sum - rec0.sum) / reconciles) * 1000 }),
      calls: summarize(this.calls.between(t0, end)),
      writes: this.writes(t0, end, isBenchEs),
      machine,
    };
  }

  private async idle(): Promise<void> {
    const { n } = this.result.shape;
    const refresh = `${Math.round(this.opts.refreshMs / 1000)}s`;
    this.env.progress(`  idle cycle: switching ${n} ExternalSecrets to refreshInterval ${refresh}`);
    const switchFrom = Date.now();
    const since = Math.floor(switchFrom / 1000) * 1000;
    const names = Array.from({ length: n }, (_, i) => `es-${i}`);
    await pool(names, this.opts.createWidth, (nm) =>
      this.env.kube.mergePatch(`${ES_PATH(this.ns)}/${nm}`, { spec: { refreshInterval: refresh } }),
    );
    // The spec change re-syncs each one at once; the window starts when all have.
    const resynced = () =>
      names.every((nm) => Date.parse(this.es.get(`${this.ns}/${nm}`)?.refreshTime ?? '') >= since);
    try {
      await until(resynced, this.opts.convergeTimeoutMs, 're-sync after the interval switch', 100);
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      this.note('idle cycle: not every ExternalSecret re-synced after the interval switch; measuring anyway');
    }
    const switchS = (Date.now() - switchFrom) / 1000;
    const windowMs = this.opts.idleCycles * this.opts.refreshMs;
    this.env.progress(`  idle cycle: watching ${windowMs / 1000}s`);
    const from = Date.now();
    const count0 = await this.ctl!.refreshCount();
    await sleep(windowMs);
    const to = Date.now();
    const count1 = await this.ctl!.refreshCount();
    await this.env.audit.settle();
    // The controller's count: idle refreshes write nothing, so the watch sees none of them.
    const refreshes =
      count0 !== undefined && count1 !== undefined
        ? count1 - count0
        : this.refreshes.filter((t) => t >= from && t < to).length;
    const calls = this.calls.between(from, to);
    const perSecond = new Map<number, number>();
    for (const c of calls) {
      const sec = Math.floor((c.t - from) / 1000);
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    }
    const expectedCycles = (to - from) / this.opts.refreshMs;
    this.result.idle = {
      switchS,
      windowS: (to - from) / 1000,
      expectedCycles,
      refreshes,
      cycles: refreshes / n,
      calls: summarize(calls),
      writes: this.writes(from, to, isBenchEs),
      peakPerSecond: Math.max(0, ...perSecond.values()),
      meanPerSecond: calls.length / ((to - from) / 1000),
    };
    if (refreshes === 0) this.note('idle cycle: no periodic refresh observed in the window');
    else if (refreshes / n < 0.8 * expectedCycles)
      this.note(
        `idle cycle: the controller did not keep up with refreshInterval ${refresh}: ${(refreshes / n).toFixed(2)} cycles in a window of ${expectedCycles.toFixed(1)} intervals (per-cycle figures stay valid; the queue was never empty)`,
      );
  }

  private deployment(name: string) {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: this.ns, annotations: { 'reloader.stakater.com/auto': 'true' } },
      spec: {
        // No pods are needed to observe a rollout: a new pod template makes a new ReplicaSet.
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.invalid/app:1',
                env: [{ name: 'VALUE', valueFrom: { secretKeyRef: { name, key: 'value' } } }],
              },
            ],
          },
        },
      },
    };
  }

  private async rotation(): Promise<void> {
    const { kube, gcp, progress } = this.env;
    const r = this.opts.rotations;
    const names = ['rot-ev', ...Array.from({ length: r }, (_, i) => `rot-poll-${i}`)];
    progress(`  rotation: ${names.length} ExternalSecrets + Deployments (reloader.stakater.com/auto)`);
    await gcp!.putAll(
      this.rotProject,
      names.map((nm) => [nm, value()]),
    );
    await kube.createAll(
      ES_PATH(this.ns),
      names.map((nm) => ({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: nm, namespace: this.ns },
        spec: {
          // The event-driven one never polls within the test; the others poll at the idle interval.
          refreshInterval: nm === 'rot-ev' ? '1h' : `${Math.round(this.opts.refreshMs / 1000)}s`,
          secretStoreRef: { name: 'rot', kind: 'SecretStore' },
          data: [{ secretKey: 'value', remoteRef: { key: nm } }],
        },
      })),
      this.opts.createWidth,
    );
    await kube.createAll(
      `/apis/apps/v1/namespaces/${this.ns}/deployments`,
      names.map((nm) => this.deployment(nm)),
      this.opts.createWidth,
    );
    const event: Latencies = { secret: [], replicaSet: [], failures: 0 };
    const polling: Latencies = { secret: [], replicaSet: [], failures: 0 };
    this.result.rotation = { rolloutWired: false, event, polling };
    await until(
      () => names.every((nm) => this.ready.has(`${this.ns}/${nm}`)),
      60_000,
      'rotation ExternalSecrets Ready',
      100,
    );
    await until(
      () => names.every((nm) => (this.replicaSets.get(nm)?.length ?? 0) >= 1),
      60_000,
      'first ReplicaSets',
      100,
    );
    try {
      await until(
        () => names.every((nm) => this.deployments.get(`${this.ns}/${nm}`)?.recorded),
        30_000,
        'rollout controller recorded the Deployments',
        100,
      );
      this.result.rotation.rolloutWired = true;
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      this.note(
        'rollout: no Deployment was recorded by the rollout controller within 30s; ReplicaSet latency n/a',
      );
    }
    const wired = this.result.rotation.rolloutWired;
    // Subscribed? The event source reports on the store's RotationEvents condition; give it a moment.
    await sleep(2000);

    const measure = async (nm: string, out: Latencies, write: () => Promise<void>, timeoutMs: number) => {
      const rsBefore = this.replicaSets.get(nm)?.length ?? 0;
      const t0 = Date.now();
      await write();
      try {
        await until(() => (this.secretChangedAt.get(nm) ?? 0) >= t0, timeoutMs, `Secret ${nm} updated`);
        out.secret.push((this.secretChangedAt.get(nm)! - t0) / 1000);
        if (wired) {
          await until(
            () => (this.replicaSets.get(nm)?.length ?? 0) > rsBefore,
            timeoutMs,
            `new ReplicaSet of ${nm}`,
          );
          out.replicaSet.push((this.replicaSets.get(nm)![rsBefore]! - t0) / 1000);
        }
      } catch (err) {
        if (!(err instanceof Timeout)) throw err;
        out.failures++;
      }
    };

    progress(`  rotation: ${r} event-driven rotations (Pub/Sub notification), one after another`);
    for (let i = 0; i < r; i++) {
      await measure(
        'rot-ev',
        event,
        async () => {
          await gcp!.addVersion(this.rotProject, 'rot-ev', value());
          await this.topic!.publishMessage({
            data: Buffer.from(JSON.stringify({ name: `projects/${this.rotProject}/secrets/rot-ev` })),
            attributes: {
              eventType: 'SECRET_VERSION_ADD',
              secretId: `projects/${this.rotProject}/secrets/rot-ev`,
              dataFormat: 'JSON_API_V1',
            },
          });
        },
        30_000,
      );
      // Past the rollout window, so that each rotation rolls at once (its leading edge).
      await sleep(1200 + Math.random() * 300);
    }

    progress(
      `  rotation: ${r} polled rotations (no event; refreshInterval ${this.opts.refreshMs / 1000}s), in parallel`,
    );
    await pool(names.slice(1), names.length, async (nm) => {
      await sleep(Math.random() * this.opts.refreshMs);
      await measure(
        nm,
        polling,
        () => gcp!.addVersion(this.rotProject, nm, value()),
        2 * this.opts.refreshMs + 30_000,
      );
    });
    if (event.failures || polling.failures)
      this.note(
        `rotation: ${event.failures} event-driven and ${polling.failures} polled rotations timed out`,
      );
  }

  private async unrelatedSecrets(): Promise<void> {
    const k = this.opts.unrelated;
    this.env.progress(`  memory: creating ${k} unrelated Secrets (${this.opts.unrelatedBytes} B each)`);
    const data = {
      blob: randomBytes(Math.ceil((this.opts.unrelatedBytes * 3) / 4))
        .toString('base64')
        .slice(0, this.opts.unrelatedBytes),
    };
    const bodies = Array.from({ length: k }, (_, i) => ({
      metadata: { name: `unrelated-${i}`, namespace: this.ns, labels: { app: 'unrelated' } },
      type: 'Opaque',
      stringData: data,
    }));
    await this.env.kube.createAll(`/api/v1/namespaces/${this.ns}/secrets`, bodies, this.opts.createWidth);
  }

  private async startup(): Promise<void> {
    this.env.progress('  startup: restarting the controller with every object unchanged');
    await this.ctl!.stop();
    const spawned = Date.now();
    const ctl = await this.spawnController();
    // Its CPU time by then too: wall times swing with the machine's load, CPU seconds much less.
    const [readyAt, [firstAt, firstCpuS]] = await Promise.all([
      ctl.ready(),
      ctl.firstReconcile().then((t) => [t, ctl.cpuSeconds()] as const),
    ]);
    const windowMs = this.opts.startupWindowMs;
    await sleep(Math.max(0, spawned + windowMs - Date.now()));
    const end = Date.now();
    const rss = await this.ctl!.memory();
    await this.env.audit.settle();
    const calls = this.calls.between(spawned, end);
    const perSecond = new Map<number, number>();
    for (const c of calls) {
      const s = Math.floor((c.t - spawned) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    let newRs = 0;
    for (const times of this.replicaSets.values()) newRs += times.filter((t) => t >= spawned).length;
    const readyS = (readyAt - spawned) / 1000;
    this.result.startup = {
      readyS,
      firstReconcileS: (firstAt - spawned) / 1000,
      firstReconcileCpuS: firstCpuS,
      windowS: (end - spawned) / 1000,
      // Secrets and Deployments: any of them; status: the N benchmark ExternalSecrets only (the
      // polled rotation ones keep polling at the short interval).
      writes: { ...this.writes(spawned, end), status: this.writes(spawned, end, isBenchEs).status },
      newReplicaSets: newRs,
      calls: summarize(calls),
      first10s: calls.filter((c) => c.t < readyAt + 10_000).length,
      peakPerSecond: Math.max(0, ...perSecond.values()),
      meanPerSecond: calls.length / ((end - spawned) / 1000),
      rss,
    };
  }

  // ------------------------------------------------------------------ driver

  async run(): Promise<VariantResult> {
    const has = this.has;
    try {
      await this.env.kube.createNamespace(this.ns);
      this.startInformers();
      await Promise.all(this.informers.map((i) => i.start()));
      this.env.progress(`  starting the controller (--fetch-plan=${this.result.mode}) in an empty namespace`);
      await this.startController();
      const bare = await this.ctl!.settledRss(3000);
      await this.setup();
      this.result.memory = { bare, idle: await this.ctl!.settledRss(3000), unrelated: 0 };
      // Order matters: everything but the idle cycle runs at refreshInterval 1h (a quiet queue, as
      // in production); the idle cycle switches to the short interval last.
      await this.cold();
      if (has('memory')) this.result.memory.withEs = await this.ctl!.settledRss(5000);
      if (has('rotation') && this.result.provider === 'gcp') await this.rotation();
      if (has('memory') && this.opts.unrelated > 0) {
        await this.unrelatedSecrets();
        this.result.memory.unrelated = this.opts.unrelated;
        this.result.memory.withUnrelated = await this.ctl!.settledRss(10_000);
      }
      if (has('startup')) await this.startup();
      if (has('idle')) await this.idle();
      const problems = this.ctl?.problems() ?? [];
      if (problems.length) {
        const counts = new Map<string, number>();
        for (const p of problems) counts.set(p.slice(0, 160), (counts.get(p.slice(0, 160)) ?? 0) + 1);
        for (const [p, c] of [...counts].slice(0, 5)) this.note(`controller log (warn+, ×${c}): ${p}`);
      }
    } finally {
      await this.teardown();
    }
    return this.result;
  }

  private async teardown(): Promise<void> {
    await this.ctl?.stop();
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
    if (this.result.provider === 'gcp') {
      this.env.gcp?.untrack(this.project);
      this.env.gcp?.untrack(this.rotProject);
    }
    await this.topic?.delete().catch(() => undefined);
    void this.rotCalls;
  }
}
