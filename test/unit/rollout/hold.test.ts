// holdRestart: a restart waits while a pod of the workload cannot pull its image, and only then;
// podView reads the kubelet's waiting reasons; labelSelectorQuery writes a label selector as a query.
import type { V1Pod } from '@kubernetes/client-node';
import { holdMessage, holdRestart, podView } from '../../../src/controllers/rollout/hold';
import { labelSelectorQuery } from '../../../src/kube/selector';

const pod = (name: string, ...waiting: string[]) => ({ name, waiting });

describe('holdRestart', () => {
  test.each([['ErrImagePull'], ['ImagePullBackOff'], ['InvalidImageName'], ['ErrImageNeverPull']])(
    'holds while a pod waits on its image (%s)',
    (reason) => {
      expect(holdRestart([pod('web-1'), pod('web-2', reason)])).toEqual({
        pods: ['web-2'],
        reasons: [reason],
      });
    },
  );

  test.each([
    // may be caused by the changed value: the restart with the new value is what fixes it
    ['CrashLoopBackOff'],
    // the Secret or key is missing: the kubelet starts the container once it exists
    ['CreateContainerConfigError'],
    ['ContainerCreating'],
    ['PodInitializing'],
    ['RunContainerError'],
  ])('restarts when pods fail for a reason a new value may fix or that passes by itself (%s)', (reason) => {
    expect(holdRestart([pod('web-1', reason), pod('web-2')])).toBeUndefined();
  });

  test('restarts healthy workloads and workloads with no pods', () => {
    expect(holdRestart([pod('web-1'), pod('web-2')])).toBeUndefined();
    expect(holdRestart([])).toBeUndefined();
  });

  test('a crash loop beside an image pull failure still holds (new pods could not start either)', () => {
    expect(holdRestart([pod('a', 'CrashLoopBackOff'), pod('b', 'ImagePullBackOff')])).toEqual({
      pods: ['b'],
      reasons: ['ImagePullBackOff'],
    });
  });

  test('names at most 5 pods, sorted, and each reason once', () => {
    const pods = ['g', 'f', 'e', 'd', 'c', 'b', 'a'].map((n, i) =>
      pod(n, i % 2 ? 'ErrImagePull' : 'ImagePullBackOff'),
    );
    expect(holdRestart(pods)).toEqual({
      pods: ['a', 'b', 'c', 'd', 'e'],
      reasons: ['ErrImagePull', 'ImagePullBackOff'],
    });
  });

  test('the message says why and what ends the hold', () => {
    expect(holdMessage('Deployment', { pods: ['web-1'], reasons: ['ImagePullBackOff'] })).toBe(
      'rollout held: pod web-1 cannot pull its image (ImagePullBackOff); a restart would make pods ' +
        'from the same image. The Deployment is restarted once no pod waits on its image',
    );
  });
});

test('podView: waiting reasons of init and app containers; running and terminated ones have none', () => {
  const p: V1Pod = {
    metadata: { name: 'web-1' },
    status: {
      initContainerStatuses: [
        {
          name: 'init',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ErrImagePull' } },
        },
      ],
      containerStatuses: [
        {
          name: 'app',
          image: 'a',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'PodInitializing' } },
        },
        { name: 'side', image: 's', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
      ],
    },
  };
  expect(podView(p)).toEqual({ name: 'web-1', waiting: ['ErrImagePull', 'PodInitializing'] });
  expect(podView({ metadata: { name: 'new' } })).toEqual({ name: 'new', waiting: [] });
});

test('labelSelectorQuery', () => {
  expect(labelSelectorQuery({ matchLabels: { app: 'web', tier: 'fe' } })).toBe('app=web,tier=fe');
  expect(
    labelSelectorQuery({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'NotIn', values: ['c'] },
        { key: 'y', operator: 'Exists' },
        { key: 'z', operator: 'DoesNotExist' },
      ],
    }),
  ).toBe('app=web,env in (a,b),x notin (c),y,!z');
  // nothing to list: no selector, an empty one, or an operator the query cannot express
  expect(labelSelectorQuery(undefined)).toBeUndefined();
  expect(labelSelectorQuery({})).toBeUndefined();
  expect(labelSelectorQuery({ matchExpressions: [{ key: 'a', operator: 'Gt' }] })).toBeUndefined();
});
