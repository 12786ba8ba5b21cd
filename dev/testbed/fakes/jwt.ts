// Verifies Kubernetes service-account tokens for real: RS256 signature against the apiserver's
// JWKS (fetched from /openid/v1/jwks), issuer, audience and expiry. Fakes use it so that a token for
// the wrong audience or a forged token is refused as the cloud would refuse it.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:https';

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  namespace?: string;
  serviceAccount?: string;
  /** Issued at (seconds), absent from tokens of old issuers. */
  iat?: number;
  /** The pod a token is bound to (the kubelet's projected tokens are): kubernetes.io.pod.name. */
  pod?: string;
  /** The node of that pod: kubernetes.io.node.name. */
  node?: string;
}

/** What a fake records of a verified token (never the token): audience, binding and lifetime. */
export interface TokenFacts {
  aud: string[];
  pod?: string;
  node?: string;
  lifetimeSec?: number;
}

export function tokenFacts(c: ServiceAccountClaims): TokenFacts {
  return {
    aud: c.aud,
    ...(c.pod !== undefined && { pod: c.pod }),
    ...(c.node !== undefined && { node: c.node }),
    ...(c.iat !== undefined && { lifetimeSec: c.exp - c.iat }),
  };
}

export class TokenRejected extends Error {}

export class JwksVerifier {
  private keys = new Map<string, KeyObject>();
  constructor(
    private readonly apiserverUrl: string,
    private readonly adminToken: string,
    readonly issuer: string,
  ) {}

  private fetchJwks(): Promise<{ keys: (JsonWebKey & { kid: string })[] }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.apiserverUrl}/openid/v1/jwks`,
        {
          headers: { authorization: `Bearer ${this.adminToken}` },
          agent: new Agent({ rejectUnauthorized: false }),
        },
        (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`JWKS fetch: HTTP ${res.statusCode}`));
            resolve(JSON.parse(data));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private async key(kid: string): Promise<KeyObject> {
    if (!this.keys.has(kid)) {
      const jwks = await this.fetchJwks();
      for (const k of jwks.keys) this.keys.set(k.kid, createPublicKey({ key: k, format: 'jwk' }));
    }
    const key = this.keys.get(kid);
    if (!key) throw new TokenRejected(`unknown signing key id ${kid}`);
    return key;
  }

  async verify(token: string, audience: string, nowSec = Date.now() / 1000): Promise<ServiceAccountClaims> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenRejected('not a JWT');
    const [h, p, s] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
    if (header.alg !== 'RS256') throw new TokenRejected(`unsupported alg ${header.alg}`);
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(`${h}.${p}`),
      await this.key(header.kid),
      Buffer.from(s, 'base64url'),
    );
    if (!ok) throw new TokenRejected('bad signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
      iss: string;
      sub: string;
      aud: string | string[];
      exp: number;
      iat?: number;
      'kubernetes.io'?: {
        namespace?: string;
        serviceaccount?: { name?: string };
        pod?: { name?: string };
        node?: { name?: string };
      };
    };
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== this.issuer) throw new TokenRejected(`issuer ${claims.iss} is not trusted`);
    if (!aud.includes(audience))
      throw new TokenRejected(`audience ${aud.join(',')} does not include ${audience}`);
    if (claims.exp < nowSec) throw new TokenRejected('token expired');
    return {
      iss: claims.iss,
      sub: claims.sub,
      aud,
      exp: claims.exp,
      namespace: claims['kubernetes.io']?.namespace,
      serviceAccount: claims['kubernetes.io']?.serviceaccount?.name,
      iat: claims.iat,
      pod: claims['kubernetes.io']?.pod?.name,
      node: claims['kubernetes.io']?.node?.name,
    };
  }
}
