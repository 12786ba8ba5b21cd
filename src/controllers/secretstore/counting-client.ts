// Wraps a provider client to count calls by operation and result for the metrics.
import type { Metrics } from '../../observability/metrics';
import { decorate, type ClientOp } from '../../providers/core/decorate';
import { ProviderError } from '../../providers/core/errors';
import type { SecretsClient } from '../../providers/core/types';

/** The `op` label: a tagged read is a payload read like any other; closing is not a call. */
const LABEL: Record<ClientOp, string | undefined> = {
  getSecret: 'getSecret',
  getSecretWithTag: 'getSecret',
  getSecrets: 'getSecrets',
  findSecrets: 'findSecrets',
  currentVersion: 'currentVersion',
  sweepVersions: 'sweepVersions',
  validate: 'validate',
  close: undefined,
};

export function countingClient(inner: SecretsClient, provider: string, metrics: Metrics): SecretsClient {
  return decorate(inner, async (op, call) => {
    const label = LABEL[op];
    if (label === undefined) return call();
    try {
      const r = await call();
      metrics.providerCalls.inc({ provider, op: label, result: 'ok' });
      return r;
    } catch (err) {
      metrics.providerCalls.inc({
        provider,
        op: label,
        result: err instanceof ProviderError ? err.reason : 'error',
      });
      throw err;
    }
  });
}
