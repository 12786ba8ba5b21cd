// Wraps a provider client to count calls by operation and result for the metrics.
import type { Metrics } from '../../observability/metrics';
import { ProviderError } from '../../providers/errors';
import type { SecretsClient } from '../../providers/types';

export function countingClient(inner: SecretsClient, provider: string, metrics: Metrics): SecretsClient {
  const count = async <T>(op: string, call: () => Promise<T>): Promise<T> => {
    try {
      const r = await call();
      metrics.providerCalls.inc({ provider, op, result: 'ok' });
      return r;
    } catch (err) {
      metrics.providerCalls.inc({
        provider,
        op,
        result: err instanceof ProviderError ? err.reason : 'error',
      });
      throw err;
    }
  };
  return {
    getSecret: (ref) => count('getSecret', () => inner.getSecret(ref)),
    getSecretWithTag: inner.getSecretWithTag
      ? (ref) => count('getSecret', () => inner.getSecretWithTag!(ref))
      : undefined,
    getSecrets: inner.getSecrets ? (refs) => count('getSecrets', () => inner.getSecrets!(refs)) : undefined,
    findSecrets: (q) => count('findSecrets', () => inner.findSecrets(q)),
    currentVersion: inner.currentVersion
      ? (ref) => count('currentVersion', () => inner.currentVersion!(ref))
      : undefined,
    sweepVersions: inner.sweepVersions
      ? () => count('sweepVersions', () => inner.sweepVersions!())
      : undefined,
    validate: inner.validate ? () => count('validate', () => inner.validate!()) : undefined,
    close: () => inner.close(),
  };
}
