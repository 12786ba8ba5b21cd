// rollout-strategy and Reloader's selection flags as the pure parts read them: the annotation, the
// per-kind choice of how a restart is made, the patch bodies, the pods an eviction picks, the Job
// built to replace a Job, --auto-reload-all, --resources-to-ignore and --namespaces-to-ignore.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { parseOptIn, parseStrategy } from '../../../src/controllers/rollout/annotations';
import { podsToEvict } from '../../../src/controllers/rollout/evict';
import { patchBody } from '../../../src/controllers/rollout/patch';
import { isLean, projectWorkload, type LeanWorkload } from '../../../src/controllers/rollout/project';
import { labelSelectorQuery } from '../../../src/kube/selector';
import { recreatedJob } from '../../../src/controllers/rollout/recreate';
import type { WorkloadKind } from '../../../src/controllers/rollout/kinds';

const STRATEGY = 'reloader.stakater.com/rollout-strategy';

test.each([
  [undefined, 'rollout', false],
  ['rollout', 'rollout', false],
  ['restart', 'restart', false],
  ['Restart', 'rollout', true],
  ['', 'rollout', true],
])('rollout-strategy %j → %s (problem: %s)', (value, strategy, problem) => {
  const r = parseStrategy(value === undefined ? {} : { [STRATEGY]: value });
  expect(r.strategy).toBe(strategy);
  expect(r.problem !== undefined).toBe(problem);
});

function workload(kind: WorkloadKind, annotations: Record<string, string>, templateAnnotations = {}) {
  const template = {
    metadata: { labels: { app: 'w' }, annotations: templateAnnotations },
    spec: { containers: [{ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'db' } }] }] },
  };
  const spec =
    kind === 'CronJob'
      ? { jobTemplate: { spec: { template } } }
      : { selector: { matchLabels: { app: 'w' } }, template };
  return { metadata: { name: 'w', namespace: 'a', annotations }, spec } as KubernetesObject;
}

const AUTO = { 'reloader.stakater.com/auto': 'true' };

test.each([
  ['Deployment', 'restart', 'app=w', []],
  ['StatefulSet', 'restart', 'app=w', []],
  ['DaemonSet', 'restart', 'app=w', []],
  ['Rollout', 'restart', 'app=w', []],
  ['CronJob', 'rollout', undefined, [STRATEGY]],
  ['Job', 'rollout', 'app=w', [STRATEGY]],
] as const)(
  '%s with rollout-strategy restart: strategy %s, selector %s, problems %j',
  (kind, strategy, selector, problems) => {
    const w = projectWorkload(kind)(workload(kind, { ...AUTO, [STRATEGY]: 'restart' })) as LeanWorkload;
    expect(w.strategy).toBe(strategy);
    expect(w.selector).toBe(selector);
    expect(w.problems.map((p) => p.annotation)).toEqual(problems);
  },
);

test('the default strategy keeps the selector too (pods are listed before a restart, for the image-pull hold) but evicts nothing', () => {
  const w = projectWorkload('Deployment')(workload('Deployment', AUTO)) as LeanWorkload;
  expect(w).toMatchObject({ strategy: 'rollout', selector: 'app=w' });
  expect(w.restartRequestedAt).toBeUndefined();
});

test('patch bodies: restartAt sets spec.restartAt in whole seconds; evict records on metadata; neither touches the template', () => {
  const base = { hash: 'h', objects: 'o', restartedAt: '2026-01-02T03:04:05.678Z' };
  const meta = { 'secretsync.io/last-reload-hash': 'h', 'secretsync.io/last-reload-objects': 'o' };
  expect(patchBody({ kind: 'Rollout', resourceVersion: '1' }, { ...base, via: 'restartAt' })).toEqual({
    metadata: { resourceVersion: '1', annotations: meta },
    spec: { restartAt: '2026-01-02T03:04:05Z' },
  });
  expect(patchBody({ kind: 'Deployment', resourceVersion: '1' }, { ...base, via: 'evict' })).toEqual({
    metadata: {
      resourceVersion: '1',
      annotations: { ...meta, 'secretsync.io/restart-requested-at': base.restartedAt },
    },
  });
  expect(patchBody({ kind: 'CronJob', resourceVersion: '1' }, base)).toMatchObject({
    spec: {
      jobTemplate: {
        spec: { template: { metadata: { annotations: { 'secretsync.io/reload-hash': 'h' } } } },
      },
    },
  });
});

test('pods to evict: created in an earlier second than the request, not already deleting', () => {
  const pod = (name: string, created: string, deleting = false): V1Pod => ({
    metadata: {
      name,
      creationTimestamp: created as unknown as Date,
      ...(deleting ? { deletionTimestamp: created as unknown as Date } : {}),
    },
  });
  const pods = [
    pod('old', '2026-01-01T00:00:00Z'),
    pod('same-second', '2026-01-01T00:00:10Z'),
    pod('new', '2026-01-01T00:00:11Z'),
    pod('going', '2026-01-01T00:00:01Z', true),
  ];
  expect(podsToEvict(pods, '2026-01-01T00:00:10.500Z')).toEqual(['old']);
  expect(podsToEvict(pods, 'not a time')).toEqual([]);
});

test('label selectors as query text; an empty one selects nothing', () => {
  expect(
    labelSelectorQuery({
      matchLabels: { app: 'w', tier: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'NotIn', values: ['c'] },
        { key: 'y', operator: 'Exists' },
        { key: 'z', operator: 'DoesNotExist' },
      ],
    }),
  ).toBe('app=w,tier=web,env in (a,b),x notin (c),y,!z');
  expect(labelSelectorQuery({})).toBeUndefined();
  expect(labelSelectorQuery(undefined)).toBeUndefined();
});

test('a Job built to replace a Job: same spec, generated selector and labels dropped, new hash recorded', () => {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'j',
      namespace: 'a',
      uid: 'old',
      resourceVersion: '9',
      creationTimestamp: new Date(0),
      labels: { team: 't', 'batch.kubernetes.io/controller-uid': 'old', 'job-name': 'j' },
      annotations: { keep: '1', 'secretsync.io/last-reload-hash': 'before' },
    },
    spec: {
      backoffLimit: 2,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'old' } },
      template: {
        metadata: { labels: { app: 'j', 'controller-uid': 'old', 'batch.kubernetes.io/job-name': 'j' } },
        spec: { restartPolicy: 'Never' },
      },
    },
    status: { succeeded: 1 },
  };
  const out = recreatedJob(job, { hash: 'h2', objects: 'o2', restartedAt: 't' });
  expect(out).toEqual({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'j',
      namespace: 'a',
      labels: { team: 't' },
      annotations: {
        keep: '1',
        'secretsync.io/last-reload-hash': 'h2',
        'secretsync.io/last-reload-objects': 'o2',
      },
    },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: {
          labels: { app: 'j' },
          annotations: { 'secretsync.io/restartedAt': 't', 'secretsync.io/reload-hash': 'h2' },
        },
        spec: { restartPolicy: 'Never' },
      },
    },
  });
  expect(job.spec.selector).toBeDefined(); // the input is left as it was
  const manual = { ...job, spec: { ...job.spec, manualSelector: true } };
  expect(recreatedJob(manual, { hash: 'h', objects: 'o' }).spec?.selector).toEqual(job.spec.selector);
});

test('--auto-reload-all: no annotation means auto, unless an auto annotation says otherwise', () => {
  const all = { autoReloadAll: true };
  expect(parseOptIn(undefined, undefined).optIn).toBeUndefined();
  expect(parseOptIn(undefined, undefined, all).optIn).toMatchObject({
    Secret: { auto: true },
    ConfigMap: { auto: true },
  });
  expect(parseOptIn({ 'reloader.stakater.com/auto': 'false' }, undefined, all).optIn).toBeUndefined();
  expect(parseOptIn({ 'secret.reloader.stakater.com/auto': 'false' }, undefined, all).optIn).toMatchObject({
    Secret: { auto: false },
    ConfigMap: { auto: true },
  });
});

test('--resources-to-ignore: the kind never opts in', () => {
  const r = parseOptIn({ 'reloader.stakater.com/auto': 'true' }, undefined, { ignoreKinds: ['Secret'] });
  expect(r.optIn).toMatchObject({ Secret: { auto: false, names: [] }, ConfigMap: { auto: true } });
  const only = parseOptIn({ 'secret.reloader.stakater.com/reload': 'db' }, undefined, {
    ignoreKinds: ['Secret'],
  });
  expect(only.optIn).toBeUndefined();
});

test('--namespaces-to-ignore: workloads there are not cached', () => {
  const w = workload('Deployment', AUTO);
  expect(isLean(projectWorkload('Deployment', { ignoreNamespaces: new Set(['a']) })(w))).toBe(false);
  expect(isLean(projectWorkload('Deployment', { ignoreNamespaces: new Set(['b']) })(w))).toBe(true);
});
