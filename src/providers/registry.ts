// Picks the provider for a store's `spec.provider` and builds its client. One entry per provider
// in FACTORIES; SDK-backed providers load their SDK inside their factory (not at import), so this
// module stays cheap to import and a controller without, say, a gcpsm store never loads that SDK.

import { withAwsIdentity } from './aws/identity';
import { withGcpIdentity } from './gcp/identity';
import { createAwsClient, type AwsClientOptions } from './aws';
import { InvalidRefError } from './core/errors';
import { createFakeClient } from './fake';
import { createGcpClient, type GcpClientOptions } from './gcp';
import type { ProviderContext, ProviderName, SecretsClient } from './core/types';

export interface CreateClientOptions {
  /** gcpsm: per-store credentials and the environment to read. */
  gcp?: GcpClientOptions;
  /** aws: per-store credentials and the environment to read. */
  aws?: AwsClientOptions;
}

type Factory = (spec: unknown, ctx: ProviderContext, opts: CreateClientOptions) => Promise<SecretsClient>;

/** The provider options with the context's API call observer, if any. */
function observing<O extends { onApiCall?: ProviderContext['onApiCall'] }>(
  opts: O | undefined,
  ctx: ProviderContext,
): O | undefined {
  return ctx.onApiCall ? ({ ...opts, onApiCall: ctx.onApiCall } as O) : opts;
}

const FACTORIES: Record<ProviderName, Factory> = {
  fake: async (spec) => createFakeClient(spec),
  // Per-store identities (gcpsm.auth, aws.auth / aws.role) become the factories' credentials.
  gcpsm: (spec, ctx, opts) => withGcpIdentity(spec, ctx, observing(opts.gcp, ctx), createGcpClient),
  aws: (spec, ctx, opts) => withAwsIdentity(spec, ctx, observing(opts.aws, ctx), createAwsClient),
};

/** Providers a store may name today (for admission messages and docs). */
export const SUPPORTED_PROVIDERS: readonly string[] = Object.keys(FACTORIES);
const SUPPORTED = SUPPORTED_PROVIDERS;

/** Builds the client for `spec.provider` (exactly one provider key). */
export async function createClient(
  storeSpecProvider: Record<string, unknown>,
  ctx: ProviderContext,
  opts: CreateClientOptions = {},
): Promise<SecretsClient> {
  const names = Object.keys(storeSpecProvider ?? {}).filter((k) => storeSpecProvider[k] != null);
  if (names.length !== 1) {
    throw new InvalidRefError(
      names.length === 0
        ? `the store names no provider; set exactly one of: ${SUPPORTED.join(', ')}`
        : `the store names ${names.length} providers (${names.join(', ')}); set exactly one`,
    );
  }
  const name = names[0]!;
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name as ProviderName] : undefined;
  if (!factory) {
    throw new InvalidRefError(
      `provider "${name}" is not supported; supported providers: ${SUPPORTED.join(', ')}`,
    );
  }
  return factory(storeSpecProvider[name], ctx, opts);
}
