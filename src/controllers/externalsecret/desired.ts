// The Secret an ExternalSecret wants: fetched values run through target.template (Go-template
// syntax, as ESO: templateFrom, template.data and the template.metadata label and annotation
// values), plus the labels and annotations the controller maintains, and the template's finalizers
// (as ESO: added to the Secret, never removed, so whoever owns one decides when a deleted Secret
// goes away).
import type { ExternalSecret } from '../../api/generated';
import { ANNOTATION, LABEL } from '../../api/constants';
import { InvalidRefError } from '../../providers/core/errors';
import { contentHash } from '../../api/hash';
import { secretKeyProblem } from '../../api/secret-key';
import { renderedBytes, renderTemplate } from '../../gocompat/template';
import {
  applyTemplateFrom,
  NO_TEMPLATE_SOURCES,
  type RenderTarget,
  type TemplateSources,
} from './template-from';

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
  sources: TemplateSources = NO_TEMPLATE_SOURCES,
): DesiredSecret {
  const template = es.spec.target?.template;
  let data = values;
  let type = 'Opaque';
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  if (template) {
    type = template.type || 'Opaque';
    // ESO's order, later writes winning: the fetched values (mergePolicy Merge, or no template
    // data at all), then templateFrom entries in order, then template.data, then the
    // template.metadata labels and annotations (over templateFrom's Labels/Annotations targets).
    const out: RenderTarget = { data: new Map(), labels, annotations };
    const hasTemplates =
      Object.keys(template.data ?? {}).length > 0 || (template.templateFrom?.length ?? 0) > 0;
    if (template.mergePolicy === 'Merge' || !hasTemplates) for (const [k, v] of values) out.data.set(k, v);
    // Byte values go in as Go strings and rendered bytes come out exactly (no UTF-8 round trip).
    const input = Object.fromEntries(values);
    applyTemplateFrom(es, input, sources, out);
    for (const [k, src] of Object.entries(template.data ?? {})) {
      out.data.set(k, renderedBytes(renderTemplate(`template.data.${k}`, src, input)));
    }
    // As in ESO, label and annotation values are templates over the same data (keys are not).
    for (const field of ['labels', 'annotations'] as const) {
      for (const [k, src] of Object.entries(template.metadata?.[field] ?? {}))
        out[field][k] = src.includes('{{')
          ? renderedBytes(renderTemplate(`template.metadata.${field}.${k}`, src, input)).toString('utf8')
          : src;
    }
    data = out.data;
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
