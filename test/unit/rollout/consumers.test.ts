// Pod spec → the Secrets and ConfigMaps (and keys) it reads.
import type { V1PodSpec } from '@kubernetes/client-node';
import { podConsumers } from '../../../src/controllers/rollout/consumers';

test('env, envFrom, volumes with and without items, projected sources; init containers count', () => {
  const spec: V1PodSpec = {
    initContainers: [
      { name: 'init', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'init-s', key: 'token' } } }] },
    ],
    containers: [
      {
        name: 'app',
        env: [
          { name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'U', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
          { name: 'L', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'level' } } },
          { name: 'X', value: 'plain' },
          { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        envFrom: [{ configMapRef: { name: 'all-cfg' } }, { secretRef: { name: 'all-sec', optional: true } }],
      },
    ],
    volumes: [
      { name: 'v1', secret: { secretName: 'tls', items: [{ key: 'tls.crt', path: 'c' }] } },
      { name: 'v2', configMap: { name: 'files' } },
      {
        name: 'v3',
        projected: {
          sources: [
            { secret: { name: 'proj-s', items: [{ key: 'a', path: 'a' }], optional: true } },
            { configMap: { name: 'proj-c' } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
      { name: 'v4', emptyDir: {} },
    ],
  };
  expect(podConsumers(spec)).toEqual([
    { kind: 'ConfigMap', name: 'all-cfg', keys: '*', optional: false },
    { kind: 'ConfigMap', name: 'cfg', keys: ['level'], optional: false },
    { kind: 'ConfigMap', name: 'files', keys: '*', optional: false },
    { kind: 'ConfigMap', name: 'proj-c', keys: '*', optional: false },
    { kind: 'Secret', name: 'all-sec', keys: '*', optional: true },
    { kind: 'Secret', name: 'db', keys: ['password', 'user'], optional: false },
    { kind: 'Secret', name: 'init-s', keys: ['token'], optional: false },
    { kind: 'Secret', name: 'proj-s', keys: ['a'], optional: true },
    { kind: 'Secret', name: 'tls', keys: ['tls.crt'], optional: false },
  ]);
});

test('references to one object merge: all keys win, optional only if every reference is', () => {
  const spec: V1PodSpec = {
    containers: [
      {
        name: 'a',
        env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }],
        envFrom: [{ secretRef: { name: 's' } }],
      },
      {
        name: 'b',
        env: [{ name: 'O', valueFrom: { secretKeyRef: { name: 'o', key: 'x', optional: true } } }],
      },
    ],
    volumes: [{ name: 'o', secret: { secretName: 'o', optional: true, items: [{ key: 'y', path: 'y' }] } }],
  };
  expect(podConsumers(spec)).toEqual([
    { kind: 'Secret', name: 'o', keys: ['x', 'y'], optional: true },
    { kind: 'Secret', name: 's', keys: '*', optional: false },
  ]);
});

test('ephemeral containers and a Secret and ConfigMap of the same name', () => {
  const spec: V1PodSpec = {
    containers: [{ name: 'a', envFrom: [{ secretRef: { name: 'x' } }, { configMapRef: { name: 'x' } }] }],
    ephemeralContainers: [{ name: 'dbg', envFrom: [{ secretRef: { name: 'debug' } }] }],
  };
  expect(podConsumers(spec).map((c) => `${c.kind}/${c.name}`)).toEqual(['ConfigMap/x', 'Secret/x']);
  expect(podConsumers(undefined)).toEqual([]);
});
