// Optional Secrets Manager permissions. A least-privilege policy often grants GetSecretValue (and
// DescribeSecret) only: the store still works, with less. These decide which refusals only take a
// feature away, and the one-line notes that say so in the store's Ready condition. Pure.
import { detail, errorCode, isAccessDenied, isUnknownOperation } from './errors';

/** What the client knows of BatchGetSecretValue: asked yet or not, and the answer. */
export type BatchState = 'unknown' | 'granted' | 'denied' | 'unimplemented';

/**
 * A SecretId no one uses, for the BatchGetSecretValue permission probe: the action is authorized
 * on resource "*" before any id is looked at, so the answer says whether it is granted; the id
 * itself comes back in Errors (not found, or GetSecretValue denied on it) and is not read.
 */
export const BATCH_PROBE_ID = 'secretsync.io/permission-probe';

export const LIST_DENIED_NOTE =
  'credentials accepted, but secretsmanager:ListSecrets is not granted, so dataFrom.find and the ' +
  'one-call version sweep are unavailable (changes are checked with DescribeSecret per secret)';

/**
 * Whether AWS itself refused the action (AccessDeniedException). AWS authenticates a request before
 * it authorizes it, so this also proves the credentials; a 403 the SDK could not read (a proxy's
 * page) proves nothing, and a KMS refusal is about a key, not the action.
 */
export function deniedByAws(err: unknown): boolean {
  const code = errorCode(err);
  return (code === 'AccessDeniedException' || code === 'AccessDenied') && !/\bKMS\b/i.test(detail(err));
}

/** What a failed BatchGetSecretValue says about the action; `unknown` for an outage (ask again). */
export function batchStateAfter(err: unknown): BatchState {
  if (isAccessDenied(err)) return 'denied';
  if (isUnknownOperation(err)) return 'unimplemented';
  return 'unknown';
}

/** The Ready-condition note for a BatchGetSecretValue the client does without, if any. */
export function batchNote(state: BatchState): string | undefined {
  switch (state) {
    case 'denied':
      return 'secretsmanager:BatchGetSecretValue is not granted, so values are read with one GetSecretValue per secret';
    case 'unimplemented':
      return 'the endpoint does not implement BatchGetSecretValue, so values are read with one GetSecretValue per secret';
    default:
      return undefined;
  }
}
