// The elector's construction rules (timings, identity); its behaviour against a real apiserver is
// in test/integration/kube/leader.test.ts.
import { LeaderElector, leaderIdentity } from '../../../src/runtime/leader';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

const base = {
  kc: newKubeConfig(),
  namespace: 'ns',
  name: 'lease',
  onStartedLeading: () => undefined,
  onStoppedLeading: () => undefined,
};

test('the identity is the pod name plus a random suffix', () => {
  const a = leaderIdentity('secretsync-7d9f-abcde');
  expect(a).toMatch(/^secretsync-7d9f-abcde_[0-9a-f]{8}$/);
  expect(leaderIdentity('secretsync-7d9f-abcde')).not.toBe(a);
  expect(new LeaderElector(base).identity).toMatch(/_[0-9a-f]{8}$/);
});

test('timings must satisfy leaseDuration > renewDeadline > retryPeriod > 0', () => {
  expect(() => new LeaderElector({ ...base, durations: { renewDeadlineMs: 15_000 } })).toThrow(
    /leaseDuration > renewDeadline/,
  );
  expect(() => new LeaderElector({ ...base, durations: { retryPeriodMs: 10_000 } })).toThrow(
    /renewDeadline > retryPeriod/,
  );
  expect(() => new LeaderElector({ ...base, durations: { retryPeriodMs: 0 } })).toThrow();
  expect(new LeaderElector(base).isLeader()).toBe(false);
});
