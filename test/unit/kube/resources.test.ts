// One table of plurals, one path builder: the paths are the ones the controllers and the CLI
// built by hand before (core group under /api, the others under /apis/<group>/<version>).
import { objectPath } from '../../../src/kube/apply';
import { resourcePath } from '../../../src/kube/resources';

test('collections, across namespaces and in one', () => {
  expect(resourcePath('Secret')).toBe('/api/v1/secrets');
  expect(resourcePath('Secret', { namespace: 'ns' })).toBe('/api/v1/namespaces/ns/secrets');
  expect(resourcePath('ConfigMap', { namespace: 'ns' })).toBe('/api/v1/namespaces/ns/configmaps');
  expect(resourcePath('Deployment')).toBe('/apis/apps/v1/deployments');
  expect(resourcePath('DaemonSet', { namespace: 'ns' })).toBe('/apis/apps/v1/namespaces/ns/daemonsets');
  expect(resourcePath('ExternalSecret', { namespace: 'ns' })).toBe(
    '/apis/external-secrets.io/v1/namespaces/ns/externalsecrets',
  );
  expect(resourcePath('Lease', { namespace: 'kube-system' })).toBe(
    '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
  );
  expect(resourcePath('Event', { namespace: 'ns' })).toBe('/api/v1/namespaces/ns/events');
});

test('cluster-scoped kinds ignore a namespace', () => {
  expect(resourcePath('ClusterSecretStore', { namespace: 'ns', name: 'a', subresource: 'status' })).toBe(
    '/apis/external-secrets.io/v1/clustersecretstores/a/status',
  );
  expect(resourcePath('Namespace', { name: 'ns' })).toBe('/api/v1/namespaces/ns');
});

test('objects and subresources; names are escaped', () => {
  expect(resourcePath('SecretStore', { namespace: 'ns', name: 'a', subresource: 'status' })).toBe(
    '/apis/external-secrets.io/v1/namespaces/ns/secretstores/a/status',
  );
  expect(resourcePath('ServiceAccount', { namespace: 'ns', name: 'sa', subresource: 'token' })).toBe(
    '/api/v1/namespaces/ns/serviceaccounts/sa/token',
  );
  expect(resourcePath('Secret', { namespace: 'a/b', name: 'c d' })).toBe(
    '/api/v1/namespaces/a%2Fb/secrets/c%20d',
  );
});

test('apply uses the object’s own apiVersion and refuses kinds it does not install', () => {
  const es = { apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'x' } };
  expect(objectPath(es)).toBe('/apis/external-secrets.io/v1beta1/namespaces/default/externalsecrets/x');
  expect(
    objectPath({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', namespace: 'ignored' } }),
  ).toBe('/api/v1/namespaces/n');
  expect(() => objectPath({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' } })).toThrow(
    /cannot apply/,
  );
  expect(() => objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toThrow(
    /cannot apply/,
  );
});
