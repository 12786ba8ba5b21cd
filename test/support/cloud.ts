// Clients for the testbed's emulators, configured from the environment the testbed exports.
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { CONTROLLER_GSA } from '../../dev/testbed/fakes/gcp-identity';
import type { TokenFacts } from '../../dev/testbed/fakes/jwt';

/**
 * A Secret Manager client for the test's own setup calls, as the testbed's admin (who may do
 * anything in any project). The controller's identities get only what a test grants them;
 * `ambient` gives a client as the controller's ambient identity instead (the metadata server's).
 */
export function gcpSecretManager(opts: { ambient?: boolean } = {}): SecretManagerServiceClient {
  const url = new URL(process.env.SECRETSYNC_GCP_ENDPOINT ?? '');
  let authClient: OAuth2Client | undefined;
  if (!opts.ambient) {
    authClient = new OAuth2Client();
    authClient.setCredentials({
      access_token: process.env.SECRETSYNC_GCP_ADMIN_TOKEN ?? '',
      expiry_date: Date.now() + 24 * 3600_000,
    });
  }
  // REST fallback over plain HTTP.
  return new SecretManagerServiceClient({
    apiEndpoint: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    fallback: true,
    ...(authClient && { authClient }),
  });
}

/** The IAM member the controller's ambient identity (the metadata server's default) acts as. */
export const CONTROLLER_MEMBER = `serviceAccount:${CONTROLLER_GSA}`;

/** Secret Manager predefined roles the emulator knows (dev/testbed/fakes/secretmanager-iam.ts). */
export type SecretManagerRole =
  | 'roles/secretmanager.secretAccessor'
  | 'roles/secretmanager.viewer'
  | 'roles/secretmanager.secretVersionAdder'
  | 'roles/secretmanager.secretVersionManager'
  | 'roles/secretmanager.admin';

/**
 * Grants Secret Manager roles on a project (`projects/p`, or just `p`) or one secret's name. The
 * emulator allows nothing that is not granted, so every test grants what its identity needs.
 */
export async function grantGcp(
  resource: string,
  roles: SecretManagerRole | SecretManagerRole[],
  member = CONTROLLER_MEMBER,
): Promise<void> {
  const name = resource.startsWith('projects/') ? resource : `projects/${resource}`;
  for (const role of [roles].flat())
    await fakeAdmin('SECRETSYNC_GCP_ENDPOINT', '/_testbed/grant', { resource: name, member, role });
}

export interface FakeRequest {
  path: string;
  outcome: number;
  detail?: Record<string, unknown>;
  /** The verified service-account token's audience, pod binding and lifetime (never the token). */
  token?: TokenFacts;
}

export async function fakeRequests(envVar: string): Promise<FakeRequest[]> {
  const res = await fetch(`${origin(envVar)}/_testbed/requests`);
  return (await res.json()) as FakeRequest[];
}

export async function fakeAdmin(envVar: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${origin(envVar)}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
}

/** Origin of a fake from its env var (a URL, or host:port as in GCE_METADATA_HOST). */
function origin(envVar: string): string {
  const v = process.env[envVar] ?? '';
  return new URL(v.includes('://') ? v : `http://${v}`).origin;
}

/** Adds a version to a Secret Manager secret, creating the secret first if it does not exist. */
export async function putGcpVersion(
  sm: SecretManagerServiceClient,
  project: string,
  id: string,
  value: string,
): Promise<void> {
  const parent = `projects/${project}`;
  try {
    await sm.createSecret({ parent, secretId: id, secret: { replication: { automatic: {} } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS
  }
  await sm.addSecretVersion({ parent: `${parent}/secrets/${id}`, payload: { data: Buffer.from(value) } });
}
