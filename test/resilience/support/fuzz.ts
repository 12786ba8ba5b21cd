// The fuzz properties. (a) The offline validator (src/api/schema.ts) answers every generated
// manifest with valid or a list of problems. (b) Every schema-valid ExternalSecret, with a generated
// fake store and a generated live Secret, goes through the real reconcile (reconcileExternalSecret
// with in-memory I/O) and through its pure steps one by one (normalize, fetchValues with the fake
// provider, buildDesired, planWrite): no crash, no hang (a per-case time bound), and each case ends
// synced or with Ready=False and a known reason — never an untyped exception, never a value in a
// message.
import fc from 'fast-check';
import type { V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../../src/api/generated';
import { ES_REASON } from '../../../src/api/constants';
import { createManifestValidator } from '../../../src/api/schema';
import { KubeApiError } from '../../../src/kube/request';
import { ProviderError } from '../../../src/providers/core/errors';
import { createClient } from '../../../src/providers/registry';
import type { SecretsClient } from '../../../src/providers/core/types';
import type { Decision } from '../../../src/runtime/decision';
import { systemClock } from '../../../src/runtime/clock';
import { DurationError } from '../../../src/gocompat/duration';
import { buildDesired } from '../../../src/controllers/externalsecret/desired';
import { fetchValues } from '../../../src/controllers/externalsecret/fetch';
import { PlannedClient } from '../../../src/controllers/externalsecret/plan';
import { reconcileExternalSecret } from '../../../src/controllers/externalsecret/reconcile';
import type { StoreObject } from '../../../src/controllers/secretstore/store';
import { normalize } from '../../../src/controllers/externalsecret/spec';
import { validateStore } from '../../../src/controllers/secretstore/store-status';
import { TemplateError } from '../../../src/gocompat/template';
import { planWrite } from '../../../src/controllers/externalsecret/write-plan';
import { matchesAny, parseOptIn } from '../../../src/controllers/rollout/annotations';
import { fakeReconcileDeps } from '../../support/reconcile-deps';
import { ALL_CANARIES, coherentCase, externalSecret, liveSecret, regexBomb, store } from './arbitraries';
import { SyncMemory } from '../../../src/controllers/externalsecret/sync-memory';

/** Reasons a Ready=False condition may carry: the API's own and the providers' typed errors. */
export const KNOWN_REASONS = new Set<string>([
  ...Object.values(ES_REASON),
  'RemoteKeyNotFound',
  'ProviderAuthFailed',
  'ProviderThrottled',
  'InvalidRemoteRef',
  'ProviderUnavailable',
  'SecretNotOwned',
  'SecretMissing',
]);

const NS = 'fuzz';
const UID = '00000000-0000-4000-8000-00000000f022';
const MIB = 1024 * 1024;

/**
 * User-mode CPU time this process has used, in ms. Cases are bounded in CPU time, not wall time:
 * the bound is about the work a case makes the controller do (a regex or template blow-up would
 * show here), and CPU time does not grow when other work shares the machine (wall time on 2 busy
 * cores does, up to several-fold: one case measured 716 s of wall time for 22 s of CPU time).
 * User time only: kernel time (page faults, reclaim under memory pressure) is the machine's, not
 * the case's.
 */
export function cpuMs(): number {
  return process.cpuUsage().user / 1000;
}

/**
 * Settles as `p` does, or fails if the process does no work at all for `idleMs` while `p` is
 * pending: a promise that nothing will ever settle (a hang). Judged by CPU time, so a busy machine
 * cannot fake a hang (a runnable process keeps getting some CPU) and a slow case is not one.
 */
export async function notHung<T>(p: Promise<T>, idleMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let lastCpu = cpuMs();
  let idleSince = Date.now();
  const watchdog = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = cpuMs();
      // A timer tick costs microseconds; anything a case does costs more.
      if (now - lastCpu > 2) {
        lastCpu = now;
        idleSince = Date.now();
      } else if (Date.now() - idleSince >= idleMs) {
        reject(new Error(`hung: pending with the process idle for ${idleMs} ms`));
      }
    }, 250);
  });
  try {
    return await Promise.race([p, watchdog]);
  } finally {
    clearInterval(timer);
  }
}

export interface FuzzStats {
  cases: number;
  schemaValid: number;
  schemaInvalid: number;
  reconciled: number;
  synced: number;
  readyFalse: Record<string, number>;
  /** Slowest case in CPU time (the bounded figure) and in wall time (for information). */
  maxCaseMs: number;
  maxCaseWallMs: number;
  slowCases: number;
  /** CPU times of cases over the bound at their first measurement (each measured again alone). */
  slowFirstMeasurements: number[];
  /** Schema problems by field (indices elided), for tuning the generators. */
  schemaProblems: Record<string, number>;
  failures: string[];
}

export function newStats(): FuzzStats {
  return {
    cases: 0,
    schemaValid: 0,
    schemaInvalid: 0,
    reconciled: 0,
    synced: 0,
    readyFalse: {},
    maxCaseMs: 0,
    maxCaseWallMs: 0,
    slowCases: 0,
    slowFirstMeasurements: [],
    schemaProblems: {},
    failures: [],
  };
}

function leaks(where: string, text: string | undefined): string[] {
  if (!text) return [];
  const b64 = ALL_CANARIES.map((c) => Buffer.from(c).toString('base64').replace(/=+$/, ''));
  return [...ALL_CANARIES, ...b64]
    .filter((c) => text.includes(c))
    .map(() => `${where} contains a store value`);
}

function live(kind: string, name: string): V1Secret | undefined {
  const meta = { name, namespace: NS, uid: 'live-uid', resourceVersion: '7' };
  switch (kind) {
    case 'unowned':
      return { metadata: meta, data: { theirs: 'eA==' } };
    case 'other-owner':
      return {
        metadata: {
          ...meta,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'x', uid: 'other', controller: true }],
        },
        data: {},
      };
    case 'immutable':
      return {
        metadata: {
          ...meta,
          labels: { 'reconcile.external-secrets.io/managed': 'true' },
          ownerReferences: [
            {
              apiVersion: 'external-secrets.io/v1',
              kind: 'ExternalSecret',
              name,
              uid: UID,
              controller: true,
            },
          ],
        },
        immutable: true,
        data: { old: 'eA==' },
      };
    default:
      return undefined;
  }
}

/** An apiserver that checks what the real one checks about a Secret's data before storing it. */
function apiserverWrite(secret: V1Secret): void {
  let size = 0;
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253 || k === '.' || k === '..')
      throw new KubeApiError(
        422,
        'Invalid',
        `Secret "${secret.metadata?.name}" is invalid: data[${k}]: Invalid value`,
      );
    size += Buffer.from(v, 'base64').length + k.length;
  }
  if (size > MIB)
    throw new KubeApiError(
      422,
      'Invalid',
      `Secret "${secret.metadata?.name}" is invalid: data: Too long: must have at most 1048576 bytes`,
    );
}

async function client(s: StoreObject): Promise<SecretsClient> {
  const c = await createClient(s.spec.provider as unknown as Record<string, unknown>, {
    namespace: NS,
    readSecretKey: () => Promise.reject(new Error('no Secrets in the fuzz')),
    store: {
      kind: s.kind,
      name: s.name,
      namespace: s.kind === 'SecretStore' ? NS : undefined,
      generation: 1,
    },
  });
  return new PlannedClient(c, { mode: 'planned', clock: systemClock });
}

/** One case through the schema, the reconcile and its steps; appends problems to stats.failures. */
export async function reconcileCase(
  validate: ReturnType<typeof createManifestValidator>,
  esIn: Record<string, unknown>,
  storeIn: Record<string, unknown>,
  liveKind: string,
  stats: FuzzStats,
  perCaseMs: number,
  /** Runs the same case again and returns its CPU time (absent: when re-measuring). */
  remeasure?: () => Promise<number>,
): Promise<void> {
  stats.cases++;
  const started = performance.now();
  const startedCpu = cpuMs();
  const fail = (what: string) => {
    if (stats.failures.length < 20)
      stats.failures.push(
        `${what} :: ${JSON.stringify(esIn).slice(0, Number(process.env.RESILIENCE_FUZZ_SHOW ?? 400))}`,
      );
  };
  const esCheck = validate({ ...esIn, metadata: { ...(esIn.metadata as object), namespace: NS } });
  const storeCheck = validate({ ...storeIn, metadata: { ...(storeIn.metadata as object), namespace: NS } });
  if (!Array.isArray(esCheck.problems) || !Array.isArray(storeCheck.problems))
    fail('validator returned no problem list');
  if (!esCheck.valid) {
    stats.schemaInvalid++;
    if (esCheck.problems.length === 0) fail('invalid without a problem');
    const field = `${esCheck.problems[0]!.path.replace(/\/\d+/g, '/*')} ${esCheck.problems[0]!.message.slice(0, 40)}`;
    stats.schemaProblems[field] = (stats.schemaProblems[field] ?? 0) + 1;
    return;
  }
  stats.schemaValid++;
  const es = {
    ...(esIn as unknown as ExternalSecret),
    metadata: { ...(esIn as unknown as ExternalSecret).metadata, namespace: NS, uid: UID, generation: 1 },
  } as ExternalSecret;
  const name = es.metadata!.name!;
  const storeObj: StoreObject | undefined = storeCheck.valid
    ? {
        kind: storeIn.kind as StoreObject['kind'],
        name: 'fake',
        namespace: storeIn.kind === 'SecretStore' ? NS : undefined,
        generation: 1,
        spec: storeIn.spec as StoreObject['spec'],
      }
    : undefined;

  // The steps one by one, with their typed-error contracts.
  let targetName = name;
  try {
    targetName = normalize(es).targetName;
  } catch (err) {
    if (!(err instanceof DurationError))
      fail(`normalize threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
  const clientFor = async () => {
    if (!storeObj) throw new Error('no store');
    return client(storeObj);
  };
  if (storeObj) {
    let values: Map<string, Uint8Array> | undefined;
    try {
      values = await notHung(fetchValues(es.spec, clientFor));
    } catch (err) {
      if (!(err instanceof ProviderError || err instanceof TemplateError))
        fail(`fetchValues threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      else for (const l of leaks('fetchValues error', (err as Error).message)) fail(l);
    }
    if (values) {
      try {
        const desired = buildDesired(es, targetName, values);
        planWrite({
          policy: es.spec.target?.creationPolicy ?? 'Owner',
          desired,
          live: live(liveKind, targetName),
          namespace: NS,
          owner: { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name, uid: UID },
        });
      } catch (err) {
        if (!(err instanceof ProviderError || err instanceof TemplateError))
          fail(`buildDesired/planWrite threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
        else for (const l of leaks('buildDesired error', (err as Error).message)) fail(l);
      }
    }
    const cond = await notHung(validateStore(storeObj, client));
    for (const l of leaks('store condition', cond.message)) fail(l);
  }

  // The whole reconcile, I/O in memory.
  const liveTarget = live(liveKind, targetName);
  const { deps, record } = fakeReconcileDeps({
    es,
    clock: systemClock,
    store: () => storeObj,
    client: (s) => client(s),
    secrets: new Map(liveTarget ? [[targetName, liveTarget]] : []),
    admit: apiserverWrite,
    memory: new SyncMemory(true),
  });
  const statuses = record.statuses;
  let decision: Decision | undefined;
  try {
    decision = await notHung(reconcileExternalSecret(deps, NS, name));
  } catch (err) {
    fail(`reconcile threw ${(err as Error)?.name}: ${String((err as Error)?.message).slice(0, 200)}`);
  }
  const ms = cpuMs() - startedCpu;
  stats.maxCaseWallMs = Math.max(stats.maxCaseWallMs, performance.now() - started);
  if (ms > perCaseMs && remeasure) {
    // A case's work is deterministic; a major GC of earlier cases' garbage landing in it is not.
    // It is measured once more on its own: over the bound both times is a finding.
    const again = await remeasure();
    stats.slowFirstMeasurements.push(Math.round(ms));
    stats.maxCaseMs = Math.max(stats.maxCaseMs, again);
    if (again > perCaseMs) {
      stats.slowCases++;
      fail(`case took ${Math.round(ms)} and again ${Math.round(again)} ms of CPU (> ${perCaseMs})`);
    }
  } else stats.maxCaseMs = Math.max(stats.maxCaseMs, ms);
  if (!decision) return;
  stats.reconciled++;
  const ready = statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready');
  if (decision.kind === 'retry' || decision.kind === 'terminal') {
    if (ready?.status !== 'False') fail(`${decision.kind} without Ready=False`);
    else if (!KNOWN_REASONS.has(ready.reason ?? '')) fail(`unknown reason ${ready.reason}`);
  }
  if (ready?.status === 'False')
    stats.readyFalse[ready.reason ?? '?'] = (stats.readyFalse[ready.reason ?? '?'] ?? 0) + 1;
  else if (ready?.status === 'True') stats.synced++;
  // Outside its sync window a never-synced ExternalSecret is left without a condition until the
  // window opens; everything else reports.
  else if (storeObj && !storeObj.spec.controller && !es.spec.syncWindows)
    fail(`${decision.kind} with no Ready condition`);
  const said = [
    ...statuses.flatMap((s) => (s.conditions ?? []).map((c) => c.message ?? '')),
    ...record.events.map((e) => `${e.reason}: ${e.message}`),
    decision.kind === 'terminal' ? decision.reason : '',
    decision.kind === 'retry' ? String((decision.error as Error)?.message ?? decision.error) : '',
  ];
  for (const m of said) for (const l of leaks('status/event/decision', m)) fail(l);
}

/** The reconcile property over `numRuns` generated cases. */
export async function reconcileFuzz(numRuns: number, perCaseMs: number, seed?: number): Promise<FuzzStats> {
  const validate = createManifestValidator();
  const stats = newStats();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        { weight: 2, arbitrary: fc.record({ es: externalSecret, store }) },
        { weight: 1, arbitrary: coherentCase },
      ),
      liveSecret,
      async (pair, lv) => {
        // As the apiserver would see them: JSON, absent keys dropped.
        const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
        const run = (into: FuzzStats, again?: () => Promise<number>) =>
          reconcileCase(validate, json(pair.es), json(pair.store), lv, into, perCaseMs, again);
        await run(stats, async () => {
          const scratch = newStats();
          await run(scratch);
          return scratch.maxCaseMs;
        });
        return true;
      },
    ),
    { numRuns, ...(seed !== undefined && { seed }), endOnFailure: true },
  );
  return stats;
}

/** Reloader-style name lists (regexes, anchored) with hostile entries: bounded, no throw. */
export function annotationFuzz(
  numRuns: number,
  perCaseMs: number,
): { cases: number; maxCaseMs: number; failures: string[] } {
  let maxCaseMs = 0;
  let cases = 0;
  const failures: string[] = [];
  fc.assert(
    fc.property(
      fc.array(regexBomb, { minLength: 1, maxLength: 4 }),
      fc.string({ maxLength: 60 }),
      (entries, name) => {
        cases++;
        const t = cpuMs();
        const list = entries.join(',');
        try {
          parseOptIn(
            { 'secret.reloader.stakater.com/reload': list, 'reloader.stakater.com/search': 'maybe' },
            { 'secretsync.io/reload': list },
          );
          matchesAny(`${name}${'a'.repeat(5000)}`, entries);
        } catch (err) {
          failures.push(`threw ${(err as Error).message} for ${JSON.stringify(entries).slice(0, 200)}`);
        }
        const ms = cpuMs() - t;
        maxCaseMs = Math.max(maxCaseMs, ms);
        if (ms > perCaseMs)
          failures.push(`${Math.round(ms)} ms of CPU for ${JSON.stringify(entries).slice(0, 200)}`);
        return true;
      },
    ),
    { numRuns },
  );
  return { cases, maxCaseMs, failures };
}
