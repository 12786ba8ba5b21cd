// The functions ESO's template engine v2 adds to Sprig (runtime/template/v2/template.go), with
// ESO's argument order.
import { fn, type FuncDef, type FuncTable, type ParamType } from '../funcdef';
import { KDF_CALL_STEPS } from '../limits';
import { jwkPrivateKeyPem, jwkPublicKeyPem } from './jwk';
import { filterPem } from './pem';
import { fullPemToPkcs12, pemToPkcs12, pemTruststoreToPkcs12, pkcs12Cert, pkcs12Key } from './pkcs12';
import { rsaDecrypt } from './rsa';
import { certSans, filterCertChain } from './x509';

const s = (v: unknown): string => v as string;

/** A function whose every call runs PKCS#12's iterated key derivation: charged as such. */
function kdf(params: readonly ParamType[], impl: (args: unknown[]) => unknown): FuncDef {
  return fn(params, (args, { budget }) => {
    budget.step(KDF_CALL_STEPS);
    return impl(args);
  });
}

export const ESO_FUNCTIONS: FuncTable = {
  pkcs12key: kdf(['string'], ([input]) => pkcs12Key('', s(input))),
  pkcs12keyPass: kdf(['string', 'string'], ([pass, input]) => pkcs12Key(s(pass), s(input))),
  pkcs12cert: kdf(['string'], ([input]) => pkcs12Cert('', s(input))),
  pkcs12certPass: kdf(['string', 'string'], ([pass, input]) => pkcs12Cert(s(pass), s(input))),
  pemToPkcs12: kdf(['string', 'string'], ([cert, key]) => pemToPkcs12(s(cert), s(key), '')),
  pemToPkcs12Pass: kdf(['string', 'string', 'string'], ([cert, key, pass]) =>
    pemToPkcs12(s(cert), s(key), s(pass)),
  ),
  fullPemToPkcs12: kdf(['string', 'string'], ([cert, key]) => fullPemToPkcs12(s(cert), s(key), '')),
  fullPemToPkcs12Pass: kdf(['string', 'string', 'string'], ([cert, key, pass]) =>
    fullPemToPkcs12(s(cert), s(key), s(pass)),
  ),
  pemTruststoreToPKCS12: kdf(['string'], ([certs]) => pemTruststoreToPkcs12(s(certs), '')),
  pemTruststoreToPKCS12Pass: kdf(['string', 'string'], ([certs, pass]) =>
    pemTruststoreToPkcs12(s(certs), s(pass)),
  ),
  filterPEM: fn(['string', 'string'], ([type, input]) => filterPem(s(type), s(input))),
  filterCertChain: fn(['string', 'string'], ([type, input]) => filterCertChain(s(type), s(input))),
  certSANs: fn(['string'], ([input]) => certSans(s(input))),
  jwkPublicKeyPem: fn(['string'], ([jwk]) => jwkPublicKeyPem(s(jwk))),
  jwkPrivateKeyPem: fn(['string'], ([jwk]) => jwkPrivateKeyPem(s(jwk))),
  rsaDecrypt: fn(['string', 'string', 'string', 'string'], ([scheme, hash, input, key]) =>
    rsaDecrypt(s(scheme), s(hash), s(input), s(key)),
  ),
};
