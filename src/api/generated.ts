/**
 * Types of the external-secrets.io API served by secretsync (ExternalSecret, SecretStore,
 * ClusterSecretStore, ClusterExternalSecret), generated from the v1 schemas in crds/*.yaml by scripts/gen-api-types.mjs.
 * Do not edit: change the CRDs and run `npm run gen:api`.
 */
// V1ObjectMeta keeps these types compatible with client-node's KubernetesObject; note that objects read
// as JSON carry creationTimestamp/deletionTimestamp as strings, not the Dates the class declares.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/**
 * Kind of the store; SecretStore when unset.
 */
export type SecretStoreKind = 'SecretStore' | 'ClusterSecretStore';
/**
 * Owner creates and owns the Secret; Orphan creates it without owner; Merge only adds keys to an existing Secret; None writes nothing; CreateOrMerge creates it if missing, else merges, without owner.
 */
export type ExternalSecretCreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None' | 'CreateOrMerge';
/**
 * What happens when all remote secrets are gone: Retain keeps the Secret, Delete removes it, Merge removes our keys.
 */
export type ExternalSecretDeletionPolicy = 'Delete' | 'Merge' | 'Retain';
/**
 * Template engine; v2 (Go templates with Sprig) when unset. v1 is accepted for old manifests.
 */
export type TemplateEngineVersion = 'v1' | 'v2';
/**
 * Replace keeps only the templated keys; Merge adds them to the fetched data.
 */
export type TemplateMergePolicy = 'Replace' | 'Merge';
/**
 * Whether only values or keys and values are templated; Values when unset.
 */
export type TemplateScope = 'Values' | 'KeysAndValues';
/**
 * How rendered values are decoded; None when unset.
 */
export type ExternalSecretDecodingStrategy = 'Auto' | 'Base64' | 'Base64URL' | 'None';
/**
 * Periodic (behaviour when unset) refreshes every refreshInterval; OnChange only when the ExternalSecret changes; CreatedOnce only creates the Secret.
 */
export type ExternalSecretRefreshPolicy = 'CreatedOnce' | 'Periodic' | 'OnChange';
/**
 * allow: refresh only inside a window; deny: never inside a window.
 */
export type ExternalSecretSyncWindowKind = 'allow' | 'deny';
/**
 * Fetch reads the secret metadata (labels/tags) instead of its value; None when unset.
 */
export type ExternalSecretMetadataPolicy = 'None' | 'Fetch';
/**
 * How fetched values are converted; Default when unset.
 */
export type ExternalSecretConversionStrategy = 'Default' | 'Unicode';
/**
 * What to do when a fetched value contains NUL bytes; Ignore when unset.
 */
export type ExternalSecretNullBytePolicy = 'Ignore' | 'Fail';
/**
 * Condition type.
 */
export type ExternalSecretConditionType = 'Ready' | 'Deleted';
/**
 * LatestOrFail fails when the latest version is disabled or destroyed; LatestOrFetch falls back to the newest enabled version.
 */
export type SecretVersionSelectionPolicy = 'LatestOrFail' | 'LatestOrFetch';
/**
 * AWS service; secretsync supports SecretsManager.
 */
export type AWSServiceType = 'SecretsManager' | 'ParameterStore' | 'CertificateManager';
/**
 * None adds no session tags; Simple adds the store and namespace tags; Custom adds those plus customSessionTags.
 */
export type SessionTagsPolicy = 'None' | 'Simple' | 'Custom';
/**
 * In, NotIn, Exists or DoesNotExist.
 */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/**
 * Fetches secrets from a store and writes them into a Kubernetes Secret.
 */
export interface ExternalSecret {
  /**
   * API version of the object.
   */
  apiVersion?: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  /**
   * Kind of the object.
   */
  kind?: 'ExternalSecret';
  /**
   * Standard object metadata.
   */
  metadata?: V1ObjectMeta;
  spec: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}
/**
 * What to fetch, from where, and the Secret to write.
 */
export interface ExternalSecretSpec {
  secretStoreRef?: SecretStoreRef;
  target?: ExternalSecretTarget;
  refreshPolicy?: ExternalSecretRefreshPolicy;
  /**
   * Time between refreshes; 0s fetches once.
   */
  refreshInterval?: string;
  syncWindows?: ExternalSecretSyncWindows;
  /**
   * Single values, each written under its own Secret key (secretKey values must be unique).
   *
   * @maxItems 1000
   */
  data?: ExternalSecretData[];
  /**
   * Many values at once; later entries override earlier ones.
   *
   * @maxItems 1000
   */
  dataFrom?: ExternalSecretDataFromRemoteRef[];
}
/**
 * Store that entries read from unless they set sourceRef.
 */
export interface SecretStoreRef {
  /**
   * Name of the SecretStore or ClusterSecretStore.
   */
  name?: string;
  kind?: SecretStoreKind;
}
/**
 * The Secret to write.
 */
export interface ExternalSecretTarget {
  /**
   * Name of the Secret; the ExternalSecret name when unset.
   */
  name?: string;
  creationPolicy?: ExternalSecretCreationPolicy;
  deletionPolicy?: ExternalSecretDeletionPolicy;
  /**
   * Makes the written Secret immutable.
   */
  immutable?: boolean;
  template?: ExternalSecretTemplate;
  manifest?: ManifestReference;
}
/**
 * Blueprint for the Secret written by the controller.
 */
export interface ExternalSecretTemplate {
  /**
   * Type of the Secret (e.g. Opaque, kubernetes.io/tls).
   */
  type?: string;
  engineVersion?: TemplateEngineVersion;
  metadata?: ExternalSecretTemplateMetadata;
  mergePolicy?: TemplateMergePolicy;
  /**
   * Templates keyed by Secret key.
   */
  data?: {
    [k: string]: string;
  };
  /**
   * Templates read from ConfigMaps, Secrets or given inline.
   *
   * @maxItems 1000
   */
  templateFrom?: TemplateFrom[];
}
/**
 * Labels, annotations and finalizers for the Secret.
 */
export interface ExternalSecretTemplateMetadata {
  /**
   * Annotations for the Secret.
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Labels for the Secret.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Finalizers for the Secret.
   */
  finalizers?: string[];
}
export interface TemplateFrom {
  configMap?: TemplateRef;
  secret?: TemplateRef;
  /**
   * Part of the Secret the result goes to: Data (default), Annotations or Labels.
   */
  target?: string;
  /**
   * Inline template.
   */
  literal?: string;
  valuesDecodingStrategy?: ExternalSecretDecodingStrategy;
}
/**
 * ConfigMap holding templates.
 */
export interface TemplateRef {
  /**
   * Name of the resource in the ExternalSecret namespace.
   */
  name: string;
  /**
   * Keys of the resource to use as templates.
   *
   * @maxItems 1000
   */
  items: TemplateRefItem[];
}
export interface TemplateRefItem {
  /**
   * Key in the resource.
   */
  key: string;
  templateAs?: TemplateScope;
}
/**
 * Kind of resource to write. secretsync writes only Secrets (apiVersion v1, kind Secret).
 */
export interface ManifestReference {
  /**
   * API version of the resource.
   */
  apiVersion: string;
  /**
   * Kind of the resource.
   */
  kind: string;
}
/**
 * Limits when periodic refreshes run (UTC).
 */
export interface ExternalSecretSyncWindows {
  kind: ExternalSecretSyncWindowKind;
  /**
   * Windows, each opening at a cron schedule for a duration.
   *
   * @minItems 1
   * @maxItems 100
   */
  windows: ExternalSecretSyncWindowEntry[];
}
export interface ExternalSecretSyncWindowEntry {
  /**
   * Five-field cron expression or @hourly, @daily, @every 1h and similar.
   */
  schedule: string;
  /**
   * How long each window stays open.
   */
  duration: string;
}
export interface ExternalSecretData {
  /**
   * Key in the Secret that receives the value.
   */
  secretKey: string;
  remoteRef: ExternalSecretDataRemoteRef;
  sourceRef?: StoreSourceRef;
}
/**
 * The remote secret to read.
 */
export interface ExternalSecretDataRemoteRef {
  /**
   * Name or path of the secret in the provider (for GCP a short name or a full projects/.../secrets/... name).
   */
  key: string;
  /**
   * Field to pick when the remote value is a JSON object (dots select nested fields).
   */
  property?: string;
  /**
   * Version of the remote secret to read; the latest when unset.
   */
  version?: string;
  metadataPolicy?: ExternalSecretMetadataPolicy;
  conversionStrategy?: ExternalSecretConversionStrategy;
  decodingStrategy?: ExternalSecretDecodingStrategy;
  nullBytePolicy?: ExternalSecretNullBytePolicy;
}
/**
 * Reads this entry from another store instead of spec.secretStoreRef.
 */
export interface StoreSourceRef {
  storeRef?: SecretStoreRef;
  generatorRef?: GeneratorRef;
}
/**
 * Reference to a generator resource. Not supported by secretsync.
 */
export interface GeneratorRef {
  /**
   * API version of the generator.
   */
  apiVersion?: string;
  /**
   * Kind of the generator.
   */
  kind: string;
  /**
   * Name of the generator.
   */
  name: string;
}
export interface ExternalSecretDataFromRemoteRef {
  extract?: ExternalSecretDataRemoteRef;
  find?: ExternalSecretFind;
  /**
   * Key rewrites applied in order to the fetched keys.
   *
   * @maxItems 100
   */
  rewrite?: ExternalSecretRewrite[];
  sourceRef?: StoreGeneratorSourceRef;
}
/**
 * Reads every remote secret that matches.
 */
export interface ExternalSecretFind {
  /**
   * Only secrets whose name starts with this prefix.
   */
  path?: string;
  name?: FindName;
  /**
   * Only secrets carrying all these tags/labels.
   */
  tags?: {
    [k: string]: string;
  };
  conversionStrategy?: ExternalSecretConversionStrategy;
  decodingStrategy?: ExternalSecretDecodingStrategy;
  nullBytePolicy?: ExternalSecretNullBytePolicy;
}
/**
 * Match on the secret name.
 */
export interface FindName {
  /**
   * Unanchored RE2 expression matched against the name.
   */
  regexp?: string;
}
export interface ExternalSecretRewrite {
  regexp?: ExternalSecretRewriteRegexp;
  transform?: ExternalSecretRewriteTransform;
  merge?: ExternalSecretRewriteMerge;
}
/**
 * Replaces every match of source in a key with target (RE2 syntax).
 */
export interface ExternalSecretRewriteRegexp {
  /**
   * Regular expression.
   */
  source: string;
  /**
   * Replacement; $1 etc. refer to groups.
   */
  target: string;
}
/**
 * Renders a template for each key; .value is the key.
 */
export interface ExternalSecretRewriteTransform {
  /**
   * Template producing the new key.
   */
  template: string;
}
/**
 * Merges the values of several keys into one Secret.
 */
export interface ExternalSecretRewriteMerge {
  /**
   * Key to merge into; needed with strategy JSON.
   */
  into?: string;
  /**
   * Keys that win conflicts, in order.
   */
  priority?: string[];
  /**
   * Strict fails when a priority key is missing; IgnoreNotFound skips it.
   */
  priorityPolicy?: 'IgnoreNotFound' | 'Strict';
  /**
   * What to do on a key conflict.
   */
  conflictPolicy?: 'Ignore' | 'Error';
  /**
   * How values are merged.
   */
  strategy?: 'Extract' | 'JSON';
}
/**
 * Reads this entry from another store instead of spec.secretStoreRef.
 */
export interface StoreGeneratorSourceRef {
  storeRef?: SecretStoreRef;
  generatorRef?: GeneratorRef;
}
/**
 * Observed state, written by the controller.
 */
export interface ExternalSecretStatus {
  /**
   * When the Secret was last fetched and written.
   */
  refreshTime?: string | null;
  /**
   * Generation and metadata hash of the ExternalSecret last synced.
   */
  syncedResourceVersion?: string;
  /**
   * Ready and Deleted conditions.
   */
  conditions?: ExternalSecretStatusCondition[];
  binding?: SecretBinding;
}
export interface ExternalSecretStatusCondition {
  type: ExternalSecretConditionType;
  /**
   * True, False or Unknown.
   */
  status: string;
  /**
   * Machine-readable reason.
   */
  reason?: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * When the status last changed.
   */
  lastTransitionTime?: string;
}
/**
 * Service binding reference to the written Secret.
 */
export interface SecretBinding {
  /**
   * Name of the Secret.
   */
  name?: string;
}
/**
 * A list of ExternalSecret objects, as returned by the API server.
 */
export interface ExternalSecretList {
  apiVersion?: string;
  kind?: 'ExternalSecretList';
  metadata?: ListMeta;
  items: ExternalSecret[];
}
/**
 * Metadata of a list response, as JSON.
 */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}
/**
 * Secret key holding the service account JSON key.
 */
export interface SecretKeySelector {
  /**
   * Name of the Secret.
   */
  name?: string;
  /**
   * Key in the Secret.
   */
  key?: string;
  /**
   * Namespace of the Secret; only honoured for ClusterSecretStore.
   */
  namespace?: string;
}
/**
 * Service account key JSON stored in a Secret.
 */
export interface GCPSMAuthSecretRef {
  secretAccessKeySecretRef?: SecretKeySelector;
}
/**
 * ServiceAccount bound to a Google service account.
 */
export interface ServiceAccountSelector {
  /**
   * Name of the ServiceAccount.
   */
  name: string;
  /**
   * Namespace of the ServiceAccount; only honoured for ClusterSecretStore.
   */
  namespace?: string;
  /**
   * Audiences for the requested token.
   */
  audiences?: string[];
}
/**
 * GKE Workload Identity through a Kubernetes ServiceAccount.
 */
export interface GCPWorkloadIdentity {
  serviceAccountRef: ServiceAccountSelector;
  /**
   * Location of the GKE cluster; discovered when unset.
   */
  clusterLocation?: string;
  /**
   * Name of the GKE cluster; discovered when unset.
   */
  clusterName?: string;
  /**
   * Project of the GKE cluster; projectID when unset.
   */
  clusterProjectID?: string;
}
/**
 * ConfigMap key holding the credential configuration JSON.
 */
export interface ConfigMapReference {
  /**
   * Name of the ConfigMap.
   */
  name: string;
  /**
   * Namespace of the ConfigMap; only honoured for ClusterSecretStore.
   */
  namespace?: string;
  /**
   * Key in the ConfigMap.
   */
  key: string;
}
/**
 * Secret with aws_access_key_id, aws_secret_access_key and optionally aws_session_token.
 */
export interface SecretReference {
  /**
   * Name of the Secret.
   */
  name: string;
  /**
   * Namespace of the Secret; only honoured for ClusterSecretStore.
   */
  namespace?: string;
}
/**
 * AWS credentials used as the external identity.
 */
export interface AwsCredentialsConfig {
  /**
   * AWS region.
   */
  region: string;
  awsCredentialsSecretRef: SecretReference;
}
/**
 * Workload Identity Federation with an external credential configuration.
 */
export interface GCPWorkloadIdentityFederation {
  credConfig?: ConfigMapReference;
  serviceAccountRef?: ServiceAccountSelector;
  awsSecurityCredentials?: AwsCredentialsConfig;
  /**
   * Audience of the workload identity pool provider.
   */
  audience?: string;
  /**
   * Endpoint that issues the external token.
   */
  externalTokenEndpoint?: string;
  /**
   * Google service account to impersonate.
   */
  gcpServiceAccountEmail?: string;
}
/**
 * How to authenticate; the controller own identity (ADC / GKE Workload Identity) when unset.
 */
export interface GCPSMAuth {
  secretRef?: GCPSMAuthSecretRef;
  workloadIdentity?: GCPWorkloadIdentity;
  workloadIdentityFederation?: GCPWorkloadIdentityFederation;
}
/**
 * Google Cloud Secret Manager.
 */
export interface GCPSMProvider {
  /**
   * Project that holds the secrets; from the credentials or metadata server when unset.
   */
  projectID?: string;
  /**
   * Region for regional secrets; global secrets when unset.
   */
  location?: string;
  secretVersionSelectionPolicy?: SecretVersionSelectionPolicy;
  auth?: GCPSMAuth;
}
export interface Tag {
  /**
   * Tag key.
   */
  key: string;
  /**
   * Tag value.
   */
  value: string;
}
/**
 * Secrets Manager options (used when deleting secrets).
 */
export interface SecretsManager {
  /**
   * Delete without a recovery window.
   */
  forceDeleteWithoutRecovery?: boolean;
  /**
   * Recovery window in days (7 to 30).
   */
  recoveryWindowInDays?: number;
}
/**
 * Static access keys stored in Secrets.
 */
export interface AWSAuthSecretRef {
  accessKeyIDSecretRef?: SecretKeySelector;
  secretAccessKeySecretRef?: SecretKeySelector;
  sessionTokenSecretRef?: SecretKeySelector;
}
/**
 * Web identity through a Kubernetes ServiceAccount token (IRSA role annotation).
 */
export interface AWSJWTAuth {
  serviceAccountRef?: ServiceAccountSelector;
}
/**
 * How to authenticate; the default AWS credential chain (IRSA, Pod Identity, ...) when unset.
 */
export interface AWSAuth {
  secretRef?: AWSAuthSecretRef;
  jwt?: AWSJWTAuth;
}
/**
 * AWS Secrets Manager.
 */
export interface AWSProvider {
  service: AWSServiceType;
  /**
   * AWS region.
   */
  region: string;
  /**
   * Role ARN to assume.
   */
  role?: string;
  /**
   * Role ARNs assumed in order before role.
   */
  additionalRoles?: string[];
  /**
   * External ID for assuming the role.
   */
  externalID?: string;
  /**
   * Session tags for assumed roles.
   */
  sessionTags?: Tag[];
  /**
   * Session tag keys passed on to chained roles.
   */
  transitiveTagKeys?: string[];
  sessionTagsPolicy?: SessionTagsPolicy;
  /**
   * Extra session tags for sessionTagsPolicy Custom.
   */
  customSessionTags?: {
    [k: string]: string;
  };
  /**
   * Prefix added to every remote key.
   */
  prefix?: string;
  secretsManager?: SecretsManager;
  auth?: AWSAuth;
}
export interface FakeProviderData {
  /**
   * Remote key.
   */
  key: string;
  /**
   * Value.
   */
  value?: string;
  /**
   * Value given as a map, served as JSON (older releases).
   */
  valueMap?: {
    [k: string]: string;
  };
  /**
   * Version of the value.
   */
  version?: string;
}
/**
 * Static in-memory values, for tests and demos.
 */
export interface FakeProvider {
  /**
   * The values served by the store.
   */
  data: FakeProviderData[];
  /**
   * Store validation result to report: 0 Ready, 1 Unknown, 2 Error.
   */
  validationResult?: number;
}
/**
 * The secret backend; exactly one of gcpsm, aws or fake.
 */
export interface SecretStoreProvider {
  gcpsm?: GCPSMProvider;
  aws?: AWSProvider;
  fake?: FakeProvider;
}
/**
 * Retries of failed provider calls.
 */
export interface SecretStoreRetrySettings {
  /**
   * Maximum number of retries.
   */
  maxRetries?: number;
  /**
   * Wait between retries.
   */
  retryInterval?: string;
}
export interface LabelSelectorRequirement {
  /**
   * Label key.
   */
  key: string;
  /**
   * In, NotIn, Exists or DoesNotExist.
   */
  operator: string;
  /**
   * Values for In and NotIn.
   */
  values?: string[];
}
/**
 * Label selector for namespaces.
 */
export interface LabelSelector {
  /**
   * Labels a namespace must carry.
   */
  matchLabels?: {
    [k: string]: string;
  };
  /**
   * Set-based requirements.
   */
  matchExpressions?: LabelSelectorRequirement[];
}
export interface ClusterSecretStoreCondition {
  namespaceSelector?: LabelSelector;
  /**
   * Namespace names.
   */
  namespaces?: string[];
  /**
   * Regular expressions matched against namespace names.
   */
  namespaceRegexes?: string[];
}
/**
 * Provider configuration and store settings.
 */
export interface SecretStoreSpec {
  /**
   * Controller class that handles this store; any controller when unset.
   */
  controller?: string;
  provider: SecretStoreProvider;
  retrySettings?: SecretStoreRetrySettings;
  /**
   * How often the store is re-validated: seconds as an integer, or a duration such as 5m; the controller default when unset or 0.
   */
  refreshInterval?: number | string;
  /**
   * ClusterSecretStore only: namespaces whose ExternalSecrets may use the store (any match allows).
   */
  conditions?: ClusterSecretStoreCondition[];
}
export interface SecretStoreStatusCondition {
  /**
   * Condition type.
   */
  type: string;
  /**
   * True, False or Unknown.
   */
  status: string;
  /**
   * Machine-readable reason.
   */
  reason?: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * When the status last changed.
   */
  lastTransitionTime?: string;
}
/**
 * Observed state, written by the controller.
 */
export interface SecretStoreStatus {
  /**
   * Ready condition.
   */
  conditions?: SecretStoreStatusCondition[];
  /**
   * ReadOnly, WriteOnly or ReadWrite.
   */
  capabilities?: string;
}
/**
 * Where and how to read secrets, for ExternalSecrets in the same namespace.
 */
export interface SecretStore {
  /**
   * API version of the object.
   */
  apiVersion?: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  /**
   * Kind of the object.
   */
  kind?: 'SecretStore';
  /**
   * Standard object metadata.
   */
  metadata?: V1ObjectMeta;
  spec: SecretStoreSpec;
  status?: SecretStoreStatus;
}
/**
 * A list of SecretStore objects, as returned by the API server.
 */
export interface SecretStoreList {
  apiVersion?: string;
  kind?: 'SecretStoreList';
  metadata?: ListMeta;
  items: SecretStore[];
}
/**
 * Where and how to read secrets, for ExternalSecrets in any allowed namespace.
 */
export interface ClusterSecretStore {
  /**
   * API version of the object.
   */
  apiVersion?: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  /**
   * Kind of the object.
   */
  kind?: 'ClusterSecretStore';
  /**
   * Standard object metadata.
   */
  metadata?: V1ObjectMeta;
  spec: SecretStoreSpec;
  status?: SecretStoreStatus;
}
/**
 * A list of ClusterSecretStore objects, as returned by the API server.
 */
export interface ClusterSecretStoreList {
  apiVersion?: string;
  kind?: 'ClusterSecretStoreList';
  metadata?: ListMeta;
  items: ClusterSecretStore[];
}
/**
 * Labels and annotations of the ExternalSecrets to create.
 */
export interface ExternalSecretMetadata {
  /**
   * Annotations of each ExternalSecret.
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Labels of each ExternalSecret.
   */
  labels?: {
    [k: string]: string;
  };
}
export interface NamespaceLabelSelectorRequirement {
  /**
   * Label key.
   */
  key: string;
  operator: LabelSelectorOperator;
  /**
   * Values for In and NotIn.
   *
   * @maxItems 100
   */
  values?: string[];
}
/**
 * Label selector for namespaces (deprecated by ESO; use namespaceSelectors).
 */
export interface NamespaceLabelSelector {
  /**
   * Labels a namespace must carry.
   */
  matchLabels?: {
    [k: string]: string;
  };
  /**
   * Set-based requirements.
   *
   * @maxItems 50
   */
  matchExpressions?: NamespaceLabelSelectorRequirement[];
}
/**
 * The ExternalSecret to create and the namespaces to create it in.
 */
export interface ClusterExternalSecretSpec {
  externalSecretSpec: ExternalSecretSpec;
  /**
   * Name of the ExternalSecrets to create; the ClusterExternalSecret's name when unset.
   */
  externalSecretName?: string;
  externalSecretMetadata?: ExternalSecretMetadata;
  namespaceSelector?: NamespaceLabelSelector;
  /**
   * Label selectors for namespaces; a namespace matching any of them is selected.
   *
   * @maxItems 100
   */
  namespaceSelectors?: NamespaceLabelSelector[];
  /**
   * Namespace names, selected in addition to the selectors' (deprecated by ESO; use namespaceSelectors).
   *
   * @maxItems 1000
   */
  namespaces?: string[];
  /**
   * How often the namespaces are checked again and the ExternalSecrets put back as specified; 1m when unset.
   */
  refreshTime?: string;
}
export interface ClusterExternalSecretNamespaceFailure {
  /**
   * The namespace.
   */
  namespace: string;
  /**
   * Why it failed.
   */
  reason?: string;
}
export interface ClusterExternalSecretStatusCondition {
  /**
   * Condition type.
   */
  type: string;
  /**
   * True, False or Unknown.
   */
  status: string;
  /**
   * Machine-readable reason.
   */
  reason?: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * When the status last changed.
   */
  lastTransitionTime?: string;
}
/**
 * Observed state, written by the controller.
 */
export interface ClusterExternalSecretStatus {
  /**
   * Name of the ExternalSecrets created.
   */
  externalSecretName?: string;
  /**
   * Namespaces that hold the ExternalSecret as specified.
   */
  provisionedNamespaces?: string[];
  /**
   * Namespaces where the ExternalSecret could not be created, updated or removed, and why.
   */
  failedNamespaces?: ClusterExternalSecretNamespaceFailure[];
  /**
   * The Ready condition.
   */
  conditions?: ClusterExternalSecretStatusCondition[];
}
/**
 * Creates one ExternalSecret, from one spec, in every namespace it selects.
 */
export interface ClusterExternalSecret {
  /**
   * API version of the object.
   */
  apiVersion?: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  /**
   * Kind of the object.
   */
  kind?: 'ClusterExternalSecret';
  /**
   * Standard object metadata.
   */
  metadata?: V1ObjectMeta;
  spec: ClusterExternalSecretSpec;
  status?: ClusterExternalSecretStatus;
}
/**
 * A list of ClusterExternalSecret objects, as returned by the API server.
 */
export interface ClusterExternalSecretList {
  apiVersion?: string;
  kind?: 'ClusterExternalSecretList';
  metadata?: ListMeta;
  items: ClusterExternalSecret[];
}
