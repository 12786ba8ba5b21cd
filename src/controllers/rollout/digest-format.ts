// How the digests the rollout side writes are tagged. Since this version they are keyed
// (util/hash keyedDigest) and written as `hmac-sha256:<key id>:<hex>`; the previous version wrote
// plain SHA-256 hex, which anyone who may read a Deployment could test guesses against. The tag
// lets decide() tell the two apart (and digests made with another key) and move a workload to
// the keyed form without rolling it. Pure.
import { digestKeyId, keyedDigest } from '../../api/hash';

export const KEYED_SCHEME = 'hmac-sha256';

/** The per-cluster digest key and its id (never logged: only the id may be shown). */
export interface DigestKey {
  readonly bytes: Uint8Array;
  readonly id: string;
}

export function digestKey(bytes: Uint8Array): DigestKey {
  return { bytes, id: digestKeyId(bytes) };
}

/** `hmac-sha256:<key id>:` — what every keyed value written on a workload starts with. */
export const keyedPrefix = (key: DigestKey) => `${KEYED_SCHEME}:${key.id}:`;

/** A workload hash as written: the keyed digest of the plain digestsHash, tagged. */
export function sealHash(key: DigestKey, plain: string): string {
  return keyedPrefix(key) + keyedDigest(key.bytes, plain);
}

export type HashFormat =
  /** Written by this version: keyed with the key `keyId`. */
  | { kind: 'keyed'; keyId: string }
  /** Written by the previous version: plain SHA-256 hex. */
  | { kind: 'plain' }
  | { kind: 'unknown' };

const KEYED = new RegExp(`^${KEYED_SCHEME}:([0-9a-f]{8}):([0-9a-f]{64})$`);

export function hashFormat(value: string): HashFormat {
  const m = KEYED.exec(value);
  if (m) return { kind: 'keyed', keyId: m[1] as string };
  if (/^[0-9a-f]{64}$/.test(value)) return { kind: 'plain' };
  return { kind: 'unknown' };
}

/** 12 hex digits of a written hash, for Events and logs (of the keyed digest, never a plain one). */
export function shortHash(written: string): string {
  return written.slice(written.lastIndexOf(':') + 1).slice(0, 12);
}
