// The per-cluster key for the digests the rollout side writes (digest-format.ts): 32 random bytes
// in a Secret in the controller's own namespace, so that only those who may read that Secret can
// check a guess at a value against a workload's annotations. Read at start; created when absent.
// Two replicas starting together both try to create it: the apiserver accepts one, the other gets
// 409 AlreadyExists and reads the winner's, so both use one key. The key is never logged: only the
// Secret's name and the key id.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { errorText } from '../../observability/log';
import { isApiError, kubeGetIfExists, kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';
import type { AppLogger } from '../../observability/logger';
import { digestKey, type DigestKey } from './digest-format';
import { sleep, systemClock, type Clock } from '../../runtime/clock';

export const DIGEST_KEY_BYTES = 32;
/** The data key of the key Secret. */
export const DIGEST_KEY_FIELD = 'key';

export interface DigestKeySecret {
  namespace: string;
  name: string;
}

/** The key in the Secret, or why it cannot be used (it is then left as it is, never replaced). */
export function keyFromSecret(s: V1Secret): DigestKey | { problem: string } {
  const b64 = s.data?.[DIGEST_KEY_FIELD];
  if (b64 === undefined) return { problem: `it has no data key "${DIGEST_KEY_FIELD}"` };
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < DIGEST_KEY_BYTES)
    return {
      problem: `its "${DIGEST_KEY_FIELD}" holds ${bytes.length} bytes; at least ${DIGEST_KEY_BYTES} are needed`,
    };
  return digestKey(bytes);
}

export function newKeySecret(ref: DigestKeySecret, bytes: Uint8Array): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'secretsync' },
      annotations: {
        'secretsync.io/purpose':
          'key of the digests secretsync writes on workloads; deleting it re-records them without a rollout',
      },
    },
    type: 'Opaque',
    data: { [DIGEST_KEY_FIELD]: Buffer.from(bytes).toString('base64') },
  };
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

/**
 * Reads the key, creating it when absent; on failure (RBAC, a malformed Secret, the apiserver
 * away) logs why — naming the Secret, never its content — and tries again with backoff until it
 * succeeds or `signal` aborts (then it rejects with the abort reason).
 */
export async function loadDigestKey(
  kc: KubeConfig,
  ref: DigestKeySecret,
  log: AppLogger,
  signal: AbortSignal,
  clock: Clock = systemClock,
): Promise<DigestKey> {
  const path = resourcePath('Secret', { namespace: ref.namespace });
  const where = { secret: `${ref.namespace}/${ref.name}` };
  for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    signal.throwIfAborted();
    try {
      const found = await readKey(
        kc,
        resourcePath('Secret', { namespace: ref.namespace, name: ref.name }),
        signal,
      );
      if (found === undefined) {
        const bytes = randomBytes(DIGEST_KEY_BYTES);
        try {
          await kubeRequest(kc, {
            method: 'POST',
            path,
            body: newKeySecret(ref, bytes),
            signal,
            timeoutMs: 30_000,
          });
          const key = digestKey(bytes);
          log.info({ ...where, keyId: key.id }, 'created the digest key Secret');
          return key;
        } catch (err) {
          if (!isApiError(err, 409)) throw err;
          log.debug(where, 'another replica created it first; reading theirs');
          continue;
        }
      }
      const key = keyFromSecret(found);
      if (!('problem' in key)) {
        log.info({ ...where, keyId: key.id }, 'read the digest key Secret');
        return key;
      }
      log.error(
        { ...where, problem: key.problem, retryInMs: delay },
        'the digest key Secret is unusable; no workload is rolled until it is fixed or deleted',
      );
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      log.error(
        { ...where, err: errorText(err), retryInMs: delay },
        'cannot read or create the digest key Secret; no workload is rolled until it can',
      );
    }
    await sleep(clock, delay, signal);
  }
}

async function readKey(kc: KubeConfig, path: string, signal: AbortSignal): Promise<V1Secret | undefined> {
  return kubeGetIfExists<V1Secret>(kc, { path, signal, timeoutMs: 30_000 });
}
