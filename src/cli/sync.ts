// `secretsync sync <ns>/<name> [--wait]`: asks for an immediate refresh the way ESO users do, by
// setting the `external-secrets.io/force-sync` annotation to a new value (a merge patch); with
// --wait, polls the ExternalSecret until the controller has synced it after the request and reports
// its Ready condition.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import type { ExternalSecret } from '../api/generated';
import { ANNOTATION } from '../api/constants';
import { kubeRequest } from '../kube/request';
import { parseDuration } from '../gocompat/duration';
import { connect, esPath, explainApiError, type KubeFlags } from './kube';

export interface SyncFlags extends KubeFlags {
  namespace?: string;
  wait?: boolean;
  timeout?: string;
}

/** `ns/name`, or `name` with -n. */
export function parseTarget(target: string, namespace?: string): { namespace: string; name: string } {
  const parts = target.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) {
    if (namespace !== undefined && namespace !== parts[0])
      throw new Error(`${target} names namespace ${parts[0]} but -n says ${namespace}`);
    return { namespace: parts[0], name: parts[1] };
  }
  if (parts.length === 1 && parts[0] && namespace) return { namespace, name: parts[0] };
  throw new Error(
    `expected <namespace>/<name> (or <name> with -n <namespace>), got ${JSON.stringify(target)}`,
  );
}

type Ready = { status?: string; reason?: string; message?: string; lastTransitionTime?: string };
const readyOf = (es: ExternalSecret): Ready => es.status?.conditions?.find((c) => c.type === 'Ready') ?? {};

export type WaitOutcome = { done: false } | { done: true; ok: boolean; refreshTime?: string; ready: Ready };

/**
 * Whether the controller has acted on a force-sync requested at `requestedMs`: a successful sync
 * after it moves status.refreshTime to that second or later (and changes refreshTime or
 * syncedResourceVersion, which hashes the annotations); a failure shows as Ready=False with a
 * condition that differs from the one read before the request. A sync that fails as before
 * changes nothing the CLI can see, so it is no answer: the wait ends at its timeout.
 */
export function syncOutcome(before: ExternalSecret, now: ExternalSecret, requestedMs: number): WaitOutcome {
  const requestedSecond = Math.floor(requestedMs / 1000) * 1000;
  const ready = readyOf(now);
  const refreshTime = now.status?.refreshTime ?? undefined;
  const movedPast =
    refreshTime !== undefined &&
    Date.parse(refreshTime) >= requestedSecond &&
    (refreshTime !== before.status?.refreshTime ||
      now.status?.syncedResourceVersion !== before.status?.syncedResourceVersion);
  if (movedPast && ready.status === 'True') return { done: true, ok: true, refreshTime, ready };
  const prev = readyOf(before);
  // Compared with the condition read before the request, not with the request's second: a failure
  // stamped in that same second, before the request, is the old answer (seen in CI).
  const failedSince =
    ready.status === 'False' &&
    (ready.status !== prev.status ||
      ready.lastTransitionTime !== prev.lastTransitionTime ||
      ready.reason !== prev.reason ||
      ready.message !== prev.message);
  if (failedSince) return { done: true, ok: false, refreshTime, ready };
  return { done: false };
}

async function readEs(kc: KubeConfig, ns: string, name: string): Promise<ExternalSecret> {
  try {
    return await kubeRequest<ExternalSecret>(kc, { path: esPath(ns, name), timeoutMs: 10_000 });
  } catch (err) {
    throw explainApiError(err, `ExternalSecret ${ns}/${name}`);
  }
}

export async function runSync(
  target: string,
  flags: SyncFlags,
  out: (s: string) => void = console.log,
): Promise<number> {
  const { namespace, name } = parseTarget(target, flags.namespace);
  const timeoutMs = parseDuration(flags.timeout ?? '60s');
  const kc = await connect(flags);
  const before = await readEs(kc, namespace, name);
  const requestedMs = Date.now();
  const value = new Date(requestedMs).toISOString();
  try {
    await kubeRequest(kc, {
      method: 'PATCH',
      path: esPath(namespace, name),
      body: { metadata: { annotations: { [ANNOTATION.forceSync]: value } } },
      contentType: 'application/merge-patch+json',
      timeoutMs: 10_000,
    });
  } catch (err) {
    throw explainApiError(err, `ExternalSecret ${namespace}/${name}`);
  }
  out(`requested a sync of ExternalSecret ${namespace}/${name} (${ANNOTATION.forceSync}=${value})`);
  if (!flags.wait) return 0;

  const deadline = requestedMs + timeoutMs;
  let last = before;
  for (;;) {
    last = await readEs(kc, namespace, name);
    const outcome = syncOutcome(before, last, requestedMs);
    if (outcome.done) {
      const { reason = '', message = '' } = outcome.ready;
      if (outcome.ok) {
        out(`synced at ${outcome.refreshTime}: Ready=True ${reason}${message ? `: ${message}` : ''}`);
        return 0;
      }
      out(`sync failed: Ready=False ${reason}${message ? `: ${message}` : ''}`);
      return 1;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  const ready = readyOf(last);
  out(
    `no sync within ${flags.timeout ?? '60s'}: is the controller running and does it watch namespace ${namespace}? ` +
      `Current Ready=${ready.status ?? 'Unknown'}${ready.reason ? ` ${ready.reason}` : ''}${ready.message ? `: ${ready.message}` : ''}`,
  );
  return 1;
}

export function registerSync(program: Command): Command {
  return program
    .command('sync')
    .description(
      'force an immediate refresh of an ExternalSecret (sets the external-secrets.io/force-sync annotation)',
    )
    .argument('<target>', '<namespace>/<name> of the ExternalSecret (or <name> with -n)')
    .option('-n, --namespace <ns>', 'namespace, when <target> is only a name')
    .option('--wait', 'wait until the controller has synced it, and report its Ready condition')
    .option('--timeout <duration>', 'how long --wait waits', '60s')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config)')
    .addHelpText(
      'after',
      `
Exit status: 0 when the request was made (with --wait: when the sync succeeded); 1 when the sync
failed or did not happen within --timeout. The same as:
  kubectl annotate es <name> -n <ns> external-secrets.io/force-sync=$(date +%s) --overwrite`,
    )
    .action(async (target: string, flags: SyncFlags) => {
      process.exitCode = await runSync(target, flags);
    });
}
