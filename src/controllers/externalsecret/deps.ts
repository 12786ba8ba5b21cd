// What one reconcile may read and do: the informer caches, the apiserver and the providers, as
// functions the controller wires (controller.ts) and tests fake (test/support/reconcile-deps.ts).
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecret } from '../../api/generated';
import type { SecretsClient } from '../../providers/core/types';
import type { Clock } from '../../runtime/clock';
import type { StoreObject } from '../secretstore/store';
import type { WritePlan } from './write-plan';
import type { SyncMemory } from './sync-memory';
import type { ReadyState } from './status';

/** What the sync side remembers of a managed Secret: metadata and a content hash, never values. */
export interface LeanSecret {
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  contentHash: string;
}

export interface ReconcileDeps {
  clock: Clock;
  controllerClass?: string;
  externalSecret(ns: string, name: string): ExternalSecret | undefined;
  store(kind: 'SecretStore' | 'ClusterSecretStore', ns: string, name: string): StoreObject | undefined;
  namespaceLabels(ns: string): Promise<Record<string, string>>;
  client(store: StoreObject, esNamespace: string): Promise<SecretsClient>;
  cachedSecret(ns: string, name: string): LeanSecret | undefined;
  readSecret(ns: string, name: string): Promise<V1Secret | undefined>;
  /** A GET (templateFrom sources: read when rendering, never cached); undefined when absent. */
  readConfigMap(ns: string, name: string): Promise<V1ConfigMap | undefined>;
  writeSecret(ns: string, plan: Extract<WritePlan, { kind: 'create' | 'update' }>): Promise<void>;
  replaceSecret(ns: string, secret: V1Secret): Promise<void>;
  deleteSecret(ns: string, name: string, uid: string): Promise<void>;
  patchStatus(es: ExternalSecret, status: NonNullable<ExternalSecret['status']>): Promise<void>;
  event(es: ExternalSecret, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Hashes, version fingerprints and rotation requests per ExternalSecret key, kept between reconciles. */
  memory: SyncMemory;
  /** How a reconcile ended; `es` the ExternalSecret it was about (ESO's per-object counters). */
  onSync?(result: 'synced' | 'unchanged' | 'error' | 'skipped', es?: ExternalSecret): void;
  /**
   * Every Ready decision, also when the status already says it (the readiness gauge); undefined
   * when the ExternalSecret is another controller's (its store names another controller class).
   */
  onReady?(es: ExternalSecret, ready: ReadyState | undefined): void;
  /** A sync forced by a rotation event completed, this long (ms) after the event was received. */
  onRotationSynced?(ms: number): void;
  /** A successful check of the sources at `atMs` (also when status.refreshTime does not move). */
  onChecked?(es: ExternalSecret, atMs: number): void;
  /**
   * status.refreshTime moves at least this often (ms) when nothing changes; 0 or unset: on every
   * refresh, as ESO does.
   */
  refreshTimeHeartbeatMs?: number;
  /**
   * Labels put on every Secret this replica writes (--sharding: its shard label, so its filtered
   * watch sees the Secret at once); never by themselves a reason to write.
   */
  secretLabels?: Readonly<Record<string, string>>;
}
