// A Prometheus server (built from its Go module by ensurePrometheus) scraping loopback targets every
// second and evaluating rule files every second, for the monitoring tests. One server per caller,
// on a free port, with its data in the caller's directory, stopped by its pid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePrometheus } from './install';
import { freePort } from './ports';
import { killGroup, spawnManaged, waitReady } from './process';

export interface PrometheusTarget {
  /** host:port serving /metrics. */
  address: string;
  /** Target labels, e.g. {job: 'secretsync', namespace: 'secretsync-system'} as a ServiceMonitor sets them. */
  labels: Record<string, string>;
}

export interface Prometheus {
  url: string;
  pid: number;
  logFile: string;
  /** GET /api/v1/<path>; throws unless Prometheus answers status success. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: {
  dir: string;
  targets: PrometheusTarget[];
  ruleFiles?: string[];
  progress?: (l: string) => void;
}): Promise<Prometheus> {
  const { prometheus } = await ensurePrometheus(opts.progress ?? (() => undefined));
  mkdirSync(opts.dir, { recursive: true });
  const config = join(opts.dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: opts.ruleFiles ?? [],
      scrape_configs: opts.targets.map((t, i) => ({
        job_name: `target-${i}`,
        static_configs: [{ targets: [t.address], labels: t.labels }],
        // Keep the target's job label rather than the scrape config's name.
        honor_labels: false,
        relabel_configs: t.labels.job ? [{ target_label: 'job', replacement: t.labels.job }] : [],
      })),
    }),
  );
  const port = await freePort();
  const logFile = join(opts.dir, 'prometheus.log');
  const m = spawnManaged({
    name: 'prometheus',
    command: prometheus,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(m, 'prometheus', logFile, async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
  return {
    url,
    pid: m.pid,
    logFile,
    async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`, {
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
      if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.errorType}: ${body.error}`);
      return body.data;
    },
    stop: () => killGroup(m.pid),
  };
}
