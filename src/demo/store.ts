// The demo's side of Secret Manager: creates secrets and adds versions in the local emulator
// through the real client library, authenticated by the emulated metadata server.
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';

type SecretManagerModule = typeof import('@google-cloud/secret-manager');

export class DemoStore {
  private client?: SecretManagerServiceClient;
  constructor(private readonly project: string) {}

  private sm(): SecretManagerServiceClient {
    if (!this.client) {
      const url = new URL(process.env.SECRETSYNC_GCP_ENDPOINT ?? '');
      // Loaded on first use, like the provider does: the SDK is heavy.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require('@google-cloud/secret-manager') as SecretManagerModule;
      const { SecretManagerServiceClient } = sdk;
      this.client = new SecretManagerServiceClient({
        apiEndpoint: url.hostname,
        port: Number(url.port),
        protocol: 'http',
        fallback: true,
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
