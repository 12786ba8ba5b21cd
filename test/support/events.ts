// Helpers for the event-source tests: a private Pub/Sub emulator that a test may restart (the
// shared one serves other test files), event-sourced store manifests, a cut of the connection to a
// source, the controller's metrics as numbers, and its log lines.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RECONNECT } from '../../src/events/source';
import { findPubSubEmulator } from '../../dev/testbed/install';
import { freePort } from '../../dev/testbed/ports';
import { killGroup, spawnManaged, waitReady, type Managed } from '../../dev/testbed/process';
import type { Proxy } from '../../dev/testbed/toxiproxy';
import type { StoreCondition } from './es';
import { eventually } from './eventually';

export interface PubSubEmulator {
  /** host:port it listens on (the same across restarts). */
  host: string;
  /** Kills it (its topics and subscriptions are lost) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a Pub/Sub emulator of the test's own, logging to `logDir`. */
export async function startPubSubEmulator(logDir: string): Promise<PubSubEmulator> {
  const bin = findPubSubEmulator();
  const port = await freePort();
  const dataDir = join(logDir, `pubsub-${port}`);
  const logFile = join(logDir, `pubsub-emulator-${port}.log`);
  let m: Managed | undefined;
  const start = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    m = spawnManaged({
      name: 'pubsub-emulator',
      command: bin,
      args: ['--host=127.0.0.1', `--port=${port}`, `--dir=${dataDir}`],
      logFile,
    });
    await waitReady(
      m,
      'pubsub-emulator',
      logFile,
      async () => (await fetch(`http://127.0.0.1:${port}/`)).ok,
      120_000,
    );
  };
  const stop = async () => {
    if (m) await killGroup(m.pid, 2000);
    m = undefined;
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`,
    async restart() {
      await stop();
      await start();
    },
    stop,
  };
}

/** The controller's /metrics text. */
export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Sum of a metric's samples whose labels include every one of `labels` (0 if none). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** The controller's JSON log lines whose `msg` is `msg`, optionally only from `since` (epoch ms). */
export function logLines(
  logs: string[],
  msg: string,
  since = 0,
  until = Infinity,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const chunk of logs) {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      let l: Record<string, unknown>;
      try {
        l = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const t = typeof l.time === 'number' ? l.time : 0;
      if (l.msg === msg && t >= since && t <= until) out.push(l);
    }
  }
  return out;
}

/**
 * Most attempts a reconnect loop can make within `windowMs` when its delays start at `initialMs`,
 * double, and stop growing at `maxMs` (each attempt itself takes time, so real counts are lower).
 */
export function maxAttemptsWithin(windowMs: number, initialMs: number, maxMs: number): number {
  let t = 0;
  let d = initialMs;
  let n = 0;
  for (;;) {
    t += d;
    if (t > windowMs) return n + 1; // plus the attempt that fails at the start of the window
    n++;
    d = Math.min(d * 2, maxMs);
  }
}

/** Calls the Secret Manager emulator counted for `project`, by method (e.g. AccessSecretVersion). */
export async function gcpCalls(project: string): Promise<Record<string, number>> {
  const res = await fetch(`${new URL(process.env.SECRETSYNC_GCP_ENDPOINT ?? '').origin}/_testbed/calls`);
  const all = (await res.json()) as Record<string, number>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(all))
    if (k.startsWith(`${project}:`)) out[k.slice(project.length + 1)] = v;
  return out;
}

/**
 * Resolves once `read` returns the same value on two consecutive polls `intervalMs` apart and
 * `done` accepts it: for counters that must stop moving (e.g. reconciles after a burst of events).
 */
export async function settled<T>(
  read: () => Promise<T>,
  done: (v: T) => void,
  opts: { timeoutMs: number; intervalMs?: number; what?: string },
): Promise<T> {
  let last: string | undefined;
  return eventually(
    async () => {
      const v = await read();
      const key = JSON.stringify(v);
      const same = key === last;
      last = key;
      done(v);
      if (!same) throw new Error(`still moving: ${key}`);
      return v;
    },
    { intervalMs: 1000, ...opts },
  );
}

/** A SecretStore whose rotation events come from a Pub/Sub subscription (gcpsm) or an SQS queue (aws). */
export function eventStoreYaml(
  ns: string,
  name: string,
  source: { subscription: string; gcpProject: string } | { queueUrl: string },
): string {
  const [annotation, provider] =
    'subscription' in source
      ? [
          `secretsync.io/pubsub-subscription: ${source.subscription}`,
          `gcpsm: {projectID: ${source.gcpProject}}`,
        ]
      : [
          `secretsync.io/sqs-queue-url: "${source.queueUrl}"`,
          `aws: {service: SecretsManager, region: ${process.env.AWS_REGION}}`,
        ];
  return `---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: ${name}
  namespace: ${ns}
  annotations: {${annotation}}
spec: {provider: {${provider}}}
`;
}

/**
 * Cuts the controller's connection to an event source for `cutMs`: waits until the store's
 * RotationEvents condition reports the cut (`down` asserts what it says), restores the proxy, and
 * checks that the reconnect attempts logged during the cut kept to the bounded schedule (at least
 * two, at most what the backoff allows). Returns when the proxy was restored (epoch ms).
 */
export async function cutAndRestore(opts: {
  proxy: Proxy;
  logs: string[];
  cutMs: number;
  condition: () => Promise<StoreCondition | undefined>;
  down: (c: StoreCondition | undefined) => void;
}): Promise<number> {
  const cutAt = Date.now();
  await opts.proxy.setEnabled(false);
  await eventually(async () => opts.down(await opts.condition()), {
    timeoutMs: RECONNECT.maxMs,
    what: 'RotationEvents=False during the cut',
  });
  const remaining = opts.cutMs - (Date.now() - cutAt);
  if (remaining > 0) await sleep(remaining);
  const restoredAt = Date.now();
  await opts.proxy.setEnabled(true);

  const attempts = logLines(opts.logs, 'rotation event source reconnecting', cutAt, restoredAt).length;
  expect(attempts).toBeGreaterThanOrEqual(2);
  expect(attempts).toBeLessThanOrEqual(
    maxAttemptsWithin(restoredAt - cutAt, RECONNECT.initialMs, RECONNECT.maxMs),
  );
  return restoredAt;
}
