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
  /**
   * Many payloads at once (a provider may batch; the default is one call each). Keyed
   * `${key}@${version ?? ''}` (the ref as given); a key that failed maps to its typed Error.
   */
  getSecrets?(refs: RemoteKey[]): Promise<Map<string, Uint8Array | Error>>;
  /** Current payload of every secret matching the query, keyed by secret name. */
  findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>>;
  /**
   * getSecret that also names the version it read, as the tag currentVersion(ref) would have
   * returned for it (GCP: the version number in the access response), so that a sync records its
   * sources' versions without a second call.
   */
  getSecretWithTag?(ref: RemoteKey): Promise<{ value: Uint8Array; tag?: string }>;
  /** A cheap version tag for change detection (no payload), when the provider has one. */
  currentVersion?(ref: RemoteKey): Promise<string>;
  /**
   * Version tags of every secret in the store from one paged listing (AWS: ListSecrets with
   * SecretVersionsToStages), for stores where that costs fewer calls than currentVersion per key.
   * Rejects (typed errors) when the listing is refused, so the caller falls back to currentVersion.
   */
  sweepVersions?(): Promise<VersionSweep>;
  /**
   * Store validation: one cheap call that proves the store's endpoint and credentials work.
   * Resolves with zero or more one-line notes, each naming an optional permission found missing and
   * what it costs (e.g. ListSecrets denied: dataFrom.find is unavailable); the store is usable and
   * its Ready condition says them. Rejects with a typed ProviderError when the store cannot work
   * (unreachable, credentials rejected, no such project/region).
   */
  validate?(): Promise<string[]>;
  close(): Promise<void>;
}

/** The result of one sweepVersions listing. */
export interface VersionSweep {
  /** Provider calls the listing took (pages), so the caller can compare costs. */
  calls: number;
  /**
   * The tag currentVersion(ref) would have returned at listing time, or undefined when the
   * listing cannot say (the key is not listed, or the selector is not a listed version/stage):
   * the caller then asks currentVersion, which also reports a missing secret precisely.
   */
  tagOf(ref: RemoteKey): string | undefined;
}

/** A ServiceAccount a store's auth names, its namespace already resolved by src/providers/credentials/refs.ts. */
export interface ServiceAccountRef {
  name: string;
  namespace?: string;
}

/** Resolved, provider-neutral context a provider factory may use (src/providers/credentials and each cloud's identity code build credentials). */
/**
 * Told of every call to a provider's API (ESO's externalsecret_provider_api_calls_count): the
 * provider and call as ESO names them (`GCP/SecretManager`, `AccessSecretVersion`).
 */
export type ApiCallObserver = (provider: string, call: string, failed: boolean) => void;

export interface ProviderContext {
  /** Told of each call to the provider's API. */
  onApiCall?: ApiCallObserver;
  /** Namespace of the ExternalSecret being reconciled (for referent auth of cluster stores). */
  namespace: string;
  /** Reads a key of a Kubernetes Secret the store references (auth.secretRef). */
  readSecretKey(ref: { name: string; key: string; namespace?: string }): Promise<Uint8Array>;
  /**
   * The store being served: its kind and namespace decide which namespaces its auth may reference;
   * kind/namespace/name/uid/generation key the credential cache. Absent in offline validation.
   */
  store?: {
    kind: 'SecretStore' | 'ClusterSecretStore';
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
  };
  /**
   * TokenRequest for a ServiceAccount (workload identity). Rejects with the apiserver's status in
   * `code` (403: no `create` on serviceaccounts/token; 404: no such ServiceAccount).
   */
  requestServiceAccountToken?(
    ref: ServiceAccountRef,
    audiences: string[],
  ): Promise<{ token: string; expiresAt: number }>;
  /** Reads a ServiceAccount's annotations (the GSA or role it maps to); rejects like the above. */
  readServiceAccount?(ref: ServiceAccountRef): Promise<{ annotations: Record<string, string> }>;
}

export type ProviderName = 'gcpsm' | 'aws' | 'fake';
