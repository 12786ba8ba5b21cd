// When a workload's rollout counts as in flight for --max-concurrent-rollouts: from its status,
// as `kubectl rollout status` reads it.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  WORKLOADS,
  type RolloutProgress,
  type WorkloadKindInfo,
} from '../../../src/controllers/rollout/kinds';

const progress = (kind: keyof typeof WORKLOADS, obj: object): RolloutProgress | undefined =>
  (WORKLOADS[kind] as WorkloadKindInfo).progress?.(obj as KubernetesObject);
const gen = (generation: number) => ({ name: 'w', generation });

describe('Deployment', () => {
  const d = (spec: object, status: object, generation = 2) => ({ metadata: gen(generation), spec, status });
  test.each<[string, object, object, RolloutProgress]>([
    ['not yet observed', { replicas: 0 }, { observedGeneration: 1 }, 'rolling'],
    ['replicas 0, observed', { replicas: 0 }, { observedGeneration: 2 }, 'settled'],
    [
      'new pods not available',
      { replicas: 2 },
      { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 1 },
      'rolling',
    ],
    [
      'old pods still there',
      { replicas: 2 },
      { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 },
      'rolling',
    ],
    [
      'not all updated',
      { replicas: 2 },
      { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 },
      'rolling',
    ],
    [
      'done',
      { replicas: 2 },
      { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      'settled',
    ],
    ['replicas defaults to 1', {}, { observedGeneration: 2 }, 'rolling'],
    [
      'past progressDeadlineSeconds',
      { replicas: 1 },
      {
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
      'stalled',
    ],
    ['paused: nothing rolls now', { replicas: 1, paused: true }, { observedGeneration: 1 }, 'settled'],
  ])('%s', (_name, spec, status, want) => expect(progress('Deployment', d(spec, status))).toBe(want));

  test('a stale ProgressDeadlineExceeded from before the latest spec is not a stall', () => {
    const conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
    expect(progress('Deployment', d({ replicas: 1 }, { observedGeneration: 1, conditions }))).toBe('rolling');
  });

  test('nor one last updated before secretsync restarted it (the controller-manager has not reset it yet)', () => {
    const stall = (lastUpdateTime: string) => ({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 1,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', lastUpdateTime },
      ],
    });
    const template = {
      metadata: { annotations: { 'secretsync.io/restartedAt': '2026-12-05T10:00:00.900Z' } },
    };
    const spec = { replicas: 1, template };
    expect(progress('Deployment', d(spec, stall('2026-12-05T09:59:59Z')))).toBe('rolling');
    // lastUpdateTime has whole seconds: the same second counts
    expect(progress('Deployment', d(spec, stall('2026-12-05T10:00:00Z')))).toBe('stalled');
    expect(progress('Deployment', d(spec, stall('2026-12-05T10:00:03Z')))).toBe('stalled');
  });
});

describe('StatefulSet', () => {
  const s = (spec: object, status: object) => ({ metadata: gen(3), spec, status });
  const rev = { currentRevision: 'r2', updateRevision: 'r2' };
  test.each<[string, object, object, RolloutProgress]>([
    ['not yet observed', { replicas: 0 }, { observedGeneration: 2 }, 'rolling'],
    ['replicas 0', { replicas: 0 }, { observedGeneration: 3, ...rev }, 'settled'],
    [
      'pods not all updated',
      { replicas: 3 },
      {
        observedGeneration: 3,
        updatedReplicas: 2,
        availableReplicas: 3,
        currentRevision: 'r1',
        updateRevision: 'r2',
      },
      'rolling',
    ],
    [
      'updated, not yet available',
      { replicas: 3 },
      { observedGeneration: 3, updatedReplicas: 3, availableReplicas: 2, ...rev },
      'rolling',
    ],
    [
      'done',
      { replicas: 3 },
      { observedGeneration: 3, updatedReplicas: 3, availableReplicas: 3, ...rev },
      'settled',
    ],
    [
      'partition: done once the pods above it are updated',
      { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      {
        observedGeneration: 3,
        updatedReplicas: 1,
        availableReplicas: 3,
        currentRevision: 'r1',
        updateRevision: 'r2',
      },
      'settled',
    ],
    ['OnDelete: nothing rolls by itself', { updateStrategy: { type: 'OnDelete' } }, {}, 'settled'],
  ])('%s', (_name, spec, status, want) => expect(progress('StatefulSet', s(spec, status))).toBe(want));
});

describe('DaemonSet', () => {
  const ds = (spec: object, status: object) => ({ metadata: gen(2), spec, status });
  test.each<[string, object, object, RolloutProgress]>([
    ['not yet observed', {}, { observedGeneration: 1 }, 'rolling'],
    ['no node', {}, { observedGeneration: 2, desiredNumberScheduled: 0 }, 'settled'],
    [
      'not all updated',
      {},
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 },
      'rolling',
    ],
    [
      'updated, not yet available',
      {},
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 },
      'rolling',
    ],
    [
      'done',
      {},
      { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
      'settled',
    ],
    ['OnDelete', { updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 1 }, 'settled'],
  ])('%s', (_name, spec, status, want) => expect(progress('DaemonSet', ds(spec, status))).toBe(want));
});
