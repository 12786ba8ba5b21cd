// The single patch: record-only vs restart bodies, the resourceVersion precondition, and what each
// failure leads to (conflict → decide again; forbidden → report, no loop).
import { classifyPatchError, patchBody, workloadPath } from '../../../src/controllers/rollout/patch';
import { KubeApiError } from '../../../src/kube/request';

test('record only: metadata annotations and the resourceVersion; no pod template change', () => {
  expect(patchBody({ kind: 'Deployment', resourceVersion: '42' }, { hash: 'h', objects: 'o' })).toEqual({
    metadata: {
      resourceVersion: '42',
      annotations: { 'secretsync.io/last-reload-hash': 'h', 'secretsync.io/last-reload-objects': 'o' },
    },
  });
});

test('restart: the same request also stamps the pod template', () => {
  expect(
    patchBody({ kind: 'Deployment', resourceVersion: '42' }, { hash: 'h', objects: 'o', restartedAt: 't' }),
  ).toMatchObject({
    metadata: { resourceVersion: '42' },
    spec: {
      template: {
        metadata: { annotations: { 'secretsync.io/restartedAt': 't', 'secretsync.io/reload-hash': 'h' } },
      },
    },
  });
});

test('paths per kind', () => {
  expect(workloadPath({ kind: 'StatefulSet', namespace: 'a', name: 'b' })).toBe(
    '/apis/apps/v1/namespaces/a/statefulsets/b',
  );
});

test('failures', () => {
  const e = (code: number) => new KubeApiError(code, undefined, 'x');
  expect(classifyPatchError(e(409))).toBe('conflict');
  expect(classifyPatchError(e(404))).toBe('gone');
  expect(classifyPatchError(e(403))).toBe('forbidden');
  expect(classifyPatchError(e(422))).toBe('invalid');
  expect(classifyPatchError(e(500))).toBe('transient');
  expect(classifyPatchError(new Error('ECONNRESET'))).toBe('transient');
});
