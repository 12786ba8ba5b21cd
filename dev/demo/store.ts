// The demo's side of Secret Manager: creates secrets and adds versions in the local emulator
// through the real client library, as the testbed's admin (the controller's own identity may only
// read what it is granted, as in a real project).
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';

type SecretManagerModule = typeof import('@google-cloud/secret-manager');

export class DemoStore {
  private client?: SecretManagerServiceClient;
  constructor(
    private readonly project: string,
    private readonly adminToken: string,
  ) {}

  private sm(): SecretManagerServiceClient {
    if (!this.client) {
      const url = new URL(process.env.SECRETSYNC_GCP_ENDPOINT ?? '');
      // Loaded on first use, like the provider does: the SDK is heavy.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require('@google-cloud/secret-manager') as SecretManagerModule;
      const { SecretManagerServiceClient } = sdk;
      const authClient = new OAuth2Client();
      authClient.setCredentials({ access_token: this.adminToken, expiry_date: Date.now() + 24 * 3600_000 });
      this.client = new SecretManagerServiceClient({
        apiEndpoint: url.hostname,
        port: Number(url.port),
        protocol: 'http',
        fallback: true,
        authClient,
      });
    }
    return this.client;
  }

  /** Adds a version (creating the secret first if needed); returns the new version number. */
  async put(id: string, value: string): Promise<string> {
    const parent = `projects/${this.project}`;
    try {
      await this.sm().createSecret({ parent, secretId: id, secret: { replication: { automatic: {} } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 6) throw err;
    }
    const [v] = await this.sm().addSecretVersion({
      parent: `${parent}/secrets/${id}`,
      payload: { data: Buffer.from(value) },
    });
    return v.name?.split('/').pop() ?? '?';
  }
}
