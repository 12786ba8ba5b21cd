// ESO's jwkPublicKeyPem / jwkPrivateKeyPem: a JSON Web Key as PKIX public or PKCS#8 private PEM.
// Node's crypto reads JWKs (RSA, EC P-256/384/521, OKP Ed25519/X25519) as jwx does.
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

import { FuncError } from '../errors';

function parse(text: string): JsonWebKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new FuncError('failed to parse JWK: invalid JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw new FuncError('failed to parse JWK: not a JSON object');
  return jwk as JsonWebKey;
}

function load(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch {
    throw new FuncError(`failed to parse JWK as a ${what} key`);
  }
}

export function jwkPublicKeyPem(text: string): string {
  const jwk = parse(text);
  // ESO marshals the key jwx returns, and Go refuses a private key there.
  if ('d' in jwk) throw new FuncError('x509: unsupported public key type (a private JWK was given)');
  return load(() => createPublicKey({ key: jwk, format: 'jwk' }), 'public')
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

export function jwkPrivateKeyPem(text: string): string {
  const jwk = parse(text);
  return load(() => createPrivateKey({ key: jwk, format: 'jwk' }), 'private')
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}
