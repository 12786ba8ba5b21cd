// Factory for `spec.provider.aws` (service SecretsManager). The SDK (@aws-sdk/client-secrets-manager,
// ~127 MB on disk) is required here, inside the factory, so a controller with no aws store never
// loads it. Endpoint: the SDK's own resolution (AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL,
// else AWS's regional endpoint); credentials: injected per-store ones, else the SDK's default chain
// (IRSA web identity, EKS Pod Identity, environment keys); retries: the SDK's standard mode, 3
// attempts, before errors are mapped.

import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { InvalidRefError } from '../core/errors';
import { observed } from '../core/observe';
import type { ApiCallObserver } from '../core/types';
import { AwsClient, type SmApi } from './client';
import { parseAwsSpec, type AwsStoreConfig } from './config';

type Sdk = typeof import('@aws-sdk/client-secrets-manager');

export interface AwsClientOptions {
  /** Per-store credentials (a provider or static identity); default: the SDK's default chain. */
  credentials?: SecretsManagerClientConfig['credentials'];
  /** Who `credentials` act as (e.g. the assumed role's ARN), for AccessDenied advice. */
  identity?: string;
  /** An explicit endpoint; default: the SDK's resolution (AWS_ENDPOINT_URL[_SECRETS_MANAGER], else AWS's). */
  endpoint?: string;
  /** Environment to read (default process.env): AWS_REGION, AWS_ENDPOINT_URL(_SECRETS_MANAGER). */
  env?: Record<string, string | undefined>;
  /** Called with the SDK client once built (e.g. to add middleware for metrics or call counting). */
  instrument?: (client: SecretsManagerClient) => void;
  /** ListSecrets page size (1–100, default 100). */
  listPageSize?: number;
  /** Told of each Secrets Manager call. */
  onApiCall?: ApiCallObserver;
}

/** The region a store uses: `aws.region`, else AWS_REGION / AWS_DEFAULT_REGION (pure; for tests). */
export function storeRegion(cfg: AwsStoreConfig, env: Record<string, string | undefined>): string {
  const region = cfg.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  if (region === undefined) {
    throw new InvalidRefError("aws.region is not set (and AWS_REGION is not either): set the store's region");
  }
  return region;
}

/** The endpoint override the SDK will use, if any (named in network-failure messages). */
export function endpointOverride(env: Record<string, string | undefined>): string | undefined {
  return env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined;
}

/** The `provider` label ESO gives Secrets Manager calls. */
export const ESO_PROVIDER = 'AWS/SecretsManager';

/** Deadline of one Secrets Manager request (each of the SDK's 3 tries). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Creates an aws client; loads the SDK on first use. Throws InvalidRefError for a bad spec. */
export async function createAwsClient(spec: unknown, opts: AwsClientOptions = {}): Promise<AwsClient> {
  const cfg = parseAwsSpec(spec);
  const env = opts.env ?? process.env;
  if (opts.credentials === undefined) {
    // Falling back to the controller's identity would hand a store more than it asked for.
    const asked = [
      ...(cfg.auth ? [`auth (${Object.keys(cfg.auth).join(', ')})`] : []),
      ...(cfg.role !== undefined ? ['role'] : []),
      ...(cfg.additionalRoles.length > 0 ? ['additionalRoles'] : []),
    ];
    if (asked.length > 0) {
      throw new InvalidRefError(
        `aws.${asked.join(', aws.')} ${asked.length > 1 ? 'are' : 'is'} not supported yet; remove ` +
          `${asked.length > 1 ? 'them' : 'it'} to use the controller's own identity (IRSA, EKS Pod Identity ` +
          'or environment keys through the default credential chain)',
      );
    }
  }
  const region = storeRegion(cfg, env);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see header)
  const sdk = require('@aws-sdk/client-secrets-manager') as Sdk;
  const client = new sdk.SecretsManagerClient({
    region,
    retryMode: 'standard',
    maxAttempts: 3,
    // A store that accepts the connection and never answers must fail the attempt, not hold a
    // worker: the SDK's default is a 5-minute idle socket timeout per try (15 min over 3 tries).
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
  });
  opts.instrument?.(client);
  const seen = opts.onApiCall;
  const api: SmApi = {
    getSecretValue: observed(seen, ESO_PROVIDER, 'GetSecretValue', (input) =>
      client.send(new sdk.GetSecretValueCommand(input)),
    ),
    batchGetSecretValue: observed(seen, ESO_PROVIDER, 'BatchGetSecretValue', (input) =>
      client.send(new sdk.BatchGetSecretValueCommand(input)),
    ),
    describeSecret: observed(seen, ESO_PROVIDER, 'DescribeSecret', (input) =>
      client.send(new sdk.DescribeSecretCommand(input)),
    ),
    listSecrets: observed(seen, ESO_PROVIDER, 'ListSecrets', (input) =>
      client.send(new sdk.ListSecretsCommand(input)),
    ),
    destroy: () => client.destroy(),
  };
  const endpoint = opts.endpoint ?? endpointOverride(env);
  return new AwsClient(api, {
    region,
    prefix: cfg.prefix,
    storeCredentials: opts.credentials !== undefined,
    ...(opts.identity !== undefined && { identity: opts.identity }),
    ...(endpoint !== undefined && { endpoint }),
    ...(opts.listPageSize !== undefined && { listPageSize: opts.listPageSize }),
  });
}
