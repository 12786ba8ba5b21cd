// `gcpsm.auth.secretRef.secretAccessKeySecretRef`: a Google service-account key (the JSON file
// `gcloud iam service-accounts keys create` writes) kept in a Kubernetes Secret — the fallback for
// clusters outside GKE. Parsed and checked here so a wrong file says what is wrong with it (never
// echoing it), then handed to google-auth's JWT client, which signs and trades it for access tokens.

import { createPrivateKey } from 'node:crypto';
import type { JWT } from 'google-auth-library';
import { AuthError } from '../core/errors';
import { countCall } from '../credentials/cache';
import { describe } from '../credentials/errors';
import { CLOUD_PLATFORM, type AccessToken } from './federation';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

/** Parses and checks a key file; `where` names the Secret key it came from. Never quotes the input. */
export function parseServiceAccountKey(bytes: Uint8Array, where: string): ServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new AuthError(
      `${where} is not JSON: it must hold a Google service-account key file ` +
        '(gcloud iam service-accounts keys create key.json --iam-account=<gsa>)',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AuthError(`${where} must hold a JSON object (a Google service-account key file)`);
  }
  const k = json as Record<string, unknown>;
  if (k.type !== undefined && k.type !== 'service_account') {
    const t = typeof k.type === 'string' ? k.type.slice(0, 40) : typeof k.type;
    throw new AuthError(
      `${where} holds credentials of type "${t}", not a service-account key (type "service_account"); ` +
        'for GKE use auth.workloadIdentity instead',
    );
  }
  const missing = ['client_email', 'private_key'].filter((f) => typeof k[f] !== 'string' || k[f] === '');
  if (missing.length > 0) {
    throw new AuthError(`${where} is not a service-account key file: it has no ${missing.join(' or ')}`);
  }
  const email = k.client_email as string;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new AuthError(`${where}: client_email is not an email address`);
  }
  try {
    createPrivateKey({ key: k.private_key as string, format: 'pem' });
  } catch {
    throw new AuthError(
      `${where}: private_key of ${email} is not a PEM private key (was the file edited or truncated? ` +
        'create a new key)',
    );
  }
  return {
    client_email: email,
    private_key: k.private_key as string,
    ...(typeof k.private_key_id === 'string' && { private_key_id: k.private_key_id }),
    ...(typeof k.project_id === 'string' && { project_id: k.project_id }),
  };
}

type GoogleAuthLib = typeof import('google-auth-library');

/** A JWT client for the key, scoped to cloud-platform (google-auth loaded on first use). */
export function jwtClient(key: ServiceAccountKey): JWT {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the GCP SDK, not before
  const { JWT: Jwt } = require('google-auth-library') as GoogleAuthLib;
  return new Jwt({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id !== undefined && { keyId: key.private_key_id }),
    scopes: [CLOUD_PLATFORM],
  });
}

/** An access token for the key (Google's OAuth endpoint), with a message naming the account. */
export async function keyToken(jwt: JWT, email: string, now: () => number): Promise<AccessToken> {
  countCall('gcpKeyToken');
  try {
    const creds = await jwt.authorize();
    if (!creds.access_token) throw new Error('no access_token in the answer');
    return {
      token: creds.access_token,
      expiresAt: typeof creds.expiry_date === 'number' ? creds.expiry_date : now() + 3600_000,
    };
  } catch (err) {
    const says = describe(err);
    const hint = /invalid_grant|account not found|Invalid JWT Signature/i.test(says)
      ? ': the key was deleted or disabled, or the service account no longer exists — create a new key'
      : '; retrying with backoff';
    throw new AuthError(`Google refused the key of ${email} (${says})${hint}`);
  }
}
