// The Secret Manager emulator as the resilience scenarios drive it: always directly (never through
// the scenario's Toxiproxy), as the testbed's admin, with calls counted server-side per project.
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { CONTROLLER_GSA } from '../../../dev/testbed/fakes/gcp-identity';

export class SecretManager {
  readonly client: SecretManagerServiceClient;

  /** `endpoint`: the emulator's own URL (SECRETSYNC_GCP_ENDPOINT as the testbed exports it). */
  constructor(readonly endpoint: string) {
    const url = new URL(endpoint);
    const authClient = new OAuth2Client();
    authClient.setCredentials({
      access_token: process.env.SECRETSYNC_GCP_ADMIN_TOKEN ?? '',
      expiry_date: Date.now() + 24 * 3600_000,
    });
    this.client = new SecretManagerServiceClient({
      apiEndpoint: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      fallback: true,
      authClient,
    });
  }

  /**
   * Lets the controller's ambient identity read the project: payloads (secretAccessor) and version
   * metadata (viewer), so that scenarios count the same calls as before the emulator was strict.
   */
  async grantController(project: string): Promise<void> {
    for (const role of ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor']) {
      const res = await fetch(`${this.endpoint}/_testbed/grant`, {
        method: 'POST',
        body: JSON.stringify({
          resource: `projects/${project}`,
          member: `serviceAccount:${CONTROLLER_GSA}`,
          role,
        }),
      });
      if (!res.ok) throw new Error(`/_testbed/grant: HTTP ${res.status} ${await res.text()}`);
    }
  }

  async put(project: string, id: string, value: string | Buffer): Promise<void> {
    const parent = `projects/${project}`;
    try {
      await this.client.createSecret({ parent, secretId: id, secret: { replication: { automatic: {} } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS
    }
    await this.client.addSecretVersion({
      parent: `${parent}/secrets/${id}`,
      payload: { data: Buffer.isBuffer(value) ? value : Buffer.from(value) },
    });
  }

  /** Calls counted by the emulator for this project, by method (`Throttled` while throttled). */
  async calls(project: string): Promise<Record<string, number>> {
    const all = (await (await fetch(`${this.endpoint}/_testbed/calls`)).json()) as Record<string, number>;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(all))
      if (k.startsWith(`${project}:`)) out[k.slice(project.length + 1)] = v;
    return out;
  }

  /** While on, every call for the project is answered 429 RESOURCE_EXHAUSTED. */
  async throttle(project: string, on: boolean): Promise<void> {
    const res = await fetch(`${this.endpoint}/_testbed/throttle`, {
      method: 'POST',
      body: JSON.stringify({ project, on }),
    });
    if (!res.ok) throw new Error(`/_testbed/throttle: HTTP ${res.status}`);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Calls excluding the ones the scenario itself made (CreateSecret, AddSecretVersion). */
export function controllerCalls(c: Record<string, number>): number {
  return Object.entries(c)
    .filter(([m]) => m !== 'CreateSecret' && m !== 'AddSecretVersion')
    .reduce((a, [, n]) => a + n, 0);
}
