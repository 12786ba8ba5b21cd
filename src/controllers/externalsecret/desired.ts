// The Secret an ExternalSecret wants: fetched values run through target.template (Go-template
// syntax, as ESO: template.data and the template.metadata label and annotation values), plus the
// labels and annotations the controller maintains, and the template's finalizers (as ESO: added to
// the Secret, never removed, so whoever owns one decides when a deleted Secret goes away).
import type { ExternalSecret } from '../../api/generated';
import { ANNOTATION, LABEL } from '../../api/constants';
import { InvalidRefError } from '../../providers/core/errors';
import { contentHash } from '../../api/hash';
import { secretKeyProblem } from '../../api/secret-key';
import { renderedBytes, renderTemplate } from '../../gocompat/template';

export interface DesiredSecret {
  name: string;
  type: string;
  data: Map<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  immutable: boolean;
}

export function buildDesired(
  es: ExternalSecret,
  targetName: string,
  values: Map<string, Uint8Array>,
): DesiredSecret {
  const template = es.spec.target?.template;
  let data = values;
  let type = 'Opaque';
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  if (template) {
    type = template.type || 'Opaque';
    // Byte values go in as Go strings and rendered bytes come out exactly (no UTF-8 round trip).
    const input = Object.fromEntries(values);
    // As in ESO, label and annotation values are templates over the same data (keys are not).
    for (const [field, out] of [
      ['labels', labels],
      ['annotations', annotations],
    ] as const) {
      for (const [k, src] of Object.entries(template.metadata?.[field] ?? {}))
        out[k] = src.includes('{{')
          ? renderedBytes(renderTemplate(`template.metadata.${field}.${k}`, src, input)).toString('utf8')
          : src;
    }
    if (template.data && Object.keys(template.data).length > 0) {
      const rendered = new Map<string, Uint8Array>();
      for (const [k, src] of Object.entries(template.data)) {
        rendered.set(k, renderedBytes(renderTemplate(`template.data.${k}`, src, input)));
      }
      data = template.mergePolicy === 'Merge' ? new Map([...values, ...rendered]) : rendered;
    }
  }
  for (const k of data.keys()) {
    if (secretKeyProblem(k) !== undefined) {
      throw new InvalidRefError(
        `"${k.slice(0, 100)}" is not a valid Secret key (letters, digits, '-', '_', '.'): rename it with dataFrom.rewrite or template`,
      );
    }
  }
  labels[LABEL.managed] = 'true';
  annotations[ANNOTATION.dataHash] = contentHash(Object.fromEntries(data), type);
  return {
    name: targetName,
    type,
    data,
    labels,
    annotations,
    finalizers: [...new Set(template?.metadata?.finalizers ?? [])],
    immutable: es.spec.target?.immutable ?? false,
  };
}
