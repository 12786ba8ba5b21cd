// spec.target.template.templateFrom as ESO defines it: templates kept in ConfigMaps and Secrets of
// the ExternalSecret's namespace (`items`, each a key rendered as Values or KeysAndValues) or given
// inline (`literal`, always KeysAndValues), each entry's output going to the Secret's data, labels
// or annotations (`target`). The objects are read by the reconcile (a GET each, nothing cached);
// this file names them and renders them. Messages never contain template output or values.
import type { ExternalSecret, TemplateFrom } from '../../api/generated';
import { ES_REASON } from '../../api/constants';
import { contentHash } from '../../api/hash';
import { bytesToGoString, renderedBytes, renderTemplate, TemplateError } from '../../gocompat/template';
import { StringMapError, unmarshalStringMap } from '../../gocompat/yaml-string-map';
import { decode, type DecodingStrategy } from './decoding';

export type TemplateSourceKind = 'ConfigMap' | 'Secret';

/** The ConfigMaps' `data` and the Secrets' decoded `data` that templateFrom reads, by name. */
export interface TemplateSources {
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Map<string, Uint8Array>>;
}

export const NO_TEMPLATE_SOURCES: TemplateSources = { configMaps: new Map(), secrets: new Map() };

/**
 * A digest of every source's content, '' when there are none: joined to the remote version tags,
 * so that a periodic refresh whose tags did not move still renders when a template did (an edit
 * the watch could not report: made before it started). Kept in memory only.
 */
export function sourcesFingerprint(s: TemplateSources): string {
  if (s.configMaps.size === 0 && s.secrets.size === 0) return '';
  const flat: Record<string, Uint8Array> = {};
  for (const [name, data] of s.configMaps)
    for (const [k, v] of Object.entries(data)) flat[`ConfigMap/${name}/${k}`] = Buffer.from(v, 'utf8');
  for (const [name, data] of s.secrets) for (const [k, v] of data) flat[`Secret/${name}/${k}`] = v;
  // Names of empty sources count too (an empty ConfigMap differs from none).
  return `|templates:${contentHash(flat, [...s.configMaps.keys(), '/', ...s.secrets.keys()].join(','))}`;
}

/** Which part of the Secret a rendered entry goes to (ESO compares case-insensitively). */
export type TemplateTarget = 'data' | 'labels' | 'annotations';

/** A referenced object that is absent, or lacks a key: Ready=False TemplateSourceNotFound, retried. */
export class TemplateSourceMissing extends Error {
  override readonly name = 'TemplateSourceMissing';
  readonly reason = ES_REASON.TemplateSourceNotFound;
}

/** The ConfigMaps and Secrets an ExternalSecret's templateFrom names, deduplicated, in order. */
export function templateSourceRefs(es: ExternalSecret): { kind: TemplateSourceKind; name: string }[] {
  const seen = new Set<string>();
  const out: { kind: TemplateSourceKind; name: string }[] = [];
  for (const tf of es.spec.target?.template?.templateFrom ?? []) {
    for (const [kind, ref] of [
      ['ConfigMap', tf.configMap],
      ['Secret', tf.secret],
    ] as const) {
      if (!ref?.name || seen.has(`${kind}/${ref.name}`)) continue;
      seen.add(`${kind}/${ref.name}`);
      out.push({ kind, name: ref.name });
    }
  }
  return out;
}

/** The rendered Secret as ESO's template step builds it: data, labels and annotations, in place. */
export interface RenderTarget {
  data: Map<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function targetOf(tf: TemplateFrom): TemplateTarget {
  const t = (tf.target ?? 'Data').toLowerCase();
  if (t === 'data' || t === 'labels' || t === 'annotations') return t;
  // The CRD admits only these three; an object stored before that rule still gets a clear answer.
  throw new TemplateError(
    `templateFrom target "${tf.target}" is not supported: use Data, Annotations or Labels`,
  );
}

function put(out: RenderTarget, target: TemplateTarget, key: string, value: Uint8Array): void {
  if (target === 'data') out.data.set(key, value);
  else out[target][key] = Buffer.from(value).toString('utf8');
}

/** templateAs Values: the template's output is the value of `key`. */
function applyValue(
  out: RenderTarget,
  target: TemplateTarget,
  name: string,
  key: string,
  source: string,
  input: Record<string, unknown>,
  strategy: DecodingStrategy | undefined,
): void {
  put(out, target, key, decode(renderedBytes(renderTemplate(name, source, input)), strategy, name));
}

/** templateAs KeysAndValues: the template's output is YAML, a map of keys to values. */
function applyKeysAndValues(
  out: RenderTarget,
  target: TemplateTarget,
  name: string,
  source: string,
  input: Record<string, unknown>,
  strategy: DecodingStrategy | undefined,
): void {
  let entries: Map<string, string>;
  try {
    entries = unmarshalStringMap(renderTemplate(name, source, input));
  } catch (err) {
    if (err instanceof StringMapError)
      throw new TemplateError(`template: ${name}: the output is not a YAML map of strings: ${err.message}`);
    throw err;
  }
  for (const [k, v] of entries) put(out, target, k, decode(renderedBytes(v), strategy, `${name}: ${k}`));
}

/**
 * Applies every templateFrom entry in order (each: its ConfigMap items, its Secret items, its
 * literal), later writes winning, as ESO's MergeTemplateFrom does.
 * @param input the fetched values, as the templates see them.
 */
export function applyTemplateFrom(
  es: ExternalSecret,
  input: Record<string, unknown>,
  sources: TemplateSources,
  out: RenderTarget,
): void {
  const ns = es.metadata?.namespace ?? '';
  (es.spec.target?.template?.templateFrom ?? []).forEach((tf, i) => {
    const target = targetOf(tf);
    const strategy = tf.valuesDecodingStrategy as DecodingStrategy | undefined;
    if (tf.configMap) {
      const cm = sources.configMaps.get(tf.configMap.name);
      if (!cm) throw new TemplateSourceMissing(`ConfigMap ${ns}/${tf.configMap.name} not found`);
      for (const item of tf.configMap.items) {
        const src = Object.hasOwn(cm, item.key) ? cm[item.key] : undefined;
        if (src === undefined)
          throw new TemplateSourceMissing(`ConfigMap ${ns}/${tf.configMap.name} has no key ${item.key}`);
        const name = `templateFrom[${i}].configMap.${item.key}`;
        if ((item.templateAs ?? 'Values') === 'KeysAndValues')
          applyKeysAndValues(out, target, name, src, input, strategy);
        else applyValue(out, target, name, item.key, src, input, strategy);
      }
    }
    if (tf.secret) {
      const secret = sources.secrets.get(tf.secret.name);
      if (!secret) throw new TemplateSourceMissing(`Secret ${ns}/${tf.secret.name} not found`);
      for (const item of tf.secret.items) {
        const bytes = secret.get(item.key);
        if (bytes === undefined)
          throw new TemplateSourceMissing(`Secret ${ns}/${tf.secret.name} has no key ${item.key}`);
        // Go strings are bytes: the template text is the value's exact bytes.
        const src = bytesToGoString(bytes);
        const name = `templateFrom[${i}].secret.${item.key}`;
        if ((item.templateAs ?? 'Values') === 'KeysAndValues')
          applyKeysAndValues(out, target, name, src, input, strategy);
        else applyValue(out, target, name, item.key, src, input, strategy);
      }
    }
    if (tf.literal !== undefined)
      applyKeysAndValues(out, target, `templateFrom[${i}].literal`, tf.literal, input, strategy);
  });
}
