// What the ExternalSecret informer keeps of an object: everything but metadata.managedFields.
import { projectExternalSecret } from '../../../src/controllers/externalsecret/controller';

test('managedFields are dropped; every other field is kept as it was', () => {
  const es = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name: 'a',
      namespace: 'ns',
      generation: 2,
      annotations: { x: 'y' },
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
    spec: { secretStoreRef: { name: 's' }, data: [] },
    status: { refreshTime: '2026-01-01T00:00:00Z' },
  };
  const lean = projectExternalSecret(es);
  expect(lean).toEqual({
    ...es,
    metadata: { name: 'a', namespace: 'ns', generation: 2, annotations: { x: 'y' } },
  });
  expect(lean.metadata).not.toHaveProperty('managedFields');
  const without = { ...es, metadata: { name: 'b' } };
  expect(projectExternalSecret(without)).toBe(without);
});
