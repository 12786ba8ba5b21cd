// Names of the external-secrets.io API and of the labels, annotations and condition reasons that
// ESO users and tools rely on. Values follow the External Secrets Operator so that objects and
// Secrets move between ESO and secretsync unchanged; secretsync's own extensions live under
// secretsync.io/.

export const API_GROUP = 'external-secrets.io';
/** The storage version. */
export const API_VERSION = 'v1';
/** Every served version, storage version first; all share one schema. */
export const API_VERSIONS = ['v1', 'v1beta1'] as const;
export type ApiVersionName = (typeof API_VERSIONS)[number];
/** `external-secrets.io/v1`, for building objects. */
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const KIND = {
  ExternalSecret: 'ExternalSecret',
  SecretStore: 'SecretStore',
  ClusterSecretStore: 'ClusterSecretStore',
  ClusterExternalSecret: 'ClusterExternalSecret',
} as const;
export type ApiKind = keyof typeof KIND;
export type StoreKind = typeof KIND.SecretStore | typeof KIND.ClusterSecretStore;

/** Resource (plural) names, as used in REST paths and RBAC rules. */
export const PLURAL = {
  ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores',
  ClusterSecretStore: 'clustersecretstores',
  ClusterExternalSecret: 'clusterexternalsecrets',
} as const satisfies Record<ApiKind, string>;

export const SHORT_NAME = {
  ExternalSecret: 'es',
  SecretStore: 'ss',
  ClusterSecretStore: 'css',
  ClusterExternalSecret: 'ces',
} as const satisfies Record<ApiKind, string>;

export const NAMESPACED = {
  ExternalSecret: true,
  SecretStore: true,
  ClusterSecretStore: false,
  ClusterExternalSecret: false,
} as const satisfies Record<ApiKind, boolean>;

/** Providers secretsync implements; the CRDs reject every other provider key. */
export const SUPPORTED_PROVIDERS = ['gcpsm', 'aws', 'fake'] as const;
export type ProviderName = (typeof SUPPORTED_PROVIDERS)[number];

/** Schema defaults and the behaviour of unset fields. */
export const DEFAULTS = {
  refreshInterval: '1h0m0s',
  refreshPolicy: 'Periodic',
  storeRefKind: KIND.SecretStore,
  creationPolicy: 'Owner',
  deletionPolicy: 'Retain',
  templateEngineVersion: 'v2',
  templateMergePolicy: 'Replace',
  gcpSecretVersionSelectionPolicy: 'LatestOrFail',
} as const;

export const ANNOTATION = {
  /** Any new value forces an immediate refresh of an ExternalSecret. */
  forceSync: 'external-secrets.io/force-sync',
  /** Unprefixed form shown in ESO's docs; treated the same as forceSync. */
  forceSyncShort: 'force-sync',
  /** On managed Secrets: hash of the data written by the controller. */
  dataHash: 'reconcile.external-secrets.io/data-hash',
  /** secretsync: cron schedule for refreshes of an ExternalSecret (instead of refreshInterval). */
  refreshSchedule: 'secretsync.io/refresh-schedule',
  /** secretsync: Pub/Sub subscription delivering secret rotation events, on a store. */
  pubsubSubscription: 'secretsync.io/pubsub-subscription',
  /** secretsync: SQS queue URL delivering secret rotation events, on a store. */
  sqsQueueUrl: 'secretsync.io/sqs-queue-url',
  /** secretsync: keys an ExternalSecret merged into a Secret it does not own (creationPolicy Merge). */
  mergedKeys: 'secretsync.io/merged-keys',
  /** secretsync: comma list of Secret names (regexes) whose changes roll a workload. */
  reload: 'secretsync.io/reload',
} as const;

export const LABEL = {
  /** On managed Secrets; the controller watches only Secrets carrying it. */
  managed: 'reconcile.external-secrets.io/managed',
  /** Value of the managed label. */
  managedValue: 'true',
  /** On Secrets created with creationPolicy Owner: the owning ExternalSecret. */
  createdBy: 'reconcile.external-secrets.io/created-by',
  /**
   * --sharding: `<prefix><ring>` = the replica whose watches hold the object (runtime/shard-labels.ts);
   * a cache filter, never part of what an ExternalSecret asks for.
   */
  shardPrefix: 'shard.secretsync.io/',
} as const;

/** Finalizers ESO may have left on objects; recognised so that they can be released. */
export const ESO_FINALIZER = {
  externalSecret: 'externalsecrets.external-secrets.io/externalsecret-cleanup',
  store: 'secretstore.externalsecrets.io/finalizer',
} as const;

export const CONDITION_TYPE = {
  Ready: 'Ready',
  Deleted: 'Deleted',
} as const;

export const CONDITION_STATUS = {
  True: 'True',
  False: 'False',
  Unknown: 'Unknown',
} as const;
export type ConditionStatus = (typeof CONDITION_STATUS)[keyof typeof CONDITION_STATUS];

/** Reasons on an ExternalSecret's conditions and Events. */
export const ES_REASON = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  SecretDeleted: 'SecretDeleted',
  SecretMissing: 'SecretMissing',
  UpdateFailed: 'UpdateFailed',
  Created: 'Created',
  Updated: 'Updated',
  Deleted: 'Deleted',
  MissingProviderSecret: 'MissingProviderSecret',
  ParameterDeprecated: 'ParameterDeprecated',
  // secretsync's own Ready=False reasons, each saying what to fix.
  StoreNotFound: 'StoreNotFound',
  StoreNotAllowed: 'StoreNotAllowed',
  RemoteKeyNotFound: 'RemoteKeyNotFound',
  TemplateError: 'TemplateError',
  /** A ConfigMap or Secret named by templateFrom (or one of its keys) is missing. */
  TemplateSourceNotFound: 'TemplateSourceNotFound',
  SecretNotOwned: 'SecretNotOwned',
  UnsupportedField: 'UnsupportedField',
  InvalidSpec: 'InvalidSpec',
} as const;
export type ExternalSecretReason = (typeof ES_REASON)[keyof typeof ES_REASON];

/** Reasons on a store's Ready condition and Events. */
export const STORE_REASON = {
  Valid: 'Valid',
  InvalidStoreConfiguration: 'InvalidStoreConfiguration',
  InvalidProviderConfig: 'InvalidProviderConfig',
  ValidationFailed: 'ValidationFailed',
  ValidationUnknown: 'ValidationUnknown',
} as const;
export type StoreReason = (typeof STORE_REASON)[keyof typeof STORE_REASON];

export const STORE_CAPABILITIES = {
  ReadOnly: 'ReadOnly',
  WriteOnly: 'WriteOnly',
  ReadWrite: 'ReadWrite',
} as const;

/** Stakater Reloader annotations that secretsync honours on workloads and Secrets. */
export const RELOADER_ANNOTATION = {
  auto: 'reloader.stakater.com/auto',
  secretAuto: 'secret.reloader.stakater.com/auto',
  secretReload: 'secret.reloader.stakater.com/reload',
  secretExclude: 'secrets.exclude.reloader.stakater.com/reload',
  search: 'reloader.stakater.com/search',
  match: 'reloader.stakater.com/match',
  ignore: 'reloader.stakater.com/ignore',
  /** On a workload's metadata: `restart` restarts its pods without touching its pod template. */
  rolloutStrategy: 'reloader.stakater.com/rollout-strategy',
} as const;

// ── Rollout controller (src/controllers/rollout/) ─────────────────────────────────────────────
/**
 * Reloader's pause-period, one annotation per workload kind (Reloader reads the Deployment one;
 * the StatefulSet and DaemonSet ones follow its naming): a Go duration on the workload's metadata.
 */
export const RELOADER_PAUSE_PERIOD_ANNOTATION = {
  Deployment: 'deployment.reloader.stakater.com/pause-period',
  StatefulSet: 'statefulset.reloader.stakater.com/pause-period',
  DaemonSet: 'daemonset.reloader.stakater.com/pause-period',
} as const;

/** Reloader's ConfigMap counterparts of the Secret annotations above. */
export const RELOADER_CONFIGMAP_ANNOTATION = {
  auto: 'configmap.reloader.stakater.com/auto',
  reload: 'configmap.reloader.stakater.com/reload',
  exclude: 'configmaps.exclude.reloader.stakater.com/reload',
} as const;

/** secretsync's own rollout annotations. */
export const ROLLOUT_ANNOTATION = {
  /** On a workload: "true" (every referenced Secret and ConfigMap) or a comma list of name regexes. */
  reload: ANNOTATION.reload,
  /** On a workload: `secret` hashes whole objects instead of the keys the pod spec reads. */
  reloadScope: 'secretsync.io/reload-scope',
  /** On a workload's metadata: the consumed-content hash its pods were last rolled (or first seen) at. */
  lastHash: 'secretsync.io/last-reload-hash',
  /** On a workload's metadata: per-object digests behind lastHash (decides appeared/changed/removed). */
  lastObjects: 'secretsync.io/last-reload-objects',
  /** On a pod template: when secretsync last restarted the pods. */
  restartedAt: 'secretsync.io/restartedAt',
  /** On a pod template: the consumed-content hash the pods were started with. */
  templateHash: 'secretsync.io/reload-hash',
  /**
   * On a workload's metadata, with rollout-strategy restart: pods created before this instant are
   * evicted (the pod template stays as it is).
   */
  restartRequestedAt: 'secretsync.io/restart-requested-at',
  /** On a workload: a cron expression; restarts wait for a minute it matches (rollout/window.ts). */
  rolloutWindow: 'secretsync.io/rollout-window',
} as const;

/** Reasons on rollout Events. */
export const ROLLOUT_REASON = {
  Rollout: 'RolloutTriggered',
  Paused: 'RolloutPaused',
  OnDelete: 'RolloutOnDelete',
  InvalidAnnotation: 'InvalidReloadAnnotation',
  /** A Reloader annotation secretsync does not honour (api/unsupported-fields.ts). */
  UnsupportedAnnotation: 'UnsupportedAnnotation',
  Forbidden: 'RolloutForbidden',
  Failed: 'RolloutFailed',
  /** A restart waits: pods of the workload cannot pull their image (rollout/hold.ts). */
  Held: 'RolloutHeld',
  /** rollout-strategy restart: an eviction was refused (a PodDisruptionBudget); tried again later. */
  EvictionRefused: 'RolloutEvictionRefused',
  /** A restart waits: --max-concurrent-rollouts rollouts are in flight. */
  MaxConcurrent: 'MaxConcurrentRollouts',
  /** A restart waits for the workload's secretsync.io/rollout-window to open. */
  Window: 'RolloutWindow',
  /** A rollout stopped counting as in flight without completing (timeout or stalled). */
  ProgressTimeout: 'RolloutProgressTimeout',
} as const;
