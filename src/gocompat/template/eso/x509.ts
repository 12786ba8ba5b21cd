// Certificates as ESO's template helpers see them: Node's X509Certificate parses them (and refuses
// what is not one); the two key identifiers and the SANs, which Node does not expose, are read from
// the extensions with node-forge's DER parser. Chain ordering follows ESO: a certificate's parent is
// the first other one whose subject key id equals its authority key id; a single leaf must remain.
import { X509Certificate } from 'node:crypto';
import type forge from 'node-forge';

import { FuncError } from '../errors';
import { nodeForge } from './forge';
import { decodePem, encodePem, trimJunk } from './pem';

export interface Cert {
  raw: Buffer;
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  /** [GeneralName tag, value bytes] in certificate order */
  altNames: [number, Buffer][];
}

const OID_SKI = '2.5.29.14';
const OID_AKI = '2.5.29.35';
const OID_SAN = '2.5.29.17';

type Node = forge.Asn1;
const children = (n: Node | undefined): Node[] => (n && Array.isArray(n.value) ? n.value : []);
const bytesOf = (n: Node | undefined): Buffer =>
  Buffer.from(n && typeof n.value === 'string' ? n.value : '', 'binary');
const der = (b: Buffer): Node => nodeForge().asn1.fromDer(b.toString('binary'), { parseAllBytes: false });

export function parseCertificate(raw: Buffer): Cert {
  try {
    new X509Certificate(raw);
    return readExtensions(raw);
  } catch {
    throw new FuncError('failed to parse certificate');
  }
}

function readExtensions(raw: Buffer): Cert {
  const tbs = children(der(raw))[0];
  // extensions: [3] EXPLICIT SEQUENCE OF Extension { extnID, critical?, extnValue OCTET STRING }
  const exts = children(
    children(tbs).find((n) => n.tagClass === nodeForge().asn1.Class.CONTEXT_SPECIFIC && n.type === 3),
  )[0];
  const cert: Cert = { raw, subjectKeyId: undefined, authorityKeyId: undefined, altNames: [] };
  for (const ext of children(exts)) {
    const parts = children(ext);
    const oid = nodeForge().asn1.derToOid(parts[0]?.value as string);
    const value = bytesOf(parts[parts.length - 1]);
    if (oid === OID_SKI) cert.subjectKeyId = bytesOf(der(value));
    if (oid === OID_AKI) {
      const keyId = children(der(value)).find(
        (n) => n.tagClass === nodeForge().asn1.Class.CONTEXT_SPECIFIC && n.type === 0,
      );
      if (keyId) cert.authorityKeyId = bytesOf(keyId);
    }
    if (oid === OID_SAN) cert.altNames = children(der(value)).map((n) => [n.type, bytesOf(n)]);
  }
  return cert;
}

/** Every block of the PEM text, as certificates (any other block type fails, as in ESO). */
export function certificatesFromPem(input: string): Cert[] {
  return decodePem(input).blocks.map((b) => parseCertificate(b.bytes));
}

const sameId = (a: Buffer | undefined, b: Buffer | undefined): boolean =>
  (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));

/** leaf → intermediates → root, or an error naming why no single chain can be built. */
export function orderChain(certs: Cert[]): Cert[] {
  const parent = new Map<number, number>();
  const isParent = new Set<number>();
  certs.forEach((c, i) => {
    const j = certs.findIndex((p, k) => k !== i && sameId(c.authorityKeyId, p.subjectKeyId));
    if (j >= 0) {
      parent.set(i, j);
      isParent.add(j);
    }
  });
  const leaves = certs.map((_, i) => i).filter((i) => !isParent.has(i));
  if (leaves.length > 1) throw new FuncError('found multiple leaf or disjunct certificates');
  if (leaves.length === 0) throw new FuncError('no leaf certificate found');
  const out: Cert[] = [];
  for (let i: number | undefined = leaves[0]; i !== undefined; i = parent.get(i)) {
    if (out.length >= certs.length) throw new FuncError('constructing chain resulted in cycle');
    out.push(certs[i] as Cert);
  }
  return out;
}

export const certPem = (c: Cert): string => encodePem({ type: 'CERTIFICATE', bytes: c.raw });

const isRoot = (c: Cert): boolean =>
  c.authorityKeyId === undefined || sameId(c.authorityKeyId, c.subjectKeyId);

/** ESO's filterCertChain: the leaf, the intermediates or the root of a PEM chain ("" if none). */
export function filterCertChain(certType: string, input: string): string {
  const ordered = orderChain(certificatesFromPem(input));
  const leaf = ordered[0] as Cert;
  const last = ordered[ordered.length - 1] as Cert;
  switch (certType) {
    case 'leaf':
      return leaf.authorityKeyId !== undefined && !sameId(leaf.authorityKeyId, leaf.subjectKeyId)
        ? certPem(leaf)
        : '';
    case 'intermediate': {
      let out = '';
      for (const c of ordered.slice(1)) {
        if (isRoot(c)) break;
        out += certPem(c);
      }
      return out;
    }
    case 'root':
      return isRoot(last) ? certPem(last) : '';
    default:
      return '';
  }
}

/** Go's net.IP.String() */
function ipString(b: Buffer): string {
  const v4mapped =
    b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (b.length === 4 || v4mapped) return [...b.subarray(b.length - 4)].join('.');
  if (b.length !== 16) return '?' + b.toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // WHATWG's IPv6 serializer compresses as RFC 5952 and Go do (first longest run of 2+ zero groups).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** ESO's certSANs: DNS names, then IP addresses, then e-mail addresses, then URIs. */
export function certSans(input: string): string[] {
  const block = decodePem(trimJunk(input)).blocks[0];
  if (!block) throw new FuncError('failed to decode PEM block');
  const { altNames } = parseCertificate(block.bytes);
  const of = (tag: number) => altNames.filter(([t]) => t === tag).map(([, v]) => v);
  return [
    ...of(2).map((v) => v.toString('latin1')),
    ...of(7).map(ipString),
    ...of(1).map((v) => v.toString('latin1')),
    ...of(6).map((v) => v.toString('latin1')),
  ];
}

// ---------------------------------------------------------------------------------------------
// Go's pkix.Name.String() of a certificate's subject (go-pkcs12's EncodeTrustStore makes it the
// friendly name): the named attributes in Go's fixed order, the others before them as #hex DER
// (as Go re-marshals their value), all reversed, RFC 2253 escaping.

const NAMED: [string, string][] = [
  ['2.5.4.6', 'C'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.7', 'L'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.17', 'POSTALCODE'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.3', 'CN'],
  ['2.5.4.5', 'SERIALNUMBER'],
];
const SINGLE = new Set(['2.5.4.3', '2.5.4.5']);
const T = { UTF8: 12, NUMERIC: 18, PRINTABLE: 19, T61: 20, IA5: 22, BMP: 30 };

/** A DirectoryString as Go's certificate parser reads it; undefined for other types. */
function nameValue(n: Node): string | undefined {
  if (n.tagClass !== nodeForge().asn1.Class.UNIVERSAL || typeof n.value !== 'string') return undefined;
  if (n.type === T.BMP) return n.value; // node-forge decodes BMPString itself
  if (n.type === T.UTF8) return Buffer.from(n.value, 'binary').toString('utf8');
  if ([T.NUMERIC, T.PRINTABLE, T.T61, T.IA5].includes(n.type)) return n.value; // Latin-1 / ASCII
  return undefined;
}

/** asn1.Marshal of a Go string: PrintableString when it can be, else UTF8String. */
function marshalString(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
  const len = body.length;
  const header = len < 0x80 ? [len] : len < 0x100 ? [0x81, len] : [0x82, len >> 8, len & 0xff]; // DER length
  return Buffer.concat([Buffer.from([printable ? T.PRINTABLE : T.UTF8, ...header]), body]);
}

function escapeDn(v: string): string {
  const chars = Array.from(v);
  return chars
    .map((c, k) => {
      const byteIndex = Buffer.byteLength(chars.slice(0, k).join(''));
      const last = byteIndex === Buffer.byteLength(v) - 1;
      const escape = ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || last)) || (c === '#' && k === 0);
      return escape ? `\\${c}` : c;
    })
    .join('');
}

export function goSubjectString(raw: Buffer): string {
  const tbs = children(children(der(raw))[0]);
  const versioned = tbs[0]?.tagClass === nodeForge().asn1.Class.CONTEXT_SPECIFIC;
  const subject = tbs[versioned ? 5 : 4];
  const named = new Map<string, string[]>();
  const rdns: string[][] = [];
  for (const rdn of children(subject)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      const oid = nodeForge().asn1.derToOid(type?.value as string);
      const text = value ? nameValue(value) : undefined;
      if (NAMED.some(([o]) => o === oid)) {
        if (text === undefined) continue;
        named.set(oid, SINGLE.has(oid) ? [text] : [...(named.get(oid) ?? []), text]);
      } else if (text !== undefined) {
        rdns.push([`${oid}=#${marshalString(text).toString('hex')}`]);
      }
    }
  }
  for (const [oid, name] of NAMED) {
    const values = (named.get(oid) ?? []).filter((v) => !SINGLE.has(oid) || v.length > 0);
    if (values.length > 0) rdns.push(values.map((v) => `${name}=${escapeDn(v)}`));
  }
  return rdns
    .reverse()
    .map((rdn) => rdn.join('+'))
    .join(',');
}
