// Generated manifests through real admission: `kubectl apply --server-side --dry-run=server`
// against the testbed's apiserver with the CRDs of crds/ (OpenAPI schema + CEL rules). Every case
// must be answered — accepted, or rejected with the apiserver's validation error — never with an
// internal error or a timeout. And `secretsync validate` (src/cli/validate.ts: the CRD schema, the
// CRDs' CEL rules, and secretsync's own rules) must agree with admission both ways:
// - what the CRD-derived part of it (schema + CEL) rejects, the apiserver rejects too;
// - what it accepts, the apiserver accepts — the one inherent exception being server-side apply's
//   YAML decoding, which refuses a mapping key longer than 1022 characters (YAML's 1024-character
//   implicit-key limit, quotes included) in any map, though the CRD allows it and `kubectl create`
//   accepts the same object. Counted apart (ssaYamlKeyLimit), not a gap.
// What only secretsync's own rules reject (cron, templates, regexes, unsupported fields, duplicate
// or reserved Secret keys: what the controller would refuse) is counted, not a disagreement.
// RESILIENCE_FAST_ADMISSION_RUNS cases in `npm test`, RESILIENCE_ADMISSION_RUNS (hundreds) under
// `npm run test:resilience`.
import { execFile } from 'node:child_process';
import fc from 'fast-check';
import { checkObject, loadCheckers } from '../../src/cli/validate';
import { installDeploy } from '../support/controller';
import { createNamespace, deleteNamespace } from '../support/kube';
import { coherentCase, externalSecret, store } from './support/arbitraries';
import { knobs, recordFigures } from './support/knobs';

const LONG = process.env.SECRETSYNC_RESILIENCE === '1';
const RUNS = LONG ? knobs.admissionRuns : knobs.fastAdmissionRuns;
/** Per kubectl call; the cases run three at a time. */
const CALL_MS = 30_000;
const WORKERS = 3;
jest.setTimeout(120_000 + Math.ceil(RUNS / WORKERS) * CALL_MS);

let ns: string;

beforeAll(async () => {
  await installDeploy();
  ns = await createNamespace('rs-admission');
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

function dryRun(obj: unknown): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['apply', '--server-side', '--dry-run=server', '--field-manager=rs-fuzz', '-o', 'name', '-f', '-'],
      { env: process.env, maxBuffer: 64 << 20, timeout: CALL_MS },
      (err, _stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stderr: String(stderr),
          ms: Date.now() - started,
        }),
    );
    child.stdin?.end(JSON.stringify(obj));
  });
}

/** Answers that are not a verdict on the object: the apiserver (or kubectl) failed. */
const BROKEN =
  /InternalError|Internal error|unable to handle the request|connection refused|timed out|panic|EOF/i;

/** The longest mapping key anywhere in the object, as kubectl serialises it (JSON, quoted). */
function longestKey(v: unknown): number {
  let max = 0;
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === 'object' && x !== null)
      for (const [k, y] of Object.entries(x)) {
        max = Math.max(max, [...JSON.stringify(k)].length);
        walk(y);
      }
  };
  walk(v);
  return max;
}

/** Server-side apply decodes its patch as YAML: a key over 1024 characters (quotes included) fails. */
const ssaYamlKeyLimit = (stderr: string, obj: unknown) =>
  /error decoding YAML/.test(stderr) && longestKey(obj) > 1024;

/** The apiserver's reason, names and values elided, for the figures. */
const serverReason = (stderr: string) =>
  (stderr.trim().split('\n').pop() ?? '?')
    .replace(/^.*?is invalid: /, '')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 100);

const tally = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
const top = (m: Record<string, number>, n = 8) =>
  Object.fromEntries(
    Object.entries(m)
      .sort((x, y) => y[1] - x[1])
      .slice(0, n),
  );

test(`${RUNS} generated manifests through kubectl apply --dry-run=server`, async () => {
  const checkers = await loadCheckers();
  const arb = fc.oneof(
    { weight: 5, arbitrary: externalSecret },
    { weight: 2, arbitrary: store },
    { weight: 2, arbitrary: coherentCase.map((c) => c.es) },
  );
  const objects = fc
    .sample(arb, {
      numRuns: RUNS,
      ...(process.env.RESILIENCE_FUZZ_SEED && { seed: Number(process.env.RESILIENCE_FUZZ_SEED) }),
    })
    .map((o) => {
      const obj = JSON.parse(JSON.stringify(o)) as { kind: string; metadata: Record<string, unknown> };
      if (obj.kind !== 'ClusterSecretStore') obj.metadata.namespace = ns;
      else obj.metadata.name = `rs-fuzz-${String(obj.metadata.name)}`;
      return obj;
    });
  let accepted = 0;
  let rejected = 0;
  let maxMs = 0;
  let openApiAloneMissed = 0;
  let inherent = 0;
  let admittedButFlagged = 0;
  const broken: string[] = [];
  /** The CRD's own rules (schema + CEL, offline) rejected what the apiserver admitted. */
  const crdRulesDisagree: string[] = [];
  /** `secretsync validate` passed what the apiserver rejected. */
  const gaps: string[] = [];
  const offlineOnly: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const obj = objects[next++]!;
      const result = checkObject(obj, checkers);
      const problems = result.kind === 'checked' ? result.problems : [];
      const schema = checkers.schema(obj);
      const crdProblems = [...schema.problems, ...(checkers.cel?.(obj) ?? [])];
      const r = await dryRun(obj);
      maxMs = Math.max(maxMs, r.ms);
      const isBroken = r.code !== 0 && (BROKEN.test(r.stderr) || r.stderr.trim() === '');
      if (r.code === 0) accepted++;
      else if (isBroken) broken.push(r.stderr.slice(0, 300) || `exit ${r.code}`);
      else rejected++;
      if (r.code === 0 && crdProblems.length > 0)
        crdRulesDisagree.push(
          `accepted by the apiserver, rejected by the CRD's rules offline: ${JSON.stringify(crdProblems).slice(0, 300)}`,
        );
      if (r.code === 0 && problems.length > 0) {
        admittedButFlagged++;
        for (const p of problems) tally(offlineOnly, p.message.replace(/"[^"]*"/g, '"…"').slice(0, 80));
      }
      if (r.code !== 0 && schema.valid) openApiAloneMissed++;
      if (r.code !== 0 && !isBroken && problems.length === 0) {
        if (ssaYamlKeyLimit(r.stderr, obj)) inherent++;
        else gaps.push(`${serverReason(r.stderr)} — ${JSON.stringify(obj).slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  recordFigures(LONG ? 'admission-fuzz' : 'admission-fuzz-fast', {
    cases: objects.length,
    accepted,
    rejected,
    brokenAnswers: broken.length,
    crdRulesRejectedButAdmitted: crdRulesDisagree.length,
    admittedOfflineButRejectedByServer: gaps.length,
    ssaYamlKeyLimit: inherent,
    admittedByOpenApiAloneButRejectedByServer: openApiAloneMissed,
    admittedButRejectedBySecretsyncRules: admittedButFlagged,
    secretsyncOnlyReasons: top(offlineOnly),
    maxCallMs: maxMs,
  });
  expect(broken).toEqual([]);
  expect(crdRulesDisagree).toEqual([]);
  expect(gaps).toEqual([]);
  expect(accepted + rejected).toBe(RUNS);
});
