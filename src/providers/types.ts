// The narrow contract every secret store implements. Providers fetch bytes and throw the typed
// errors of ./errors; they know nothing about Kubernetes objects, so a fake satisfies the same
// contract tests as the real SDK-backed providers.

/** One remote value: a secret name (provider syntax) and an optional version selector. */
export interface RemoteKey {
  key: string;
  /** Provider-specific: GCP version number or `latest`; AWS stage (`AWSCURRENT`) or `uuid/<id>`. */
  version?: string;
}

/** dataFrom.find, already validated: `nameRegexp` uses RE2 syntax (unanchored). */
export interface FindQuery {
  nameRegexp?: string;
  tags?: Record<string, string>;
  /** Name prefix. */
  path?: string;
}

export interface SecretsClient {
  /** Payload of one version. Throws NoSecretError when the key or version does not exist. */
  getSecret(ref: RemoteKey): Promise<Uint8Array>;
  /** Many payloads at once (a provider may batch; the default is one call each). */
  getSecrets?(refs: RemoteKey[]): Promise<Map<string, Uint8Array | Error>>;
  /** Current payload of every secret matching the query, keyed by secret name. */
  findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>>;
  /** A cheap version tag for change detection (no payload), when the provider has one. */
  currentVersion?(ref: RemoteKey): Promise<string>;
  close(): Promise<void>;
}

/** Resolved, provider-neutral context a provider factory may use (credentials come later). */
export interface ProviderContext {
  /** Namespace of the ExternalSecret being reconciled (for referent auth of cluster stores). */
  namespace: string;
  /** Reads a key of a Kubernetes Secret the store references (auth.secretRef). */
  readSecretKey(ref: { name: string; key: string; namespace?: string }): Promise<Uint8Array>;
}

export type ProviderName = 'gcpsm' | 'aws' | 'fake';
