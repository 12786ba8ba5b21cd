// An ExternalSecret's spec with ESO's defaults applied, and the list of fields whose behaviour
// secretsync does not implement yet (reported as Ready=False naming the field, never ignored).
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

/** Field paths that are set but whose behaviour is not implemented. */
export function unsupportedFields(spec: ExternalSecretSpec): string[] {
  const out: string[] = [];
  const t = spec.target;
  if (t?.manifest) out.push('spec.target.manifest');
  if (t?.template?.templateFrom?.length) out.push('spec.target.template.templateFrom');
  if (t?.template?.metadata?.finalizers?.length) out.push('spec.target.template.metadata.finalizers');
  if (t?.template?.engineVersion === 'v1') out.push('spec.target.template.engineVersion=v1');
  spec.data?.forEach((d, i) => {
    if (d.sourceRef?.generatorRef) out.push(`spec.data[${i}].sourceRef.generatorRef`);
    if (d.remoteRef.metadataPolicy === 'Fetch') out.push(`spec.data[${i}].remoteRef.metadataPolicy=Fetch`);
    if (d.remoteRef.conversionStrategy === 'Unicode')
      out.push(`spec.data[${i}].remoteRef.conversionStrategy=Unicode`);
  });
  spec.dataFrom?.forEach((d, i) => {
    if (d.sourceRef?.generatorRef) out.push(`spec.dataFrom[${i}].sourceRef.generatorRef`);
    if (d.extract?.metadataPolicy === 'Fetch') out.push(`spec.dataFrom[${i}].extract.metadataPolicy=Fetch`);
    const conv = d.extract?.conversionStrategy ?? d.find?.conversionStrategy;
    if (conv === 'Unicode') out.push(`spec.dataFrom[${i}].conversionStrategy=Unicode`);
    d.rewrite?.forEach((r, j) => {
      if (r.merge) out.push(`spec.dataFrom[${i}].rewrite[${j}].merge`);
    });
  });
  return out;
}
