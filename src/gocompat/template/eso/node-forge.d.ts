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
    const asn1: {
      fromDer(der: string, options?: { strict?: boolean; parseAllBytes?: boolean }): Asn1;
      toDer(obj: Asn1): { getBytes(): string };
      derToOid(der: string): string;
      Class: { UNIVERSAL: number; CONTEXT_SPECIFIC: number };
    };
    const pki: {
      oids: Record<string, string>;
      privateKeyFromAsn1(obj: Asn1): object;
      privateKeyToAsn1(key: object): Asn1;
      wrapRsaPrivateKey(obj: Asn1): Asn1;
      certificateFromAsn1(obj: Asn1): object;
      certificateToAsn1(cert: object): Asn1;
    };
    const pkcs12: {
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
