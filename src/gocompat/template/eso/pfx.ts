// Writes a PKCS#12 file (PFX) with node-forge's ASN.1 builder and its password-based encryption,
// laid out as node-forge's own toPkcs12Asn1 lays it out: one plain SafeContents with the
// certificate bags, one with the private key in a PKCS#8 shrouded key bag (PBES2, AES-256-CBC,
// HMAC-SHA-256), then an HMAC-SHA-1 MAC over both. Unlike toPkcs12Asn1 it takes the key as any
// PKCS#8 PrivateKeyInfo (EC and Ed25519 keys too, which node-forge cannot parse) and lets each
// certificate bag carry its own attributes (the Java trust-store mark). The random salts and IV
// are drawn from node-forge's generator, which the caller seeds.
import type forge from 'node-forge';

import { nodeForge } from './forge';

const asn1 = (): typeof forge.asn1 => nodeForge().asn1;
// ASN.1's universal class and tag numbers (X.680), the values of node-forge's asn1.Class/Type.
const U = 0;
const T = { INTEGER: 2, OCTETSTRING: 4, NULL: 5, OID: 6, SEQUENCE: 16, SET: 17, BMPSTRING: 30 } as const;

type Asn1 = forge.Asn1;

const seq = (...items: Asn1[]): Asn1 => asn1().create(U, T.SEQUENCE, true, items);
const set = (...items: Asn1[]): Asn1 => asn1().create(U, T.SET, true, items);
const oid = (id: string): Asn1 => asn1().create(U, T.OID, false, asn1().oidToDer(id).getBytes());
const octets = (bytes: string): Asn1 => asn1().create(U, T.OCTETSTRING, false, bytes);
const explicit0 = (inner: Asn1): Asn1 => asn1().create(asn1().Class.CONTEXT_SPECIFIC, 0, true, [inner]);
const derOf = (node: Asn1): string => asn1().toDer(node).getBytes();
const binary = (b: Uint8Array): string => Buffer.from(b).toString('binary');

const OID = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha1: '1.3.14.3.2.26',
  javaTrustStore: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
};

const ITERATIONS = 2048;
const SALT_SIZE = 8;

/** A PKCS#12 bag attribute: SEQUENCE { type, SET OF value }. */
const attribute = (type: string, value: Asn1): Asn1 => seq(oid(type), set(value));

export const localKeyId = (id: Buffer): Asn1 => attribute(OID.localKeyId, octets(binary(id)));
export const friendlyName = (name: string): Asn1 =>
  attribute(OID.friendlyName, asn1().create(U, T.BMPSTRING, false, name));
/** What go-pkcs12's EncodeTrustStore marks each certificate with: trusted for any purpose. */
export const javaTrusted = (): Asn1 => attribute(OID.javaTrustStore, oid(OID.anyExtendedKeyUsage));

export interface CertEntry {
  der: Buffer;
  attributes: Asn1[];
}

function bag(type: string, value: Asn1, attributes: Asn1[]): Asn1 {
  const parts = [oid(type), explicit0(value)];
  if (attributes.length > 0) parts.push(set(...attributes));
  return seq(...parts);
}

const certBag = (c: CertEntry): Asn1 =>
  bag(OID.certBag, seq(oid(OID.x509Certificate), explicit0(octets(binary(c.der)))), c.attributes);

/** ContentInfo of type data holding a SafeContents. */
const dataContent = (bags: Asn1[]): Asn1 => seq(oid(OID.data), explicit0(octets(derOf(seq(...bags)))));

/**
 * The PFX as DER. `key` is a PKCS#8 PrivateKeyInfo (DER) with the attributes of its bag, or null
 * for a trust store; a key is always shrouded, with the password even when it is empty.
 */
export function writePfx(
  certs: CertEntry[],
  key: { der: Buffer; attributes: Asn1[] } | null,
  password: string,
): Buffer {
  const contents: Asn1[] = [];
  if (certs.length > 0) contents.push(dataContent(certs.map(certBag)));
  if (key) {
    const info = asn1().fromDer(binary(key.der));
    const shrouded = nodeForge().pki.encryptPrivateKeyInfo(info, password, {
      algorithm: 'aes256',
      prfAlgorithm: 'sha256',
      count: ITERATIONS,
      saltSize: SALT_SIZE,
    });
    contents.push(dataContent([bag(OID.shroudedKeyBag, shrouded, key.attributes)]));
  }
  const authSafe = derOf(seq(...contents));

  const salt = nodeForge().util.createBuffer(nodeForge().random.getBytes(SALT_SIZE));
  const macKey = nodeForge().pkcs12.generateKey(password, salt, 3, ITERATIONS, 20);
  const hmac = nodeForge().hmac.create();
  hmac.start(nodeForge().md.sha1.create(), macKey);
  hmac.update(authSafe);
  const macData = seq(
    seq(seq(oid(OID.sha1), asn1().create(U, T.NULL, false, '')), octets(hmac.getMac().getBytes())),
    octets(salt.getBytes()),
    asn1().create(U, T.INTEGER, false, asn1().integerToDer(ITERATIONS).getBytes()),
  );
  const pfx = seq(
    asn1().create(U, T.INTEGER, false, asn1().integerToDer(3).getBytes()),
    seq(oid(OID.data), explicit0(octets(authSafe))),
    macData,
  );
  return Buffer.from(derOf(pfx), 'binary');
}
