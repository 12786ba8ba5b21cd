// deploy/rbac.yaml grants the controller `get` on exactly its digest key Secret (the name the
// config defaults to) in its namespace, and `create` (which RBAC cannot narrow by name).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildConfig } from '../../../src/config';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

const docs = parseAllDocuments(
  readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'rbac.yaml'), 'utf8'),
).map((d) => d.toJSON() as Doc);

test('the digest key Role: get by name, create, bound to the controller in its namespace', () => {
  const { digestKeySecret } = buildConfig({}, {});
  const role = docs.find((d) => d.kind === 'Role' && d.metadata.name === 'secretsync-digest-key');
  expect(role?.metadata.namespace).toBe(digestKeySecret.namespace);
  expect(role?.rules).toEqual([
    { apiGroups: [''], resources: ['secrets'], resourceNames: [digestKeySecret.name], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  ]);
  const binding = docs.find((d) => d.kind === 'RoleBinding' && d.metadata.name === 'secretsync-digest-key');
  expect(binding?.roleRef).toMatchObject({ kind: 'Role', name: 'secretsync-digest-key' });
  expect(binding?.subjects).toEqual([
    { kind: 'ServiceAccount', name: 'secretsync', namespace: digestKeySecret.namespace },
  ]);
});
