// THE content hash. The ExternalSecret controller writes contentHash() into the data-hash
// annotation of the Secrets it manages; the rollout controller keeps per-key digests (keyDigest)
// instead of values and combines the ones a workload consumes with digestsHash(). One documented
// encoding, so both sides and any human can reproduce a hash and no two inputs share an encoding.
//
// Encoding (version 1). Every length is an unsigned 32-bit big-endian byte count; strings are
// UTF-8; entries are sorted by the bytes of their key/name (Buffer.compare order, not JS UTF-16
// string order). The first byte separates the three kinds of input so they can never collide:
//
//   contentHash(data)        = SHA-256( 0x01 || entries )
//   contentHash(data, type)  = SHA-256( 0x02 || u32(len type) || type || entries )
//   digestsHash(pairs)       = SHA-256( 0x03 || entries )      (value = the digest's hex text)
//   entries                  = for each (key, value) in sorted order:
//                                u32(len key) || key || u32(len value) || value
//
// Because each field carries its length, {a: "bc"} and {ab: "c"} encode differently, and so do
// "no type" and the empty type. The result is lowercase hex. keyDigest(value) is plain
// SHA-256(value) in hex. Never hash the data-hash annotation itself (it is not in `data`).
//
// What the rollout side writes where people without Secret access read it (workloads, pod
// templates, Events, logs) is keyed, so that a guess at a value cannot be checked against it:
//
//   keyedDigest(key, digest) = HMAC-SHA-256( key, 0x04 || u32(len digest) || digest )
//   digestKeyId(key)         = first 8 hex digits of HMAC-SHA-256( key, 0x05 )
//
// where digest is the hex text of a digestsHash. The key id names the key a digest was made with
// (it tells nothing about values); contentHash stays unkeyed (ESO's data-hash, on the Secret).

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

const TAG_CONTENT = 0x01;
const TAG_CONTENT_WITH_TYPE = 0x02;
const TAG_DIGESTS = 0x03;
const TAG_KEYED = 0x04;
const TAG_KEY_ID = 0x05;

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new RangeError(`hash: length out of range: ${n}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function writeField(h: Hash | Hmac, bytes: Uint8Array): void {
  h.update(u32(bytes.byteLength));
  h.update(bytes);
}

function writeEntries(h: Hash, entries: Iterable<readonly [string, Uint8Array]>): void {
  const encoded: Array<[Buffer, Uint8Array]> = [];
  for (const [k, v] of entries) encoded.push([Buffer.from(k, 'utf8'), v]);
  encoded.sort((a, b) => Buffer.compare(a[0], b[0]));
  for (let i = 1; i < encoded.length; i++) {
    const prev = encoded[i - 1];
    const cur = encoded[i];
    if (prev !== undefined && cur !== undefined && prev[0].equals(cur[0])) {
      throw new Error(`hash: duplicate key ${JSON.stringify(cur[0].toString('utf8'))}`);
    }
  }
  for (const [k, v] of encoded) {
    writeField(h, k);
    writeField(h, v);
  }
}

/** SHA-256 hex over a Secret's data (and type, when given), in the encoding documented above. */
export function contentHash(data: Readonly<Record<string, Uint8Array>>, type?: string): string {
  const h = createHash('sha256');
  if (type === undefined) {
    h.update(Buffer.of(TAG_CONTENT));
  } else {
    h.update(Buffer.of(TAG_CONTENT_WITH_TYPE));
    writeField(h, Buffer.from(type, 'utf8'));
  }
  writeEntries(h, Object.entries(data));
  return h.digest('hex');
}

/** SHA-256 hex of one value: what the rollout side keeps per key instead of the value. */
export function keyDigest(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * Combines named digests (e.g. ["db-creds/password", keyDigest(...)]) into one hash with the same
 * length-prefixed, sorted framing. Order of the input does not matter; a repeated name is an error.
 */
export function digestsHash(entries: Iterable<readonly [string, string]>): string {
  const h = createHash('sha256');
  h.update(Buffer.of(TAG_DIGESTS));
  const asBytes: Array<[string, Uint8Array]> = [];
  for (const [name, digest] of entries) asBytes.push([name, Buffer.from(digest, 'utf8')]);
  writeEntries(h, asBytes);
  return h.digest('hex');
}

/** HMAC-SHA-256 hex under `key` of a digest's hex text, in the encoding documented above. */
export function keyedDigest(key: Uint8Array, digest: string): string {
  const h = createHmac('sha256', key);
  h.update(Buffer.of(TAG_KEYED));
  writeField(h, Buffer.from(digest, 'utf8'));
  return h.digest('hex');
}

/** 8 hex digits naming a key, so digests made with another key are recognised as such. */
export function digestKeyId(key: Uint8Array): string {
  return createHmac('sha256', key).update(Buffer.of(TAG_KEY_ID)).digest('hex').slice(0, 8);
}
