// Property-based fuzzing of ExternalSecret and store specs (fast-check): the offline schema
// validator and the pure reconcile path. RESILIENCE_FAST_FUZZ_RUNS cases in `npm test`,
// RESILIENCE_FUZZ_RUNS (tens of thousands) under `npm run test:resilience`; RESILIENCE_FUZZ_SEED
// replays a run. See support/fuzz.ts for the properties.
import { renderTemplate } from '../../src/gocompat/template';
import { annotationFuzz, cpuMs, reconcileFuzz } from './support/fuzz';
import { knobs, recordFigures } from './support/knobs';

const LONG = process.env.SECRETSYNC_RESILIENCE === '1';
const RUNS = LONG ? knobs.fuzzRuns : knobs.fastFuzzRuns;
/**
 * No single case may take more CPU time than this (a regex or template blow-up would show here; RE2
 * semantics and the template step budget bound them). CPU time, not wall time: see cpuMs().
 */
const PER_CASE_MS = Number(process.env.RESILIENCE_FUZZ_CASE_MS ?? 5000);
const seed = process.env.RESILIENCE_FUZZ_SEED ? Number(process.env.RESILIENCE_FUZZ_SEED) : undefined;
// The property bounds each case's CPU time, not how much of the machine this run gets, so the file
// is allowed what the property allows: every case at its bound (wall time on a shared machine can
// be several times the CPU time; this is the backstop for a case that never returns).
jest.setTimeout(120_000 + RUNS * PER_CASE_MS);

test(`${RUNS} generated ExternalSecrets and stores: validator and reconcile never crash, hang or leak`, async () => {
  const started = Date.now();
  const startedCpu = cpuMs();
  const stats = await reconcileFuzz(RUNS, PER_CASE_MS, seed);
  recordFigures(LONG ? 'fuzz' : 'fuzz-fast', {
    ...stats,
    failures: stats.failures.length,
    maxCaseMs: Math.round(stats.maxCaseMs),
    maxCaseWallMs: Math.round(stats.maxCaseWallMs),
    seconds: Math.round((Date.now() - started) / 1000),
    cpuSeconds: Math.round((cpuMs() - startedCpu) / 1000),
    perCaseCpuBoundMs: PER_CASE_MS,
  });
  expect(stats.failures).toEqual([]);
  expect(stats.cases).toBe(RUNS);
  // The generators are tuned so that a good share of cases reaches the reconcile path.
  expect(stats.reconciled).toBeGreaterThan(RUNS / 5);
});

test('reload-annotation name lists with regex bombs are bounded', () => {
  const runs = Math.max(200, Math.round(RUNS / 10));
  const r = annotationFuzz(runs, 1000);
  recordFigures(LONG ? 'fuzz-annotations' : 'fuzz-annotations-fast', {
    cases: r.cases,
    maxCaseCpuMs: Math.round(r.maxCaseMs),
    perCaseCpuBoundMs: 1000,
    failures: r.failures.length,
  });
  expect(r.failures).toEqual([]);
});

test('regression: ranging over a numeric secret with two variables names its type, not its value', () => {
  // Found by the fuzz above: the message quoted the integer (Go's text/template does), e.g. a PIN.
  const pin = '739104628551234';
  expect(() => renderTemplate('t', '{{ range $i, $v := (.pin | atoi) }}{{ end }}', { pin })).toThrow(
    /can't use an int to iterate over more than one variable/,
  );
  try {
    renderTemplate('t', '{{ range $i, $v := (.pin | atoi) }}{{ end }}', { pin });
  } catch (err) {
    expect((err as Error).message).not.toContain(pin);
  }
});
