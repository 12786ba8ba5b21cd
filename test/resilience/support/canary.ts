// Canary values: every store in the resilience suite holds values that start with RSCANARY, and
// every scenario ends by sweeping what the controller exposes — its logs, Kubernetes Events,
// ExternalSecret and store status, metrics, CLI output — for any canary of any scenario (raw or
// base64). Secrets and store specs hold canaries by design and are not swept.
import { randomBytes } from 'node:crypto';
import { buildCli } from '../../../src/main';
import { clients } from '../../support/kube';
import { kubeRequest } from '../../../src/kube/request';

const PREFIX = 'RSCANARY';
const RAW = /RSCANARY[0-9a-f]{16}/g;
// base64 of a value that starts with the prefix: "RSCANARY" encodes to "UlNDQU5BUlk".
const B64 = /UlNDQU5BUlk[A-Za-z0-9+/]{10}/g;

export function newCanary(): string {
  return `${PREFIX}${randomBytes(8).toString('hex')}`;
}

export interface Leak {
  where: string;
  match: string;
}

export function findCanaries(where: string, text: string): Leak[] {
  const out: Leak[] = [];
  for (const re of [RAW, B64]) for (const m of text.matchAll(re)) out.push({ where, match: m[0] });
  return out;
}

interface Listed {
  items?: { metadata?: { namespace?: string; name?: string }; status?: unknown }[];
}

/**
 * What the cluster exposes about syncs, cluster-wide: every Event and every status of the
 * external-secrets.io objects. Returns the leaks found (empty when clean) and how much was read.
 */
export async function sweepCluster(): Promise<{ leaks: Leak[]; events: number; statuses: number }> {
  const { kc, core } = clients();
  const leaks: Leak[] = [];
  const events = await core.listEventForAllNamespaces();
  for (const e of events.items) {
    const where = `Event ${e.metadata?.namespace}/${e.metadata?.name} (${e.reason})`;
    leaks.push(...findCanaries(where, JSON.stringify({ m: e.message, r: e.reason })));
  }
  let statuses = 0;
  for (const plural of ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets']) {
    const list = await kubeRequest<Listed>(kc, { path: `/apis/external-secrets.io/v1/${plural}` });
    for (const o of list.items ?? []) {
      statuses++;
      const where = `${plural} ${o.metadata?.namespace ?? ''}/${o.metadata?.name} status`;
      leaks.push(...findCanaries(where, JSON.stringify(o.status ?? {})));
    }
  }
  return { leaks, events: events.items.length, statuses };
}

/** Runs the secretsync CLI in-process (as `bin/secretsync` would) and returns what it printed. */
export async function runCli(args: string[]): Promise<{ output: string; exitCode: number }> {
  let output = '';
  const capture = (chunk: unknown) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    return true;
  };
  const write = { out: process.stdout.write, err: process.stderr.write };
  const log = { log: console.log, error: console.error, warn: console.warn };
  const before = process.exitCode;
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  console.log = console.error = console.warn = (...a: unknown[]) => capture(`${a.map(String).join(' ')}\n`);
  process.exitCode = 0;
  let exitCode = 0;
  try {
    await buildCli()
      .exitOverride()
      .configureOutput({ writeOut: capture, writeErr: capture })
      .parseAsync(['node', 'secretsync', ...args]);
    exitCode = Number(process.exitCode ?? 0);
  } catch (err) {
    output += `${(err as Error).message}\n`;
    exitCode = 1;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    Object.assign(console, log);
    process.exitCode = before;
  }
  return { output, exitCode };
}
