// countingClient: one count per provider call by op and result; a tagged read counts as a payload
// read (getSecret), a sweep as sweepVersions, closing not at all; failures by their reason.
import { countingClient } from '../../../src/controllers/secretstore/counting-client';
import { Metrics } from '../../../src/observability/metrics';
import { NoSecretError } from '../../../src/providers/core/errors';
import type { SecretsClient } from '../../../src/providers/core/types';

test('calls are counted by op and result; close is not a call', async () => {
  const metrics = new Metrics(false);
  const inner: SecretsClient = {
    getSecret: () => Promise.reject(new NoSecretError('no such secret')),
    findSecrets: async () => new Map(),
    getSecretWithTag: async () => ({ value: new Uint8Array([1]), tag: '1' }),
    sweepVersions: async () => ({ calls: 1, tagOf: () => undefined }),
    close: async () => undefined,
  };
  const c = countingClient(inner, 'aws', metrics);
  await c.getSecretWithTag!({ key: 'a' });
  await c.sweepVersions!();
  await expect(c.getSecret({ key: 'a' })).rejects.toThrow('no such secret');
  await c.close();
  expect(c.currentVersion).toBeUndefined();
  const counted = (await metrics.providerCalls.get()).values.map((v) => [
    v.labels.op,
    v.labels.result,
    v.value,
  ]);
  expect(counted.sort()).toEqual([
    ['getSecret', 'RemoteKeyNotFound', 1],
    ['getSecret', 'ok', 1],
    ['sweepVersions', 'ok', 1],
  ]);
});
