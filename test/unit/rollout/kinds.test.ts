// The workload kind table: every entry complete, its pod-template path the same for reading the
// opt-in and for stamping a restart, each kind's own pause/OnDelete reading, and deploy/ RBAC
// granting the controller what it does to every kind (informer list + watch, patch).
import type { KubernetesObject } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiVersionOf, resourcePath } from '../../../src/kube/resources';
import {
  atPodTemplate,
  perKind,
  podTemplateOf,
  WORKLOAD_KINDS,
  WORKLOADS,
  type WorkloadKind,
  type WorkloadKindInfo,
} from '../../../src/controllers/rollout/kinds';
import { eventTarget, patchBody } from '../../../src/controllers/rollout/patch';
import { isLean, projectWorkload, type LeanWorkload } from '../../../src/controllers/rollout/project';

type Spec = Record<string, unknown>;

/**
 * Each kind as written by hand (not derived from the table): where its pod template sits, and
 * what holds a restart back. One entry per kind in the table.
 */
const CASES: Record<
  WorkloadKind,
  {
    withTemplate(template: object): { spec: Spec };
    heldBack: { spec: Spec; paused: boolean; onDelete: boolean }[];
  }
> = {
  Deployment: {
    withTemplate: (template) => ({ spec: { template } }),
    heldBack: [
      { spec: { paused: true }, paused: true, onDelete: false },
      { spec: { paused: false, strategy: { type: 'Recreate' } }, paused: false, onDelete: false },
    ],
  },
  StatefulSet: {
    withTemplate: (template) => ({ spec: { template } }),
    heldBack: [
      { spec: { updateStrategy: { type: 'OnDelete' } }, paused: false, onDelete: true },
      { spec: { updateStrategy: { type: 'RollingUpdate' } }, paused: false, onDelete: false },
    ],
  },
  DaemonSet: {
    withTemplate: (template) => ({ spec: { template } }),
    heldBack: [
      { spec: { updateStrategy: { type: 'OnDelete' } }, paused: false, onDelete: true },
      { spec: { updateStrategy: { type: 'RollingUpdate' } }, paused: false, onDelete: false },
    ],
  },
  // The next Job reads the new content: the Job template's pod template is the one.
  CronJob: {
    withTemplate: (template) => ({ spec: { jobTemplate: { spec: { template } } } }),
    heldBack: [
      { spec: { suspend: true }, paused: true, onDelete: false },
      { spec: { suspend: false }, paused: false, onDelete: false },
    ],
  },
  Job: {
    withTemplate: (template) => ({ spec: { template } }),
    heldBack: [{ spec: { suspend: true }, paused: false, onDelete: false }],
  },
  Rollout: {
    withTemplate: (template) => ({ spec: { template } }),
    heldBack: [
      { spec: { paused: true }, paused: true, onDelete: false },
      { spec: { strategy: { canary: {} } }, paused: false, onDelete: false },
    ],
  },
};

/** A workload of `kind` reading Secret `db`, opted in on its pod template, with `spec` merged in. */
function workload(kind: WorkloadKind, spec: Spec = {}): KubernetesObject {
  const template = {
    metadata: { annotations: { 'reloader.stakater.com/auto': 'true' } },
    spec: { containers: [{ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'db' } }] }] },
  };
  return {
    apiVersion: apiVersionOf(kind),
    kind,
    metadata: { name: 'w', namespace: 'a', uid: 'u', resourceVersion: '3' },
    spec: { ...CASES[kind].withTemplate(template).spec, ...spec },
  } as KubernetesObject;
}

test('every entry is complete', () => {
  expect(WORKLOAD_KINDS.length).toBeGreaterThan(0);
  for (const kind of WORKLOAD_KINDS) {
    const k = WORKLOADS[kind];
    expect(kind).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(k.group).toMatch(/^([a-z0-9]+(\.[a-z0-9-]+)*)?$/);
    expect(k.version).toMatch(/^v[0-9]+((alpha|beta)[0-9]+)?$/);
    expect(k.plural).toMatch(/^[a-z]+$/);
    expect(k.podTemplatePath.length).toBeGreaterThan(0);
    expect(k.paused({ metadata: {} })).toBe(false);
    expect(k.onDelete({ metadata: {} })).toBe(false);
  }
  expect(new Set(WORKLOAD_KINDS.map((k) => `${WORKLOADS[k].group}/${WORKLOADS[k].plural}`)).size).toBe(
    WORKLOAD_KINDS.length,
  );
  expect(perKind((k) => k.length)).toEqual(Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, k.length])));
});

test.each(WORKLOAD_KINDS)('%s: paths and the Event target follow the entry', (kind) => {
  const { group, version, plural } = WORKLOADS[kind];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  expect(resourcePath(kind)).toBe(`${base}/${plural}`);
  expect(resourcePath(kind, { namespace: 'ns-1' })).toBe(`${base}/namespaces/ns-1/${plural}`);
  expect(resourcePath(kind, { namespace: 'ns-1', name: 'web' })).toBe(
    `${base}/namespaces/ns-1/${plural}/web`,
  );
  const lean = projectWorkload(kind)(workload(kind)) as LeanWorkload;
  expect(eventTarget(lean)).toMatchObject({ apiVersion: group ? `${group}/${version}` : version, kind });
});

test.each(WORKLOAD_KINDS)(
  '%s: the opt-in is read from, and a restart stamped on, one pod template',
  (kind) => {
    const w = projectWorkload(kind)(workload(kind));
    expect(isLean(w)).toBe(true);
    expect(w).toMatchObject({ kind, optIn: { Secret: { auto: true } } });
    expect(isLean(w) && w.consumers).toEqual([{ kind: 'Secret', name: 'db', keys: '*', optional: false }]);
    const restart = patchBody({ kind, resourceVersion: '3' }, { hash: 'h', objects: 'o', restartedAt: 't' });
    const stamp = {
      metadata: { annotations: { 'secretsync.io/restartedAt': 't', 'secretsync.io/reload-hash': 'h' } },
    };
    expect(restart).toMatchObject(CASES[kind].withTemplate(stamp));
    expect(podTemplateOf(kind, restart as KubernetesObject)).toEqual(stamp);
    expect(atPodTemplate(kind, stamp)).toEqual(CASES[kind].withTemplate(stamp));
  },
);

test.each(WORKLOAD_KINDS)('%s: paused and OnDelete', (kind) => {
  for (const c of CASES[kind].heldBack)
    expect(projectWorkload(kind)(workload(kind, c.spec))).toMatchObject({
      paused: c.paused,
      onDelete: c.onDelete,
    });
});

test.each([
  // kind, generation, status → pods behind
  ['StatefulSet', 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3 }, false],
  ['StatefulSet', 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 1 }, true],
  ['StatefulSet', 3, { observedGeneration: 2, replicas: 3, updatedReplicas: 3 }, true],
  ['StatefulSet', 1, { observedGeneration: 1, replicas: 0 }, false],
  ['DaemonSet', 2, { observedGeneration: 2, desiredNumberScheduled: 4, updatedNumberScheduled: 4 }, false],
  ['DaemonSet', 2, { observedGeneration: 2, desiredNumberScheduled: 4, updatedNumberScheduled: 2 }, true],
  ['DaemonSet', 2, undefined, true],
  ['Deployment', 2, { observedGeneration: 1 }, false],
] as const)('%s generation %s, status %j: pods behind %s', (kind, generation, status, behind) =>
  expect(WORKLOADS[kind].podsBehind({ metadata: { generation }, status } as KubernetesObject)).toBe(behind),
);

test('only an OnDelete workload keeps podsBehind (other workloads: false whatever their status)', () => {
  const status = { observedGeneration: 1, replicas: 3, updatedReplicas: 1 };
  const sts = (type: string) =>
    projectWorkload('StatefulSet')({
      ...workload('StatefulSet', { updateStrategy: { type } }),
      metadata: { ...workload('StatefulSet').metadata, generation: 1 },
      status,
    } as KubernetesObject);
  expect(sts('OnDelete')).toMatchObject({ onDelete: true, podsBehind: true });
  expect(sts('RollingUpdate')).toMatchObject({ onDelete: false, podsBehind: false });
});

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

test('deploy/ ClusterRole grants list, watch and patch on every kind in the table', () => {
  const dir = join(__dirname, '..', '..', '..', 'deploy');
  const rules = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON()))
    .filter((d): d is { kind: string; rules?: Rule[] } => d?.kind === 'ClusterRole')
    .flatMap((d) => d.rules ?? []);
  expect(rules.length).toBeGreaterThan(0);
  // What the controller does to each kind: its informer lists and watches, a rollout patches.
  // No get: decisions read the informer cache.
  const needed = (kind: WorkloadKind) =>
    WORKLOADS[kind].restart === 'recreate'
      ? ['get', 'list', 'watch', 'patch', 'delete', 'create']
      : ['list', 'watch', 'patch'];
  const grants = (group: string, plural: string, verb: string) =>
    rules.some(
      (r) =>
        r.apiGroups?.includes(group) &&
        r.resources?.includes(plural) &&
        r.resourceNames === undefined &&
        r.verbs?.includes(verb),
    );
  for (const kind of WORKLOAD_KINDS) {
    const { group, plural } = WORKLOADS[kind];
    expect(
      needed(kind)
        .filter((verb) => !grants(group, plural, verb))
        .map((v) => `${kind}: ${v}`),
    ).toEqual([]);
  }
  // rollout-strategy restart by eviction: the workload's pods are listed and evicted.
  if (WORKLOAD_KINDS.some((k) => (WORKLOADS[k] as { podRestart?: string }).podRestart === 'evict')) {
    expect(grants('', 'pods', 'list')).toBe(true);
    expect(grants('', 'pods/eviction', 'create')).toBe(true);
  }
});

test.each([
  ['Deployment', 'template', 'evict', false],
  ['StatefulSet', 'template', 'evict', false],
  ['DaemonSet', 'template', 'evict', false],
  ['CronJob', 'template', undefined, false],
  ['Job', 'recreate', undefined, false],
  ['Rollout', 'template', 'restartAt', true],
] as const)(
  '%s: restarts by %s; rollout-strategy restart by %s; optional API %s',
  (kind, restart, pod, optional) => {
    const k: WorkloadKindInfo = WORKLOADS[kind];
    expect([k.restart, k.podRestart, k.optional]).toEqual([restart, pod, optional]);
  },
);

test('a Job a CronJob controls is left to the CronJob; a Job of its own is not', () => {
  const job = workload('Job');
  const owned = {
    ...job,
    metadata: {
      ...job.metadata,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'c', uid: 'x', controller: true }],
    },
  } as KubernetesObject;
  expect(isLean(projectWorkload('Job')(job))).toBe(true);
  expect(isLean(projectWorkload('Job')(owned))).toBe(false);
  const others = WORKLOAD_KINDS.filter((k) => k !== 'Job');
  expect(others.some((k) => (WORKLOADS[k] as WorkloadKindInfo).controlled(owned))).toBe(false);
});
