// client-go's Lease record rules: who holds a lease, what a takeover and a renewal write, what a
// release writes.
import {
  acquiredSpec,
  explainLeaseFailure,
  leaseExpiry,
  microTime,
  releasedSpec,
  validHolder,
} from '../../../src/kube/lease';

const T0 = Date.parse('2025-01-01T00:00:00Z');

test('microTime writes six fractional digits and round-trips through Date.parse', () => {
  expect(microTime(T0 + 123)).toBe('2025-01-01T00:00:00.123000Z');
  expect(Date.parse(microTime(T0 + 123))).toBe(T0 + 123);
});

test('a lease is held until renewTime + leaseDurationSeconds, then free', () => {
  const spec = { holderIdentity: 'a', renewTime: microTime(T0), leaseDurationSeconds: 15 };
  expect(leaseExpiry(spec)).toBe(T0 + 15_000);
  expect(validHolder(spec, T0 + 14_999)).toBe('a');
  expect(validHolder(spec, T0 + 15_000)).toBeUndefined();
});

test('no holder (released), no renewTime or no duration means free', () => {
  expect(
    validHolder({ holderIdentity: '', renewTime: microTime(T0), leaseDurationSeconds: 15 }, T0),
  ).toBeUndefined();
  expect(validHolder({ holderIdentity: 'a', leaseDurationSeconds: 15 }, T0)).toBeUndefined();
  expect(validHolder({ holderIdentity: 'a', renewTime: microTime(T0) }, T0)).toBeUndefined();
  expect(validHolder(undefined, T0)).toBeUndefined();
});

test('the apiserver-written micro-time with real microseconds is understood', () => {
  expect(
    validHolder(
      { holderIdentity: 'a', renewTime: '2025-01-01T00:00:00.123456Z', leaseDurationSeconds: 1 },
      T0 + 1000,
    ),
  ).toBe('a');
});

test('a new lease starts at 0 transitions; a takeover increments them and resets acquireTime', () => {
  const created = acquiredSpec(undefined, 'a', T0, 15);
  expect(created).toEqual({
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: microTime(T0),
    renewTime: microTime(T0),
    leaseTransitions: 0,
  });
  const takeover = acquiredSpec(created, 'b', T0 + 20_000, 15);
  expect(takeover).toMatchObject({
    holderIdentity: 'b',
    acquireTime: microTime(T0 + 20_000),
    leaseTransitions: 1,
  });
});

test('a renewal moves only renewTime', () => {
  const held = acquiredSpec({ holderIdentity: 'x', leaseTransitions: 4 }, 'a', T0, 15);
  const renewed = acquiredSpec(held, 'a', T0 + 2000, 15);
  expect(renewed).toEqual({ ...held, renewTime: microTime(T0 + 2000) });
  expect(renewed.leaseTransitions).toBe(5);
});

test('release clears the holder, keeps the transition count and unknown fields, 1 s duration', () => {
  const held = { ...acquiredSpec(undefined, 'a', T0, 15), leaseTransitions: 3, strategy: 'x' };
  const released = releasedSpec(held, T0 + 5000);
  expect(released).toMatchObject({
    holderIdentity: '',
    leaseDurationSeconds: 1,
    leaseTransitions: 3,
    strategy: 'x',
  });
  expect(validHolder(released, T0 + 5000)).toBeUndefined();
  // Taking a released lease counts as a transition, as in client-go.
  expect(acquiredSpec(released, 'b', T0 + 6000, 15).leaseTransitions).toBe(4);
});

describe('explainLeaseFailure', () => {
  const base = { namespace: 'secretsync-system', name: 'secretsync-leader' };

  test('a 404 on create names the missing namespace, the apiserver’s error and the flag', () => {
    const line = explainLeaseFailure({
      ...base,
      op: 'create',
      code: 404,
      error: 'namespaces "secretsync-system" not found',
    });
    expect(line).toBe(
      'leader election: namespace secretsync-system does not exist (apiserver: namespaces "secretsync-system" not found); ' +
        'create it or pass --leader-election-namespace naming the namespace the Lease should live in',
    );
    expect(line).not.toContain('\n');
  });

  test('a 403 names the verb, the namespace, RBAC and the flag', () => {
    const line = explainLeaseFailure({ ...base, op: 'read', code: 403, error: 'forbidden' });
    expect(line).toContain('may not get Leases in namespace secretsync-system');
    expect(line).toContain('deploy/rbac.yaml');
    expect(line).toContain('--leader-election-namespace');
  });

  test('other failures name the operation, the Lease and the error', () => {
    expect(explainLeaseFailure({ ...base, op: 'update', code: 500, error: 'etcd timeout' })).toBe(
      'leader election: update of Lease secretsync-system/secretsync-leader failed (apiserver: etcd timeout); retrying',
    );
    expect(explainLeaseFailure({ ...base, op: 'read', error: 'ECONNREFUSED' })).toContain('(ECONNREFUSED)');
  });
});
