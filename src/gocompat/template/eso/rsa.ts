// ESO's rsaDecrypt(scheme, hash, ciphertext, privateKeyPem): scheme "None" returns the input as
// is; "RSA-OAEP" decrypts with OAEP (no label) and hash SHA1, SHA256 or SHA512 (any other name,
// including "None", means SHA256), the key a PKCS#1, PKCS#8 or SEC1 PEM that must be RSA.
import { constants, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';

import { FuncError } from '../errors';
import { fromBytes, toBytes } from '../gostring';
import { decodePem } from './pem';

const HASHES: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

function rsaKey(pem: string): KeyObject {
  const block = decodePem(pem).blocks[0];
  if (!block) throw new FuncError('failed to decode PEM block');
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block.bytes, format: 'der', type });
    } catch {
      continue;
    }
    if (key.asymmetricKeyType !== 'rsa') throw new FuncError('could not parse RSA private key');
    return key;
  }
  throw new FuncError('could not parse private key');
}

export function rsaDecrypt(scheme: string, hash: string, input: string, privateKey: string): string {
  if (scheme === 'None') return input;
  if (scheme !== 'RSA-OAEP') throw new FuncError('decryption scheme is not supported (RSA-OAEP or None)');
  const key = rsaKey(privateKey);
  try {
    return fromBytes(
      privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: HASHES[hash] ?? 'sha256' },
        toBytes(input),
      ),
    );
  } catch {
    throw new FuncError('error decrypting data with RSA');
  }
}
