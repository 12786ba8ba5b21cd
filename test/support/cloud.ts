// Clients for the testbed's emulators, configured from the environment the testbed exports.
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';

export function gcpSecretManager(): SecretManagerServiceClient {
  const url = new URL(process.env.SECRETSYNC_GCP_ENDPOINT ?? '');
  // REST fallback over plain HTTP: credentials come from the (fake) GCE metadata server.
  return new SecretManagerServiceClient({
    apiEndpoint: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    fallback: true,
  });
}

export async function fakeRequests(
  envVar: string,
): Promise<{ path: string; outcome: number; detail?: Record<string, unknown> }[]> {
  const res = await fetch(`${origin(envVar)}/_testbed/requests`);
  return (await res.json()) as { path: string; outcome: number; detail?: Record<string, unknown> }[];
}

export async function fakeAdmin(envVar: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${origin(envVar)}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
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
