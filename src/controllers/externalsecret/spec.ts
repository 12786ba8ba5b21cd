// An ExternalSecret's spec with ESO's defaults applied. (The fields whose behaviour secretsync does
// not implement yet are listed by api/unsupported-fields.ts, shared with `secretsync validate`.)
import type { ExternalSecret, ExternalSecretSpec, ExternalSecretSyncWindows } from '../../api/generated';
import { ANNOTATION } from '../../api/constants';
import { parseDuration } from '../../gocompat/duration';
import type { SyncWindowGroup } from '../../runtime/cron';

export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None' | 'CreateOrMerge';
export type DeletionPolicy = 'Retain' | 'Delete' | 'Merge';
export type RefreshPolicy = 'Periodic' | 'OnChange' | 'CreatedOnce';

export interface StoreRef {
  name: string;
  kind: 'SecretStore' | 'ClusterSecretStore';
}

export interface Normalized {
  targetName: string;
  creationPolicy: CreationPolicy;
  deletionPolicy: DeletionPolicy;
  immutable: boolean;
  refreshPolicy: RefreshPolicy;
  /** 0 = fetch once. */
  refreshIntervalMs: number;
  refreshSchedule?: string;
  syncWindows?: SyncWindowGroup[];
  storeRef?: StoreRef;
}

export const DEFAULT_REFRESH_INTERVAL = '1h0m0s';

export function normalize(es: ExternalSecret): Normalized {
  const spec: ExternalSecretSpec = es.spec;
  const target = spec.target ?? {};
  const ref = spec.secretStoreRef;
  return {
    targetName: target.name || es.metadata?.name || '',
    creationPolicy: target.creationPolicy ?? 'Owner',
    deletionPolicy: target.deletionPolicy ?? 'Retain',
    immutable: target.immutable ?? false,
    refreshPolicy: spec.refreshPolicy ?? 'Periodic',
    refreshIntervalMs: parseDuration(spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL),
    refreshSchedule: es.metadata?.annotations?.[ANNOTATION.refreshSchedule],
    syncWindows: spec.syncWindows ? toWindowGroups(spec.syncWindows) : undefined,
    storeRef: ref?.name ? { name: ref.name, kind: ref.kind ?? 'SecretStore' } : undefined,
  };
}

function toWindowGroups(sw: ExternalSecretSyncWindows): SyncWindowGroup[] {
  return [
    { kind: sw.kind, windows: sw.windows.map((w) => ({ schedule: w.schedule, duration: w.duration })) },
  ];
}
