// The fields of an ExternalSecret whose behaviour secretsync does not implement yet. The controller
// reports them as Ready=False naming the field (never ignores them); `secretsync validate` reports
// the same list offline, so both read it from here.
import type { ExternalSecretSpec } from './generated';

/** Field paths that are set but whose behaviour is not implemented. */
export function unsupportedFields(spec: ExternalSecretSpec): string[] {
  const out: string[] = [];
  const t = spec.target;
  if (t?.manifest) out.push('spec.target.manifest');
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

/**
 * A field secretsync accepts and acts on as if it were absent, because doing without its behaviour
 * is harmless: the object syncs, and the field gets a warning (`secretsync validate`, and a Warning
 * Event `UnsupportedField` on the object once per generation). docs/migrating-from-eso-reloader.md
 * says why for each.
 */
export interface IgnoredField {
  path: string;
  /** What happens instead. */
  instead: string;
}

type StoreSpecLike = {
  retrySettings?: unknown;
  refreshInterval?: unknown;
  provider?: { aws?: object | null } | null;
};

const nonEmpty = (v: unknown): boolean =>
  Array.isArray(v)
    ? v.length > 0
    : typeof v === 'object' && v !== null
      ? Object.keys(v).length > 0
      : v != null;

/** Fields of a SecretStore or ClusterSecretStore spec that are ignored with a warning. */
export function ignoredStoreFields(spec: StoreSpecLike): IgnoredField[] {
  const out: IgnoredField[] = [];
  if (spec.retrySettings != null)
    out.push({ path: 'spec.retrySettings', instead: 'failures back off per key, 1 s to 5 min' });
  if (spec.refreshInterval != null && spec.refreshInterval !== 0 && spec.refreshInterval !== '')
    out.push({ path: 'spec.refreshInterval', instead: 'stores are re-validated every 5 minutes' });
  const aws = spec.provider?.aws as { secretsManager?: unknown } | null | undefined;
  if (nonEmpty(aws?.secretsManager))
    out.push({
      path: 'spec.provider.aws.secretsManager',
      instead: 'it only tunes PushSecret deletes, and PushSecret is not served',
    });
  return out;
}

/**
 * aws store fields whose behaviour is not implemented and not harmless to drop (STS session tags
 * can decide what an assumed role may read): the store is refused (Ready=False) naming them.
 */
export function unsupportedAwsFields(aws: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const f of ['sessionTags', 'transitiveTagKeys', 'customSessionTags'])
    if (nonEmpty(aws[f])) out.push(`aws.${f}`);
  const policy = aws.sessionTagsPolicy;
  if (policy != null && policy !== 'None') out.push(`aws.sessionTagsPolicy=${String(policy)}`);
  return out;
}

/**
 * Stakater Reloader workload annotations secretsync does not honour, each with why. A workload
 * carrying one gets a Warning Event `UnsupportedAnnotation`, and `secretsync validate` a warning.
 */
export const UNHONOURED_RELOADER_ANNOTATIONS: Readonly<Record<string, string>> = {
  'secretproviderclass.reloader.stakater.com/reload':
    'Secrets Store CSI driver SecretProviderClasses are not watched; sync them to a Secret and name that Secret instead',
  'secretproviderclass.reloader.stakater.com/auto':
    'Secrets Store CSI driver SecretProviderClasses are not watched; reference a synced Secret and use reloader.stakater.com/auto',
  'secretproviderclasses.exclude.reloader.stakater.com/reload':
    'Secrets Store CSI driver SecretProviderClasses are not watched, so there is nothing to exclude',
};
