// The external-secrets.io API as secretsync serves it: generated types (from crds/), constants, and
// the CRD schemas for offline validation.
import type { ClusterSecretStore, SecretStore } from './generated';

export type * from './generated';
export * from './constants';
export {
  CRD_FILES,
  createAjv,
  createManifestValidator,
  crdValidationRules,
  findCrdDir,
  loadCrdSchemas,
  loadCrds,
  stripKubernetesExtensions,
} from './schema';
export type {
  CrdSchemas,
  CrdValidationRule,
  CrdVersion,
  CustomResourceDefinition,
  JsonSchema,
  LoadOptions,
  ManifestProblem,
  ManifestValidation,
  ManifestValidator,
  StripOptions,
} from './schema';

/** Either kind of store; both share SecretStoreSpec. */
export type AnySecretStore = SecretStore | ClusterSecretStore;
