// Generated manifests through real admission: `kubectl apply --server-side --dry-run=server`
// against the testbed's apiserver with the CRDs of crds/ (OpenAPI schema + CEL rules). Every case
// must be answered — accepted, or rejected with the apiserver's validation error — never with an
// internal error or a timeout, and whatever the offline validator rejects the apiserver rejects
// too. RESILIENCE_FAST_ADMISSION_RUNS cases in `npm test`, RESILIENCE_ADMISSION_RUNS (hundreds)
// under `npm run test:resilience`.
import { execFile } from 'node:child_process';
import fc from 'fast-check';
import { createManifestValidator } from '../../src/api/schema';
import { installDeploy } from '../support/controller';
import { createNamespace, deleteNamespace } from '../support/kube';
import { coherentCase, externalSecret, store } from './support/arbitraries';
import { knobs, recordFigures } from './support/knobs';

const LONG = process.env.SECRETSYNC_RESILIENCE === '1';
const RUNS = LONG ? knobs.admissionRuns : knobs.fastAdmissionRuns;
const CALL_MS = 30_000;
jest.setTimeout(Math.max(120_000, RUNS * 2000));

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

test(`${RUNS} generated manifests through kubectl apply --dry-run=server`, async () => {
  const validate = createManifestValidator();
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
  const broken: string[] = [];
  const disagreements: string[] = [];
  const cel: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const obj = objects[next++]!;
      const offline = validate(obj);
      const r = await dryRun(obj);
      maxMs = Math.max(maxMs, r.ms);
      if (r.code === 0) accepted++;
      else if (BROKEN.test(r.stderr) || r.stderr.trim() === '')
        broken.push(r.stderr.slice(0, 300) || `exit ${r.code}`);
      else rejected++;
      if (!offline.valid && r.code === 0)
        disagreements.push(
          `accepted by the apiserver, rejected offline: ${JSON.stringify(offline.problems).slice(0, 300)}`,
        );
      if (offline.valid && r.code !== 0) {
        // What only the apiserver caught (CEL rules), names elided.
        const last = r.stderr.trim().split('\n').pop() ?? '?';
        const why = last
          .replace(/^.*?is invalid: /, '')
          .replace(/"[^"]*"/g, '"…"')
          .slice(0, 100);
        cel[why] = (cel[why] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: 3 }, worker));
  recordFigures(LONG ? 'admission-fuzz' : 'admission-fuzz-fast', {
    cases: objects.length,
    accepted,
    rejected,
    brokenAnswers: broken.length,
    offlineRejectedButAdmitted: disagreements.length,
    admittedOfflineButRejectedByServer: Object.values(cel).reduce((a, b) => a + b, 0),
    serverOnlyRejections: Object.fromEntries(
      Object.entries(cel)
        .sort((x, y) => y[1] - x[1])
        .slice(0, 8),
    ),
    maxCallMs: maxMs,
  });
  expect(broken).toEqual([]);
  expect(disagreements).toEqual([]);
  expect(accepted + rejected).toBe(RUNS);
});
