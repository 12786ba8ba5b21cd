// Measures the rollout controller's memory on the testbed: 5,000 Secrets + 1,000 Deployments
// (half opted in), then 5,000 ConfigMaps of 100 KB more. The controller runs alone in a child
// process (compiled with tsc into a temp dir) so that RSS is its own, not jest's. Heavy (about
// 500 MB into etcd), so it runs only with SECRETSYNC_MEASURE=1 and prints its figures; the
// bounds asserted are loose guards against a cache that keeps values or whole pod templates.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNamespace, deleteNamespace } from '../../support/kube';
import { apps, core, deployment, envKey } from './helpers';

const run = promisify(execFile);
const measure = process.env.SECRETSYNC_MEASURE === '1' ? test : test.skip;
const repo = join(__dirname, '..', '..', '..');
const MB = 1024 * 1024;

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Runs in the child: module baseline, then start() (sampling peak RSS), then a GC'd reading. */
const CHILD = `
const { RolloutController } = require(process.env.OUT + '/src/controllers/rollout/controller.js');
const { Metrics } = require(process.env.OUT + '/src/observability/metrics.js');
const { newKubeConfig } = require(process.env.OUT + '/src/kube/kubeconfig.js');
const pino = require('pino');
(async () => {
  const kc = newKubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG);
  const metrics = new Metrics(false);
  global.gc();
  const base = process.memoryUsage();
  let peak = base.rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = Date.now();
  const ctl = new RolloutController({ kc, logger: pino({ level: 'warn' }), metrics, namespace: process.env.NS, debounceMs: 1000, objectPageSize: Number(process.env.PAGE), digestKey: { bytes: Buffer.alloc(32, 1) } });
  await ctl.start();
  const ms = Date.now() - started;
  clearInterval(t);
  global.gc();
  const synced = process.memoryUsage();
  const probe = ctl.cachedObject('Secret', process.env.NS, 's-0');
  console.log(JSON.stringify({ base, synced, peak, ms, probe }));
  await ctl.stop();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface Reading {
  base: NodeJS.MemoryUsage;
  synced: NodeJS.MemoryUsage;
  peak: number;
  ms: number;
  probe: unknown;
}

async function reading(out: string, ns: string, page = 100): Promise<Reading> {
  const env = { ...process.env, OUT: out, NS: ns, PAGE: String(page), NODE_PATH: join(repo, 'node_modules') };
  const { stdout } = await run(process.execPath, ['--expose-gc', '-e', CHILD], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Reading;
}

function summary(r: Reading, objects: number): string {
  const heap = (r.synced.heapUsed - r.base.heapUsed) / MB;
  return (
    `RSS ${(r.synced.rss / MB).toFixed(0)} MB after sync (process baseline ${(r.base.rss / MB).toFixed(0)} MB, ` +
    `V8 heap committed ${(r.synced.heapTotal / MB).toFixed(0)} MB, ` +
    `peak ${(r.peak / MB).toFixed(0)} MB while listing); cache heap ${heap.toFixed(1)} MB = ` +
    `${((heap * MB) / objects).toFixed(0)} B/object; synced in ${r.ms} ms`
  );
}

measure(
  'memory with 5,000 Secrets + 1,000 Deployments, then + 5,000 ConfigMaps of 100 KB',
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'secretsync-measure-'));
    const ns = await createNamespace('rollout-mem');
    try {
      // tsc emits even if a file elsewhere in the tree does not type-check; the exit code is ignored.
      await run('npx', ['tsc', '-p', join(repo, 'tsconfig.build.json'), '--outDir', out], {
        cwd: repo,
      }).catch(() => undefined);
      const kb = 'x'.repeat(1024);
      await pool([...Array(5000).keys()], 32, (i) =>
        core.createNamespacedSecret({
          namespace: ns,
          body: {
            metadata: { name: `s-${i}` },
            stringData: { username: `u${i}`, password: `${kb}${i}`, ca: kb },
          },
        }),
      );
      await pool([...Array(1000).keys()], 32, (i) => {
        const body = deployment(`d-${i}`, {
          annotations: i % 2 === 0 ? { 'reloader.stakater.com/auto': 'true' } : undefined,
          pod: { env: [envKey(`s-${i}`, 'password'), envKey(`s-${i + 1}`, 'username')] },
        });
        body.spec!.replicas = 0;
        return apps.createNamespacedDeployment({ namespace: ns, body });
      });
      const a = await reading(out, ns);
      expect(JSON.stringify(a.probe)).not.toContain(kb);
      console.log(`5,000 Secrets (3 keys, ~2 KB) + 1,000 Deployments: ${summary(a, 6000)}`);
      expect((a.synced.heapUsed - a.base.heapUsed) / MB).toBeLessThan(20);

      const big = 'y'.repeat(100 * 1024);
      await pool([...Array(5000).keys()], 16, (i) =>
        core.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name: `c-${i}` }, data: { 'config.json': `${big}${i}`, small: `${i}` } },
        }),
      );
      for (const page of [100, 25]) {
        const b = await reading(out, ns, page);
        console.log(`+ 5,000 ConfigMaps of 100 KB, list pages of ${page}: ${summary(b, 11000)}`);
        expect((b.synced.heapUsed - b.base.heapUsed) / MB).toBeLessThan(30);
      }
    } finally {
      await deleteNamespace(ns);
      rmSync(out, { recursive: true, force: true });
    }
  },
  1_800_000,
);
