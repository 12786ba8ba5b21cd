// What the informers keep: per-key digests (never values) of Secrets and ConfigMaps, nothing of
// workloads that do not opt in; and how much memory that takes per object.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  isLean,
  NOT_OPTED_IN,
  projectConfigMap,
  projectSecret,
  projectWorkload,
  workloadChanged,
} from '../../../src/controllers/rollout/project';
import { keyDigest } from '../../../src/api/hash';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

test('Secrets: per-key digests of the decoded bytes and the two flags, no values', () => {
  const s = projectSecret({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'a',
      annotations: { 'reloader.stakater.com/match': 'true', big: 'x'.repeat(1000) },
    },
    data: { password: b64('CANARY-value') },
  } as KubernetesObject);
  expect(s).toEqual({
    keys: { password: keyDigest(Buffer.from('CANARY-value')) },
    ignore: false,
    match: true,
  });
  expect(JSON.stringify(s)).not.toContain('CANARY');
});

test('ConfigMaps: data and binaryData both count', () => {
  const c = projectConfigMap({
    metadata: { name: 'c', annotations: { 'reloader.stakater.com/ignore': 'true' } },
    data: { 'a.yaml': 'x: 1' },
    binaryData: { blob: b64(Buffer.from([0, 1, 2])) },
  } as KubernetesObject);
  expect(c).toEqual({
    keys: { 'a.yaml': keyDigest(Buffer.from('x: 1')), blob: keyDigest(Buffer.from([0, 1, 2])) },
    ignore: true,
    match: false,
  });
});

function deployment(
  annotations: Record<string, string> | undefined,
  extra: Partial<V1Deployment['spec']> = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'a', uid: 'u1', resourceVersion: '7', annotations },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'x',
              env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
              command: ['a'.repeat(2000)],
            },
          ],
        },
      },
      ...extra,
    },
  } as V1Deployment;
}

test('a workload without rollout annotations is kept as nothing at all', () => {
  expect(projectWorkload('Deployment')(deployment({ other: 'x' }))).toBe(NOT_OPTED_IN);
});

test('an opted-in workload keeps its opt-in, references and recorded hash, not its template', () => {
  const w = projectWorkload('Deployment')(
    deployment(
      {
        'reloader.stakater.com/auto': 'true',
        'secretsync.io/last-reload-hash': 'h',
        'secretsync.io/last-reload-objects': '',
      },
      { paused: true },
    ),
  );
  expect(isLean(w)).toBe(true);
  expect(w).toMatchObject({
    kind: 'Deployment',
    namespace: 'a',
    name: 'web',
    uid: 'u1',
    resourceVersion: '7',
    consumers: [{ kind: 'Secret', name: 'db', keys: ['password'], optional: false }],
    recordedHash: 'h',
    recordedObjects: '',
    paused: true,
    onDelete: false,
    // to list its pods before a restart (rollout/hold.ts)
    selector: 'app=web',
  });
  expect(JSON.stringify(w)).not.toContain('aaaa');
});

test('StatefulSet OnDelete is noted; malformed-only annotations keep problems but no references', () => {
  const sts = projectWorkload('StatefulSet')({
    metadata: { name: 's', namespace: 'a', annotations: { 'secret.reloader.stakater.com/reload': '[' } },
    spec: { updateStrategy: { type: 'OnDelete' }, template: { spec: { containers: [] } } },
  } as KubernetesObject);
  expect(sts).toMatchObject({ kind: 'StatefulSet', onDelete: true, consumers: [] });
  expect(isLean(sts) && sts.optIn).toBeFalsy();
  expect(isLean(sts) && sts.problems).toHaveLength(1);
});

test('the last rollout time (our restartedAt stamp) and the pause-period are kept; a bad period is a problem', () => {
  const p = projectWorkload('Deployment');
  const stamped = deployment(
    { 'reloader.stakater.com/auto': 'true', 'deployment.reloader.stakater.com/pause-period': '6s' },
    {},
  );
  stamped.spec!.template.metadata!.annotations = { 'secretsync.io/restartedAt': '2026-01-01T00:00:01.500Z' };
  expect(p(stamped)).toMatchObject({
    lastRolloutAt: Date.parse('2026-01-01T00:00:01.500Z'),
    pausePeriodMs: 6000,
    problems: [],
  });
  const plain = p(deployment({ 'reloader.stakater.com/auto': 'true' }));
  expect(isLean(plain) && [plain.lastRolloutAt, plain.pausePeriodMs]).toEqual([undefined, undefined]);
  const bad = p(
    deployment({
      'reloader.stakater.com/auto': 'true',
      'deployment.reloader.stakater.com/pause-period': 'soon',
    }),
  );
  expect(isLean(bad) && bad.pausePeriodMs).toBeUndefined();
  expect(isLean(bad) && bad.problems.map((x) => x.annotation)).toEqual([
    'deployment.reloader.stakater.com/pause-period',
  ]);
});

test('status-only updates are not changes', () => {
  const p = projectWorkload('Deployment');
  const a = p(deployment({ 'reloader.stakater.com/auto': 'true' }));
  const b = p({
    ...deployment({ 'reloader.stakater.com/auto': 'true' }),
    metadata: {
      ...deployment({}).metadata,
      annotations: { 'reloader.stakater.com/auto': 'true' },
      resourceVersion: '8',
    },
  });
  expect(workloadChanged(a, b)).toBe(false);
  expect(
    workloadChanged(
      a,
      p(deployment({ 'reloader.stakater.com/auto': 'true', 'secretsync.io/last-reload-hash': 'h' })),
    ),
  ).toBe(true);
  expect(workloadChanged(NOT_OPTED_IN, NOT_OPTED_IN)).toBe(false);
  expect(workloadChanged(NOT_OPTED_IN, a)).toBe(true);
});

/** Heap growth while holding what `make` returns for n objects (GC forced before and after). */
function retainedBytes<T>(n: number, make: (i: number) => T): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: T[] = [];
  for (let i = 0; i < n; i++) kept.push(make(i));
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(kept).toHaveLength(n);
  return after - before;
}

test('cache size: a 3-key Secret costs well under 1 KB, a 100 KB ConfigMap the same', () => {
  const value = 'v'.repeat(1024);
  const secretBytes =
    retainedBytes(5000, (i) =>
      projectSecret({
        metadata: { name: `s-${i}`, namespace: 'a', annotations: { note: 'x'.repeat(200) } },
        data: { username: b64(`user-${i}`), password: b64(`${value}${i}`), 'ca.crt': b64(`${value}ca${i}`) },
      } as KubernetesObject),
    ) / 5000;
  const big = 'y'.repeat(100 * 1024);
  const configMapBytes =
    retainedBytes(500, (i) =>
      projectConfigMap({
        metadata: { name: `c-${i}`, namespace: 'a' },
        data: { 'config.json': `${big}${i}`, 'extra.txt': `e${i}` },
      } as KubernetesObject),
    ) / 500;
  console.log(
    `cache per object: Secret (3 keys) ${Math.round(secretBytes)} B, ConfigMap (100 KB, 2 keys) ${Math.round(configMapBytes)} B`,
  );
  expect(secretBytes).toBeLessThan(1024);
  expect(configMapBytes).toBeLessThan(1024);
});

test('rollout status and our restart stamp are kept, and status changes are not changes', () => {
  const p = projectWorkload('Deployment');
  const base = deployment({ 'reloader.stakater.com/auto': 'true' });
  const stamped = {
    ...base,
    metadata: { ...base.metadata, generation: 2 },
    spec: {
      ...base.spec,
      template: { ...base.spec?.template, metadata: { annotations: { 'secretsync.io/restartedAt': 'T' } } },
    },
  } as V1Deployment;
  const rolling = p({ ...stamped, status: { observedGeneration: 1 } } as V1Deployment);
  const settled = p({
    ...stamped,
    status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  } as V1Deployment);
  expect(isLean(rolling) && rolling.rollout).toEqual({ restartedAt: 'T', progress: 'rolling' });
  expect(isLean(settled) && settled.rollout).toEqual({ restartedAt: 'T', progress: 'settled' });
  expect(workloadChanged(rolling, settled)).toBe(false);
});

test('secretsync.io/rollout-window is parsed; an invalid one is reported as a problem', () => {
  const p = projectWorkload('Deployment');
  const ok = p(
    deployment({ 'reloader.stakater.com/auto': 'true', 'secretsync.io/rollout-window': '* 2-4 * * *' }),
  );
  expect(isLean(ok) && ok.window).toEqual({ expression: '* 2-4 * * *', timeZone: 'UTC' });
  expect(isLean(ok) && ok.problems).toEqual([]);
  const bad = p(
    deployment({ 'reloader.stakater.com/auto': 'true', 'secretsync.io/rollout-window': 'nightly' }),
  );
  expect(isLean(bad) && bad.window).toEqual({
    invalid: expect.stringContaining('invalid cron schedule "nightly"'),
  });
  expect(isLean(bad) && bad.problems).toEqual([
    { annotation: 'secretsync.io/rollout-window', message: expect.stringContaining('expected 5 fields') },
  ]);
  // a changed window is a change: the workload is decided again
  expect(workloadChanged(ok, bad)).toBe(true);
});
