// ESO's template-engine v2 functions (PKCS#12, PEM, certificates, JWK, RSA-OAEP) against vectors
// made with the reference implementations (go-pkcs12, Go's crypto/x509, jwx; see
// fixtures/crypto/README.md) and openssl. Binary inputs go in as bytes, as Secret values do.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { renderedBytes } from '../../../../src/gocompat/template';
import { render, renderError } from './helpers';

const dir = join(__dirname, 'fixtures', 'crypto');
const bytes = (name: string): Uint8Array => readFileSync(join(dir, name));
const text = (name: string): string => readFileSync(join(dir, name), 'utf8');
const PASS = 'test-only-pass';

describe('pkcs12key / pkcs12keyPass / pkcs12cert / pkcs12certPass', () => {
  test.each([
    ['leaf-modern-pass.p12', 'modern (PBES2/AES-256, SHA-256 MAC)'],
    ['leaf-legacy-pass.p12', 'legacy (RC2-40 / 3DES, SHA-1 MAC)'],
  ])('%s, %s: the key as PKCS#8 PEM and the chain ordered leaf first', (file) => {
    const data = { p12: bytes(file), pass: PASS };
    expect(render('{{ .p12 | pkcs12keyPass .pass }}', data)).toBe(text('expected-leaf-pkcs8.pem'));
    expect(render('{{ .p12 | pkcs12certPass .pass }}', data)).toBe(text('expected-leaf-chain.pem'));
  });

  test('without a password', () => {
    const data = { p12: bytes('leaf-modern-nopass.p12') };
    expect(render('{{ .p12 | pkcs12key }}', data)).toBe(text('expected-leaf-pkcs8.pem'));
    expect(render('{{ .p12 | pkcs12cert }}', data)).toBe(text('expected-leaf-chain.pem'));
  });

  test('an EC key and a chain of one', () => {
    const data = { p12: bytes('ec-modern-pass.p12'), pass: PASS };
    expect(render('{{ .p12 | pkcs12keyPass .pass }}', data)).toBe(text('expected-ec-pkcs8.pem'));
    expect(render('{{ .p12 | pkcs12certPass .pass }}', data)).toBe(text('ec.crt'));
  });

  test('from base64 text in the Secret, through b64dec', () => {
    const data = { p12: Buffer.from(bytes('leaf-legacy-pass.p12')).toString('base64') };
    expect(render(`{{ .p12 | b64dec | pkcs12keyPass "${PASS}" }}`, data)).toBe(
      text('expected-leaf-pkcs8.pem'),
    );
  });

  test('a wrong password or a non-PKCS#12 value is a template error that names neither', () => {
    const wrong = 'WRONG-PASS-CANARY';
    for (const src of ['{{ .p12 | pkcs12keyPass .pass }}', '{{ .p12 | pkcs12certPass .pass }}']) {
      const err = renderError(src, { p12: bytes('leaf-modern-pass.p12'), pass: wrong });
      expect(err.message).toMatch(/unable to decode pkcs12.*password incorrect/);
      expect(err.message).not.toContain(wrong);
    }
    expect(renderError('{{ .p12 | pkcs12key }}', { p12: 'CANARY-not-p12' }).message).not.toContain('CANARY');
    expect(renderError('{{ .p12 | pkcs12key }}', { p12: bytes('leaf-modern-pass.p12') }).message).toMatch(
      /password incorrect/,
    );
  });
});

describe('pemToPkcs12 / pemToPkcs12Pass / fullPemToPkcs12 / fullPemToPkcs12Pass', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'p12-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** What openssl (not our decoder) reads back from a base64 bundle: certificates, then the key. */
  function opensslReads(b64: string, pass: string): string {
    const file = join(tmp, 'out.p12');
    writeFileSync(file, Buffer.from(b64, 'base64'));
    const pem = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${pass}`, '-nodes'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    return pem.replace(/^(Bag Attributes|subject=|issuer=|Key Attributes| {4}).*\n/gm, '');
  }

  const data = {
    cert: text('leaf.crt'),
    chain: text('leaf.crt') + text('intermediate.crt') + text('root.crt'),
    key: text('leaf.key'),
    pkcs1: text('leaf-pkcs1.key'),
    pass: PASS,
  };

  test('openssl reads back the key and certificate; the same inputs give the same bytes', () => {
    const out = render('{{ pemToPkcs12Pass .cert .key .pass }}', data);
    expect(opensslReads(out, PASS)).toBe(text('leaf.crt') + text('leaf.key'));
    expect(render('{{ pemToPkcs12Pass .cert .key .pass }}', data)).toBe(out);
    expect(render('{{ pemToPkcs12Pass .cert .key "other" }}', data)).not.toBe(out);
  });

  test('without a password, from a PKCS#1 key; only the first certificate of the PEM', () => {
    const out = render('{{ pemToPkcs12 .chain .pkcs1 }}', data);
    expect(opensslReads(out, '')).toBe(text('leaf.crt') + text('leaf.key'));
  });

  test('fullPemToPkcs12(Pass) carries the whole chain, and pkcs12cert reads it back ordered', () => {
    const out = render('{{ fullPemToPkcs12Pass .chain .key .pass }}', data);
    expect(opensslReads(out, PASS)).toBe(data.chain + text('leaf.key'));
    expect(render('{{ fullPemToPkcs12 .chain .key | b64dec | pkcs12cert }}', data)).toBe(data.chain);
    expect(render('{{ fullPemToPkcs12 .chain .key | b64dec | pkcs12key }}', data)).toBe(
      text('expected-leaf-pkcs8.pem'),
    );
  });

  test('RSA bundles keep the bytes earlier versions wrote (an upgrade rewrites no Secret)', () => {
    const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(sha256(render('{{ pemToPkcs12Pass .cert .key .pass }}', data))).toBe(
      'cca39450ab2a419a015f7d13d1dd6336671f6fcca01915beea2dd49080384cff',
    );
    expect(sha256(render('{{ fullPemToPkcs12 .chain .key }}', data))).toBe(
      '064737228903c3d65ad1f834145907c73a6eceab6215ac6da84d4361d48ac052',
    );
  });

  test('an EC key (PKCS#8 or SEC1) and its chain: openssl and pkcs12key read them back as Go does', () => {
    const ec = { cert: text('ec.crt'), chain: text('ec.crt') + text('intermediate.crt'), pass: PASS };
    for (const key of [text('ec.key'), text('ec-sec1.key')]) {
      const out = render('{{ fullPemToPkcs12Pass .chain .key .pass }}', { ...ec, key });
      expect(opensslReads(out, PASS)).toBe(ec.chain + text('expected-ec-pkcs8.pem'));
      expect(render('{{ fullPemToPkcs12Pass .chain .key .pass }}', { ...ec, key })).toBe(out);
      const back = { p12: Buffer.from(out, 'base64'), pass: PASS };
      expect(render('{{ .p12 | pkcs12keyPass .pass }}', back)).toBe(text('expected-ec-pkcs8.pem'));
      expect(render('{{ .p12 | pkcs12certPass .pass }}', back)).toBe(ec.chain);
    }
    const single = render('{{ pemToPkcs12 .cert .key }}', { ...ec, key: text('ec.key') });
    expect(opensslReads(single, '')).toBe(ec.cert + text('expected-ec-pkcs8.pem'));
  });
});

describe('pemTruststoreToPKCS12 / pemTruststoreToPKCS12Pass', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'p12-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const pem = text('root.crt') + text('dn-ca.crt') + text('intermediate.crt');

  /** openssl's listing of the certificate bags: their attributes, subjects and certificates. */
  function opensslInfo(b64: string, pass: string): string {
    const file = join(tmp, 'trust.p12');
    writeFileSync(file, Buffer.from(b64, 'base64'));
    return execFileSync('openssl', ['pkcs12', '-info', '-in', file, '-passin', `pass:${pass}`, '-nokeys'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
  }

  test("every certificate, each with go-pkcs12 EncodeTrustStore's Java trust mark and friendly name", () => {
    const out = render('{{ pemTruststoreToPKCS12Pass .pem .pass }}', { pem, pass: PASS });
    expect(opensslInfo(out, PASS)).toBe(text('expected-truststore-openssl.txt'));
    expect(render('{{ pemTruststoreToPKCS12Pass .pem .pass }}', { pem, pass: PASS })).toBe(out);
    expect(render('{{ pemTruststoreToPKCS12Pass .pem "other" }}', { pem })).not.toBe(out);
  });

  test('without a password; a block that is not a certificate is an error', () => {
    expect(opensslInfo(render('{{ pemTruststoreToPKCS12 .pem }}', { pem }), '')).toBe(
      text('expected-truststore-openssl.txt'),
    );
    const err = renderError('{{ pemTruststoreToPKCS12 .pem }}', { pem: text('leaf.key') });
    expect(err.message).toContain('failed to parse certificate');
  });
});

describe('filterPEM', () => {
  const mixed = `junk before\n${text('leaf.key')}${text('leaf.crt')}${text('intermediate.crt')}`;

  test('keeps the blocks of one type, case-insensitively, re-encoded', () => {
    expect(render('{{ .v | filterPEM "CERTIFICATE" }}', { v: mixed })).toBe(
      text('leaf.crt') + text('intermediate.crt'),
    );
    expect(render('{{ .v | filterPEM "private key" }}', { v: mixed })).toBe(text('leaf.key'));
  });

  test('no block of that type: empty; input that is no PEM at all: "found junk"', () => {
    expect(render('{{ .v | filterPEM "EC PRIVATE KEY" }}', { v: mixed })).toBe('');
    expect(renderError('{{ .v | filterPEM "CERTIFICATE" }}', { v: 'CANARY not pem' }).message).toMatch(
      /error filtering pem: found junk$/,
    );
  });
});

describe('filterCertChain', () => {
  const chain = { v: text('root.crt') + text('leaf.crt') + text('intermediate.crt') };

  test.each([
    ['leaf', 'leaf.crt'],
    ['intermediate', 'intermediate.crt'],
    ['root', 'root.crt'],
  ])('%s', (type, file) => {
    expect(render(`{{ .v | filterCertChain "${type}" }}`, chain)).toBe(text(file));
  });

  test('a chain without its root has no root; a lone root is no leaf; two leaves are an error', () => {
    const noRoot = { v: text('leaf.crt') + text('intermediate.crt') };
    expect(render('{{ .v | filterCertChain "root" }}', noRoot)).toBe('');
    expect(render('{{ .v | filterCertChain "intermediate" }}', noRoot)).toBe(text('intermediate.crt'));
    expect(render('{{ .v | filterCertChain "leaf" }}', { v: text('root.crt') })).toBe('');
    expect(
      renderError('{{ .v | filterCertChain "leaf" }}', { v: text('leaf.crt') + text('ec.crt') }).message,
    ).toContain('found multiple leaf or disjunct certificates');
  });
});

describe('certSANs', () => {
  test("DNS names, IPs (Go's notation), e-mail addresses, URIs — in that order", () => {
    expect(render('{{ .v | certSANs | toJson }}', { v: text('leaf.crt') })).toBe(
      JSON.stringify([
        'app.example.test',
        '*.app.example.test',
        '10.1.2.3',
        '2001:db8::1',
        'ops@example.test',
        'spiffe://example.test/app',
      ]),
    );
  });

  test('a certificate without SANs: an empty list; no PEM: an error', () => {
    expect(render('{{ .v | certSANs | len }}', { v: text('root.crt') })).toBe('0');
    expect(renderError('{{ .v | certSANs }}', { v: 'CANARY' }).message).toContain(
      'failed to decode PEM block',
    );
  });
});

describe('jwkPublicKeyPem / jwkPrivateKeyPem', () => {
  test.each(['rsa', 'ec', 'ed25519'])('%s keys, as jwx + Go marshal them', (kind) => {
    expect(render('{{ .v | jwkPublicKeyPem }}', { v: text(`${kind}-public.jwk.json`) })).toBe(
      text(`expected-${kind}-jwk-public.pem`),
    );
    expect(render('{{ .v | jwkPrivateKeyPem }}', { v: text(`${kind}-private.jwk.json`) })).toBe(
      text(`expected-${kind}-jwk-private.pem`),
    );
  });

  test('a private JWK to jwkPublicKeyPem, a public one to jwkPrivateKeyPem, or no JSON: errors without the value', () => {
    const priv = text('rsa-private.jwk.json');
    for (const [src, v] of [
      ['{{ .v | jwkPublicKeyPem }}', priv],
      ['{{ .v | jwkPrivateKeyPem }}', text('rsa-public.jwk.json')],
      ['{{ .v | jwkPrivateKeyPem }}', '{"kty":"CANARY"'],
    ] as const) {
      const err = renderError(src, { v });
      expect(err.message).not.toContain('CANARY');
      expect(err.message).not.toContain(JSON.parse(priv).d);
    }
  });
});

describe('rsaDecrypt', () => {
  const plain = bytes('oaep-plain.bin');

  test.each([
    ['SHA256', 'oaep-sha256.bin'],
    ['SHA1', 'oaep-sha1.bin'],
    ['SHA512', 'oaep-sha512.bin'],
    ['None', 'oaep-sha256.bin'], // ESO: any other hash name means SHA-256
  ])('RSA-OAEP with %s gives the exact plaintext bytes', (hash, file) => {
    const data = { c: bytes(file), key: text('leaf.key'), pkcs1: text('leaf-pkcs1.key') };
    const out = (src: string) => Buffer.from(renderBytes(src, data));
    expect(out(`{{ rsaDecrypt "RSA-OAEP" "${hash}" .c .key }}`)).toEqual(Buffer.from(plain));
    expect(out(`{{ rsaDecrypt "RSA-OAEP" "${hash}" .c .pkcs1 }}`)).toEqual(Buffer.from(plain));
  });

  test('base64 ciphertext through b64dec; scheme None returns the input', () => {
    const data = { c: Buffer.from(bytes('oaep-sha256.bin')).toString('base64'), key: text('leaf.key') };
    expect(renderBytes('{{ rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .key }}', data)).toEqual(
      Buffer.from(plain),
    );
    expect(render('{{ rsaDecrypt "None" "" "as is" .key }}', data)).toBe('as is');
  });

  test('wrong hash, EC key, unknown scheme: errors', () => {
    const data = { c: bytes('oaep-sha256.bin'), key: text('leaf.key'), ec: text('ec.key') };
    expect(renderError('{{ rsaDecrypt "RSA-OAEP" "SHA1" .c .key }}', data).message).toContain(
      'error decrypting data with RSA',
    );
    expect(renderError('{{ rsaDecrypt "RSA-OAEP" "SHA256" .c .ec }}', data).message).toContain(
      'could not parse RSA private key',
    );
    expect(renderError('{{ rsaDecrypt "RSA-PKCS1" "SHA256" .c .key }}', data).message).toContain(
      'decryption scheme is not supported',
    );
  });
});

function renderBytes(src: string, data: Record<string, unknown>): Buffer {
  // The engine's output string, as the bytes the Secret gets.
  return renderedBytes(render(src, data));
}

test('PKCS#12 calls are charged as slow KDFs (10,000 steps): a 25,000-step budget allows 2, not 3', () => {
  const data = { p12: bytes('leaf-modern-nopass.p12') };
  const src = (n: number) => `{{ range until ${n} }}{{ $.p12 | pkcs12key | len }}{{ end }}`;
  expect(render(src(2), data, { stepBudget: 25_000 })).not.toBe('');
  expect(renderError(src(3), data, { stepBudget: 25_000 }).message).toContain(
    'exceeded the evaluation budget',
  );
});
