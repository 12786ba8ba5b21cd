// The namespace rules of store auth references (ESO's): a SecretStore stays in its namespace; a
// ClusterSecretStore reference without a namespace is the ExternalSecret's ("referent" auth).
import { IdentityConfigError } from '../../../../src/providers/credentials/errors';
import { resolveKeyRef, resolveRef, storeKey } from '../../../../src/providers/credentials/refs';

const FIELD = 'gcpsm.auth.workloadIdentity.serviceAccountRef';
const ss = { namespace: 'team-a', store: { kind: 'SecretStore' as const, name: 'gsm', namespace: 'team-a' } };
const css = { namespace: 'team-b', store: { kind: 'ClusterSecretStore' as const, name: 'shared' } };

test('a SecretStore reference resolves in the store namespace, named or not', () => {
  expect(resolveRef({ name: 'app' }, FIELD, ss)).toEqual({ name: 'app', namespace: 'team-a' });
  expect(resolveRef({ name: 'app', namespace: 'team-a' }, FIELD, ss)).toEqual({
    name: 'app',
    namespace: 'team-a',
  });
});

test('a SecretStore reference to another namespace is refused, naming the rule and the fix', () => {
  const err = (() => {
    try {
      resolveRef({ name: 'app', namespace: 'kube-system' }, FIELD, ss);
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected a refusal');
  })();
  expect(err).toBeInstanceOf(IdentityConfigError);
  expect((err as IdentityConfigError).reason).toBe('InvalidProviderConfig');
  expect(err.message).toBe(
    `${FIELD} names namespace "kube-system", but SecretStore team-a/gsm may only use ServiceAccounts and ` +
      `Secrets in its own namespace "team-a": remove ${FIELD}.namespace and create "app" in team-a, or use ` +
      'a ClusterSecretStore',
  );
});

test("a ClusterSecretStore reference without a namespace is the ExternalSecret's; with one, that one", () => {
  expect(resolveRef({ name: 'app' }, FIELD, css)).toEqual({ name: 'app', namespace: 'team-b' });
  expect(resolveRef({ name: 'app', namespace: 'infra' }, FIELD, css)).toEqual({
    name: 'app',
    namespace: 'infra',
  });
});

test('offline validation (no store known) resolves as a ClusterSecretStore would, fetching nothing', () => {
  expect(resolveRef({ name: 'app' }, FIELD, { namespace: 'default' })).toEqual({
    name: 'app',
    namespace: 'default',
  });
});

test('missing or malformed names are refused with the field', () => {
  expect(() => resolveRef(undefined, FIELD, ss)).toThrow(`${FIELD}.name is required`);
  expect(() => resolveRef({ name: '' }, FIELD, ss)).toThrow(`${FIELD}.name is required`);
  expect(() => resolveRef({ name: 'a', namespace: 3 }, FIELD, ss)).toThrow(
    `${FIELD}.namespace must be a namespace name`,
  );
  expect(() => resolveKeyRef({ name: 'keys' }, 'aws.auth.secretRef.accessKeyIDSecretRef', ss)).toThrow(
    'aws.auth.secretRef.accessKeyIDSecretRef.key is required',
  );
  expect(resolveKeyRef({ name: 'keys', key: 'id' }, 'x', css)).toEqual({
    name: 'keys',
    namespace: 'team-b',
    key: 'id',
  });
});

test('cache keys differ by store, generation and spec', () => {
  const spec = { projectID: 'p' };
  const a = storeKey({ store: { kind: 'SecretStore', name: 's', namespace: 'n', generation: 1 } }, spec);
  expect(storeKey({ store: { kind: 'SecretStore', name: 's', namespace: 'n', generation: 1 } }, spec)).toBe(
    a,
  );
  expect(
    storeKey({ store: { kind: 'SecretStore', name: 's', namespace: 'n', generation: 2 } }, spec),
  ).not.toBe(a);
  expect(
    storeKey({ store: { kind: 'SecretStore', name: 's', namespace: 'm', generation: 1 } }, spec),
  ).not.toBe(a);
  expect(
    storeKey(
      { store: { kind: 'SecretStore', name: 's', namespace: 'n', generation: 1 } },
      { projectID: 'q' },
    ),
  ).not.toBe(a);
});
