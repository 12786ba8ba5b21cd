// ESO's PKCS#12 helpers. Reading: node-forge decodes the container, modern (PBES2, AES, SHA-256
// MAC) and legacy (RC2/3DES, SHA-1 MAC) as go-pkcs12 does; Node's crypto re-encodes the key as
// PKCS#8 PEM and ESO orders the certificates leaf first. Writing: node-forge builds the container
// (PBES2/AES-256 keys, SHA-1 MAC); its salts and IVs come from a hash of the inputs, so the same
// inputs give the same bytes and a refresh never rewrites the Secret (ESO's are random).
// Any key Node's crypto reads (RSA, EC, Ed25519) goes in as PKCS#8; see pfx.ts.
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type forge from 'node-forge';

import { FuncError } from '../errors';
import { toBytes } from '../gostring';
import { nodeForge } from './forge';
import { localKeyId, friendlyName, javaTrusted, writePfx } from './pfx';
import {
  certificatesFromPem,
  certPem,
  goSubjectString,
  orderChain,
  parseCertificate,
  type Cert,
} from './x509';
import { decodePem } from './pem';

const binary = (b: Uint8Array): string => Buffer.from(b).toString('binary');

function open(input: string, password: string, what: string): forge.Pkcs12 {
  let asn: forge.Asn1;
  try {
    asn = nodeForge().asn1.fromDer(binary(toBytes(input)));
  } catch {
    throw new FuncError(`${what}: not a PKCS#12 file`);
  }
  try {
    return nodeForge().pkcs12.pkcs12FromAsn1(asn, true, password);
  } catch {
    // go-pkcs12 also accepts an empty password encoded as no bytes at all.
    if (password === '') {
      try {
        return nodeForge().pkcs12.pkcs12FromAsn1(asn, true);
      } catch {
        // fall through
      }
    }
    throw new FuncError(`${what}: decryption password incorrect or data invalid`);
  }
}

const bagsOf = (p12: forge.Pkcs12, oid: string): forge.Bag[] => p12.getBags({ bagType: oid })[oid] ?? [];

function keyDer(bag: forge.Bag): Buffer {
  const asn = bag.key
    ? nodeForge().pki.wrapRsaPrivateKey(nodeForge().pki.privateKeyToAsn1(bag.key))
    : bag.asn1;
  if (!asn) throw new FuncError('unable to parse private key type');
  return Buffer.from(nodeForge().asn1.toDer(asn).getBytes(), 'binary');
}

function certDer(bag: forge.Bag): Buffer {
  // forge keeps an RSA certificate's original TBSCertificate and signature, so this is its DER.
  const asn = bag.cert ? nodeForge().pki.certificateToAsn1(bag.cert) : bag.asn1;
  if (!asn) throw new FuncError('unable to parse certificate');
  return Buffer.from(nodeForge().asn1.toDer(asn).getBytes(), 'binary');
}

export function pkcs12Key(password: string, input: string): string {
  const what = 'unable to decode pkcs12 with password';
  const p12 = open(input, password, what);
  const keys = [
    ...bagsOf(p12, nodeForge().pki.oids.pkcs8ShroudedKeyBag!),
    ...bagsOf(p12, nodeForge().pki.oids.keyBag!),
  ];
  if (keys.length !== 1) throw new FuncError(`${what}: expected exactly one key bag`);
  if (bagsOf(p12, nodeForge().pki.oids.certBag!).length === 0)
    throw new FuncError(`${what}: certificate missing`);
  try {
    return createPrivateKey({ key: keyDer(keys[0] as forge.Bag), format: 'der', type: 'pkcs8' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch {
    throw new FuncError(`${what}: unable to parse private key`);
  }
}

export function pkcs12Cert(password: string, input: string): string {
  const what = 'unable to decode pkcs12 certificate with password';
  const p12 = open(input, password, what);
  const certs = bagsOf(p12, nodeForge().pki.oids.certBag!).map((b) => parseCertificate(certDer(b)));
  if (certs.length === 0) throw new FuncError(`${what}: certificate missing`);
  try {
    return orderChain(certs).map(certPem).join('');
  } catch {
    return certs.map(certPem).join(''); // as ESO: unordered when no single chain
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

function firstCert(pem: string): Cert {
  const block = decodePem(pem).blocks[0];
  if (!block) throw new FuncError('failed to decode PEM block');
  return parseCertificate(block.bytes);
}

function privateKey(pem: string): KeyObject {
  const block = decodePem(pem).blocks[0];
  if (!block) throw new FuncError('failed to decode PEM block');
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: block.bytes, format: 'der', type });
    } catch {
      // try the next encoding, as ESO's parsePrivateKey does
    }
  }
  throw new FuncError('unable to parse private key type');
}

/** Runs `build` with node-forge's random bytes drawn from a stream seeded by `seed`. */
function seeded<T>(seed: Buffer, build: () => T): T {
  let counter = 0;
  const bytes = (n: number): string => {
    let out = Buffer.alloc(0);
    while (out.length < n) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      out = Buffer.concat([out, block]);
    }
    return binary(out.subarray(0, n));
  };
  const random = nodeForge().random;
  const saved = { getBytes: random.getBytes, getBytesSync: random.getBytesSync };
  random.getBytes = bytes;
  random.getBytesSync = bytes;
  try {
    return build();
  } finally {
    Object.assign(random, saved);
  }
}

/** The seed of a PFX's salts and IV: a hash of everything that goes into it. */
function seedOf(password: string, certs: Cert[], keyBytes: Buffer | null): Buffer {
  const seed = createHash('sha256').update('secretsync pkcs12 v1\0').update(password).update('\0');
  for (const c of certs) seed.update(c.raw);
  if (keyBytes) seed.update(keyBytes);
  return seed.digest();
}

function encode(key: KeyObject, certs: Cert[], password: string): string {
  // An RSA key seeds as PKCS#1, as before EC keys were accepted, so RSA bundles keep their bytes.
  const rsa = key.asymmetricKeyType === 'rsa';
  const seedKey = key.export({ type: rsa ? 'pkcs1' : 'pkcs8', format: 'der' });
  const first = certs[0] as Cert;
  const id = [localKeyId(createHash('sha1').update(first.raw).digest())];
  const der = seeded(seedOf(password, certs, seedKey), () =>
    writePfx(
      certs.map((c, i) => ({ der: c.raw, attributes: i === 0 ? id : [] })),
      { der: key.export({ type: 'pkcs8', format: 'der' }), attributes: id },
      password,
    ),
  );
  return der.toString('base64');
}

export function pemToPkcs12(cert: string, key: string, password: string): string {
  return encode(privateKey(key), [firstCert(cert)], password);
}

export function fullPemToPkcs12(cert: string, key: string, password: string): string {
  return encode(privateKey(key), certificatesFromPem(cert), password);
}

/** ESO's pemTruststoreToPKCS12(Pass): every certificate of the PEM, each marked trusted for Java. */
export function pemTruststoreToPkcs12(pem: string, password: string): string {
  const certs = certificatesFromPem(pem);
  const der = seeded(seedOf(`truststore\0${password}`, certs, null), () =>
    writePfx(
      certs.map((c) => ({ der: c.raw, attributes: [javaTrusted(), friendlyName(goSubjectString(c.raw))] })),
      null,
      password,
    ),
  );
  return der.toString('base64');
}
