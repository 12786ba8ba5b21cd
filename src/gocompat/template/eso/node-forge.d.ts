// The small part of node-forge (which ships no types) that the PKCS#12 functions use.
declare module 'node-forge' {
  namespace forge {
    interface Asn1 {
      tagClass: number;
      type: number;
      constructed: boolean;
      value: string | Asn1[];
    }
    interface Bag {
      type: string;
      key?: object | null;
      cert?: object | null;
      asn1?: Asn1;
    }
    interface Pkcs12 {
      getBags(filter: { bagType: string }): Record<string, Bag[] | undefined>;
      safeContents: { safeBags: Bag[] }[];
    }
    interface ByteBuffer {
      getBytes(): string;
    }
    const asn1: {
      fromDer(der: string, options?: { strict?: boolean; parseAllBytes?: boolean }): Asn1;
      toDer(obj: Asn1): ByteBuffer;
      derToOid(der: string): string;
      oidToDer(oid: string): ByteBuffer;
      integerToDer(n: number): ByteBuffer;
      create(tagClass: number, type: number, constructed: boolean, value: string | Asn1[]): Asn1;
      Class: { UNIVERSAL: number; CONTEXT_SPECIFIC: number };
      Type: Record<'INTEGER' | 'OCTETSTRING' | 'NULL' | 'OID' | 'SEQUENCE' | 'SET' | 'BMPSTRING', number>;
    };
    const pki: {
      oids: Record<string, string>;
      privateKeyFromAsn1(obj: Asn1): object;
      privateKeyToAsn1(key: object): Asn1;
      wrapRsaPrivateKey(obj: Asn1): Asn1;
      certificateFromAsn1(obj: Asn1): object;
      certificateToAsn1(cert: object): Asn1;
      encryptPrivateKeyInfo(obj: Asn1, password: string, options?: Record<string, unknown>): Asn1;
    };
    const util: {
      createBuffer(bytes: string): ByteBuffer;
    };
    const md: { sha1: { create(): object } };
    const hmac: {
      create(): {
        start(md: object, key: ByteBuffer): void;
        update(bytes: string): void;
        getMac(): ByteBuffer;
      };
    };
    const pkcs12: {
      generateKey(
        password: string,
        salt: ByteBuffer,
        id: number,
        iterations: number,
        size: number,
      ): ByteBuffer;
      pkcs12FromAsn1(obj: Asn1, strict: boolean, password?: string): Pkcs12;
      toPkcs12Asn1(
        key: object | null,
        cert: object | object[] | null,
        password: string | null,
        options?: Record<string, unknown>,
      ): Asn1;
    };
    const random: {
      getBytes(n: number): string;
      getBytesSync(n: number): string;
    };
  }
  export default forge;
}
