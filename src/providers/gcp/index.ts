// Factory for `spec.provider.gcpsm`. The SDK (@google-cloud/secret-manager, ~18 MB RSS with gax and
// gRPC) is required here, inside the factory, so a controller with no gcpsm store never loads it.
// Endpoint: SECRETSYNC_GCP_ENDPOINT (an emulator, REST fallback over its scheme) or the global /
// regional Google endpoint over gRPC; credentials: an injected auth client (per-store identity) or
// Application Default Credentials (on GKE, Workload Identity through the metadata server).
// The factory requires the package's v1 entry: the package index also loads the v1beta2 client and
// the static protobuf module (protos.js), which the v1 client does not use (it reads protos.json):
// 2.5 MB less RSS and 1.5 MB less heap per process with a gcpsm store (BENCHMARKS.md, "RSS floor").

import { InvalidRefError } from '../core/errors';
import { observed, observedPages } from '../core/observe';
import type { ApiCallObserver } from '../core/types';
import { GcpClient, type SmApi } from './client';
import { parseGcpSpec, type GcpStoreConfig } from './names';

type Sdk = typeof import('@google-cloud/secret-manager/build/src/v1');
type SdkClient = InstanceType<Sdk['SecretManagerServiceClient']>;
export type SdkOptions = NonNullable<ConstructorParameters<Sdk['SecretManagerServiceClient']>[0]>;

export interface GcpClientOptions {
  /** Per-store credentials (a google-auth-library AuthClient); default: Application Default Credentials. */
  authClient?: SdkOptions['authClient'];
  /** Who `authClient` acts as (e.g. `serviceAccount:app@p.iam.gserviceaccount.com`), for error advice. */
  identity?: string;
  /** Environment to read (default process.env): SECRETSYNC_GCP_ENDPOINT, GOOGLE_CLOUD_PROJECT. */
  env?: Record<string, string | undefined>;
  /** Told of each Secret Manager call. */
  onApiCall?: ApiCallObserver;
}

/** SDK constructor options for a store (pure; exported for tests). */
export function sdkOptions(cfg: GcpStoreConfig, opts: GcpClientOptions = {}): SdkOptions {
  const env = opts.env ?? process.env;
  const project = cfg.projectID ?? (env.GOOGLE_CLOUD_PROJECT || undefined);
  const base: SdkOptions = {
    ...(project !== undefined && { projectId: project }),
    ...(opts.authClient !== undefined && { authClient: opts.authClient }),
  };
  const endpoint = env.SECRETSYNC_GCP_ENDPOINT;
  if (endpoint) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new InvalidRefError(
        `SECRETSYNC_GCP_ENDPOINT "${endpoint}" is not a URL (e.g. http://127.0.0.1:8085)`,
      );
    }
    const protocol = url.protocol.replace(/:$/, '');
    if (protocol !== 'http' && protocol !== 'https') {
      throw new InvalidRefError(`SECRETSYNC_GCP_ENDPOINT "${endpoint}" must be an http:// or https:// URL`);
    }
    return {
      ...base,
      apiEndpoint: url.hostname,
      port: Number(url.port || (protocol === 'https' ? 443 : 80)),
      protocol,
      fallback: true,
    };
  }
  if (cfg.location) return { ...base, apiEndpoint: `secretmanager.${cfg.location}.rep.googleapis.com` };
  return base;
}

/** The `provider` label ESO gives Secret Manager calls. */
export const ESO_PROVIDER = 'GCP/SecretManager';

/** Deadline of one Secret Manager call. */
export const CALL_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Creates a gcpsm client; loads the SDK on first use. Throws InvalidRefError for a bad spec. */
export async function createGcpClient(spec: unknown, opts: GcpClientOptions = {}): Promise<GcpClient> {
  const cfg = parseGcpSpec(spec);
  if (cfg.auth && opts.authClient === undefined) {
    // Falling back to the controller's identity would hand a store more than it asked for.
    throw new InvalidRefError(
      `gcpsm.auth (${Object.keys(cfg.auth).join(', ')}) is not supported yet; remove it to use the ` +
        "controller's own identity (GKE Workload Identity through the metadata server)",
    );
  }
  const options = sdkOptions(cfg, opts);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see header)
  const sdk = require('@google-cloud/secret-manager/build/src/v1') as Sdk;
  const client: SdkClient = new sdk.SecretManagerServiceClient(options);
  const identity = async (): Promise<string> => {
    if (opts.identity) return opts.identity;
    if (opts.authClient !== undefined) return "the store's Google service account";
    const creds = await withTimeout(client.auth.getCredentials(), 3000);
    return creds.client_email ? `serviceAccount:${creds.client_email}` : 'the identity in use';
  };
  // One try per call, with a deadline: the controller's per-key backoff is the retry policy. The
  // SDK's own settings retry AccessSecretVersion on UNAVAILABLE and RESOURCE_EXHAUSTED for up to a
  // minute (2 s doubling), which held a worker per attempt and kept Ready=True through an outage.
  const call = { retry: null, timeout: CALL_TIMEOUT_MS };
  const seen = opts.onApiCall;
  const api: SmApi = {
    accessSecretVersion: observed(seen, ESO_PROVIDER, 'AccessSecretVersion', (req) =>
      client.accessSecretVersion(req, call),
    ),
    getSecretVersion: observed(seen, ESO_PROVIDER, 'GetSecretVersion', (req) =>
      client.getSecretVersion(req, call),
    ),
    getSecret: observed(seen, ESO_PROVIDER, 'GetSecret', (req) => client.getSecret(req, call)),
    listSecretsAsync: observedPages(seen, ESO_PROVIDER, 'ListSecrets', (req, o) =>
      client.listSecretsAsync(req, { ...o, ...call }),
    ),
    listSecretVersionsAsync: observedPages(seen, ESO_PROVIDER, 'ListSecretVersions', (req, o) =>
      client.listSecretVersionsAsync(req, { ...o, ...call }),
    ),
    getProjectId: () => client.getProjectId(),
    close: () => client.close(),
  };
  return new GcpClient(api, cfg, {
    ...(options.projectId !== undefined && { project: options.projectId }),
    identity,
    storeCredentials: opts.authClient !== undefined,
  });
}
