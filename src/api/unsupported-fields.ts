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
