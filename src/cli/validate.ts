// `secretsync validate [files|dirs|-]`: checks manifests offline, as a pull-request gate
// (`kubectl kustomize overlays/prod | secretsync validate -`). For every external-secrets.io
// object: the CRD schema of its apiVersion (createManifestValidator), the CRDs' CEL rules, and the
// rules the API server cannot express but the controller or ESO's webhook enforce (duplicate
// secretKey, duration and cron syntax, templates, regular expressions, unsupported providers and
// fields). Other kinds are counted and skipped.
//
// Output: one line per problem, `file:document: Kind/name: field.path: message`, documents
// numbered from 1 in the order of the stream; exit 0 when clean, 1 with problems, 2 on bad usage.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { RE2JS } from 're2js';
import { parseAllDocuments } from 'yaml';
import { ANNOTATION, API_GROUP, API_VERSIONS, KIND, SUPPORTED_PROVIDERS } from '../api/constants';
import { createManifestValidator, type ManifestValidator } from '../api/schema';
import { secretKeyProblem } from '../api/secret-key';
import {
  UNHONOURED_RELOADER_ANNOTATIONS,
  ignoredStoreFields,
  unsupportedAwsFields,
  unsupportedFields,
} from '../api/unsupported-fields';
import { compileTemplate } from '../gocompat/template';
import type { ExternalSecretSpec } from '../api/generated';
import { validateCron } from '../runtime/cron';
import { parseDuration } from '../gocompat/duration';
import { createCelChecker, type CelChecker } from './cel';

/** One problem, located by file, document (from 1; 0 = the whole file), object and field. */
export interface Problem {
  file: string;
  doc: number;
  /** `Kind/name` of the object, when it has parsed. */
  object?: string;
  /** Dotted field path, e.g. `spec.data[1].secretKey`. */
  path?: string;
  message: string;
  /** Does not fail validation: something accepted but not honoured (see ignoredStoreFields). */
  warning?: boolean;
}

export interface ValidateSummary {
  problems: Problem[];
  /** Documents read (empty ones excluded). */
  documents: number;
  /** external-secrets.io objects checked. */
  validated: number;
  /** Objects of other kinds, skipped. */
  skipped: number;
}

export interface Source {
  /** File name as given (or found under a directory), `<stdin>` for `-`. */
  name: string;
  text: string;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

export function formatProblem(p: Problem): string {
  const parts = [p.doc > 0 ? `${p.file}:${p.doc}` : p.file];
  if (p.object) parts.push(p.object);
  if (p.path) parts.push(p.path);
  parts.push(`${p.warning ? 'warning: ' : ''}${oneLine(p.message)}`);
  return parts.join(': ');
}

// ── field-level checks of one object ─────────────────────────────────────────────────────────

/** A problem at a field path; `covers` lists other paths whose problems it makes redundant. */
export interface FieldProblem {
  path: string;
  message: string;
  covers?: string[];
  /** Reported, but the object works (the exit code stays 0). */
  warning?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `/spec/data/0/remoteRef` → `spec.data[0].remoteRef`; odd keys in brackets. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${seg}]`;
  }
  return out;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function metadataProblems(obj: Obj, namespaced: boolean): FieldProblem[] {
  const md = obj.metadata;
  if (!isObj(md)) return [{ path: 'metadata', message: 'required: an object with at least a name' }];
  const out: FieldProblem[] = [];
  if (md.name === undefined || md.name === '') {
    if (md.generateName === undefined) out.push({ path: 'metadata.name', message: 'required' });
  } else if (typeof md.name !== 'string' || md.name.length > 253 || !DNS_SUBDOMAIN.test(md.name)) {
    out.push({
      path: 'metadata.name',
      message: `${JSON.stringify(md.name)} is not a valid name: lower-case letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit`,
    });
  }
  if (namespaced && md.namespace !== undefined) {
    if (typeof md.namespace !== 'string' || md.namespace.length > 63 || !DNS_LABEL.test(md.namespace)) {
      out.push({
        path: 'metadata.namespace',
        message: `${JSON.stringify(md.namespace)} is not a valid namespace name (a DNS label: lower-case letters, digits and '-', at most 63 characters)`,
      });
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    const m = md[field];
    if (m === undefined) continue;
    if (!isObj(m)) {
      out.push({ path: `metadata.${field}`, message: 'must be a map of strings' });
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') {
        out.push({
          path: `metadata.${field}[${k}]`,
          message: `must be a string (quote it: "${String(v)}")`,
        });
      }
    }
  }
  return out;
}

function durationProblem(value: unknown, path: string, mustBePositive = false): FieldProblem[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string' && typeof value !== 'number') return [];
  try {
    const ms = parseDuration(value);
    if (mustBePositive && ms <= 0) return [{ path, message: 'must be greater than 0s' }];
    return [];
  } catch (err) {
    return [{ path, message: errText(err) }];
  }
}

function cronProblem(value: unknown, path: string): FieldProblem[] {
  if (typeof value !== 'string') return [];
  try {
    validateCron(value);
    return [];
  } catch (err) {
    return [{ path, message: errText(err) }];
  }
}

function regexProblem(value: unknown, path: string): FieldProblem[] {
  if (typeof value !== 'string') return [];
  try {
    RE2JS.compile(value);
    return [];
  } catch (err) {
    return [{ path, message: `invalid regular expression (RE2 syntax): ${errText(err)}` }];
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A map key as shown in a field path: long keys are cut (the path stays readable). */
const shownKey = (k: string) => (k.length > 64 ? `${k.slice(0, 64)}…` : k);

/** Rules of an ExternalSecret beyond its schema (ESO's webhook and secretsync's controller). */
export function externalSecretProblems(obj: Obj): FieldProblem[] {
  const out: FieldProblem[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  const annotations = isObj(obj.metadata) && isObj(obj.metadata.annotations) ? obj.metadata.annotations : {};

  const seen = new Map<string, number>();
  list(spec.data).forEach((d, i) => {
    if (!isObj(d) || typeof d.secretKey !== 'string') return;
    // The schema's pattern already allows only letters, digits, '-', '_' and '.'; the reserved names
    // pass it and are refused by the controller.
    if (d.secretKey === '.' || d.secretKey.startsWith('..'))
      out.push({
        path: `spec.data[${i}].secretKey`,
        message: `${JSON.stringify(d.secretKey)} ${secretKeyProblem(d.secretKey)!} (the controller would set Ready=False)`,
      });
    const first = seen.get(d.secretKey);
    if (first === undefined) seen.set(d.secretKey, i);
    else
      out.push({
        path: `spec.data[${i}].secretKey`,
        message: `duplicate secretKey ${JSON.stringify(d.secretKey)} (also spec.data[${first}]): each key of the Secret may come from one entry only`,
      });
  });

  out.push(...durationProblem(spec.refreshInterval, 'spec.refreshInterval'));
  if (isObj(spec.syncWindows)) {
    list(spec.syncWindows.windows).forEach((w, i) => {
      if (!isObj(w)) return;
      out.push(...cronProblem(w.schedule, `spec.syncWindows.windows[${i}].schedule`));
      out.push(...durationProblem(w.duration, `spec.syncWindows.windows[${i}].duration`, true));
    });
  }
  const schedule = annotations[ANNOTATION.refreshSchedule];
  out.push(...cronProblem(schedule, `metadata.annotations[${ANNOTATION.refreshSchedule}]`));

  const template = isObj(spec.target) && isObj(spec.target.template) ? spec.target.template : undefined;
  if (template && isObj(template.data)) {
    for (const [k, src] of Object.entries(template.data)) {
      // Each key of template.data is a key of the Secret as written (the schema does not constrain
      // map keys). Checked here as the controller does; a key over 1022 characters is also refused
      // by server-side apply itself (see RELIABILITY.md, admission fuzz).
      const bad = secretKeyProblem(k);
      if (bad) {
        out.push({
          path: `spec.target.template.data[${shownKey(k)}]`,
          message: `this key of the Secret ${bad} (the controller would set Ready=False)`,
        });
        continue;
      }
      if (typeof src !== 'string') continue;
      try {
        compileTemplate(`template.data.${k}`, src);
      } catch (err) {
        out.push({ path: `spec.target.template.data[${k}]`, message: errText(err) });
      }
    }
  }
  // templateFrom literals are templates as written (ConfigMap and Secret ones are read at render).
  list(template?.templateFrom).forEach((tf, i) => {
    if (!isObj(tf) || typeof tf.literal !== 'string') return;
    try {
      compileTemplate(`templateFrom[${i}].literal`, tf.literal);
    } catch (err) {
      out.push({ path: `spec.target.template.templateFrom[${i}].literal`, message: errText(err) });
    }
  });
  // Label and annotation values are templates too (rendered over the same values).
  const metadata = template && isObj(template.metadata) ? template.metadata : undefined;
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata?.[field];
    if (!isObj(map)) continue;
    for (const [k, src] of Object.entries(map)) {
      if (typeof src !== 'string' || !src.includes('{{')) continue;
      try {
        compileTemplate(`template.metadata.${field}.${k}`, src);
      } catch (err) {
        out.push({ path: `spec.target.template.metadata.${field}[${k}]`, message: errText(err) });
      }
    }
  }

  list(spec.dataFrom).forEach((d, i) => {
    if (!isObj(d)) return;
    if (isObj(d.find) && isObj(d.find.name))
      out.push(...regexProblem(d.find.name.regexp, `spec.dataFrom[${i}].find.name.regexp`));
    list(d.rewrite).forEach((r, j) => {
      if (isObj(r) && isObj(r.regexp))
        out.push(...regexProblem(r.regexp.source, `spec.dataFrom[${i}].rewrite[${j}].regexp.source`));
    });
  });

  let unsupported: string[] = [];
  try {
    unsupported = unsupportedFields(spec as unknown as ExternalSecretSpec);
  } catch {
    // malformed shapes are reported by the schema check
  }
  for (const field of unsupported) {
    const [path = field, value] = field.split('=');
    out.push({
      path,
      message:
        value === undefined
          ? 'not supported by secretsync yet (the controller would set Ready=False, reason UnsupportedField)'
          : `${JSON.stringify(value)} is not supported by secretsync yet (the controller would set Ready=False, reason UnsupportedField)`,
    });
  }
  return out;
}

/** Rules of a SecretStore or ClusterSecretStore beyond its schema. */
export function storeProblems(obj: Obj): FieldProblem[] {
  const out: FieldProblem[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  const supported = SUPPORTED_PROVIDERS.join(', ');
  if (isObj(spec.provider)) {
    const names = Object.keys(spec.provider).filter(
      (k) => spec.provider && (spec.provider as Obj)[k] != null,
    );
    for (const name of names) {
      if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(name)) {
        out.push({
          path: `spec.provider.${name}`,
          message: `provider ${name} is not supported by secretsync; supported providers: ${supported}`,
          covers: ['spec.provider'],
        });
      }
    }
    const known = names.filter((n) => (SUPPORTED_PROVIDERS as readonly string[]).includes(n));
    if (names.length === 0) {
      out.push({ path: 'spec.provider', message: `a provider is required; set one of: ${supported}` });
    } else if (known.length > 1) {
      out.push({
        path: 'spec.provider',
        message: `only one provider may be set per store (found ${known.join(', ')})`,
      });
    }
  }
  out.push(...durationProblem(spec.refreshInterval, 'spec.refreshInterval'));
  if (isObj(spec.retrySettings))
    out.push(...durationProblem(spec.retrySettings.retryInterval, 'spec.retrySettings.retryInterval'));
  list(spec.conditions).forEach((c, i) => {
    if (isObj(c))
      list(c.namespaceRegexes).forEach((re, j) =>
        out.push(...regexProblem(re, `spec.conditions[${i}].namespaceRegexes[${j}]`)),
      );
  });
  if (isObj(spec.provider) && isObj(spec.provider.aws))
    for (const field of unsupportedAwsFields(spec.provider.aws))
      out.push({
        path: `spec.provider.${field.split('=')[0]}`,
        message:
          'STS session tags are not supported by secretsync yet (the store would be Ready=False, reason InvalidProviderConfig)',
      });
  for (const f of ignoredStoreFields(spec))
    out.push({
      path: f.path,
      message: `not honoured by secretsync, synced anyway: ${f.instead} (a Warning Event UnsupportedField on the store)`,
      warning: true,
    });
  return out;
}

/** Pod template annotations with their path, wherever the workload kind keeps its template. */
function templateAnnotations(obj: Obj): [string, Obj][] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const jobSpec = isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  const at: [string, unknown][] = [
    ['spec.template', spec.template],
    ['spec.jobTemplate.spec.template', jobSpec.template],
  ];
  return at.flatMap(([path, t]): [string, Obj][] =>
    isObj(t) && isObj(t.metadata) && isObj(t.metadata.annotations)
      ? [[`${path}.metadata.annotations`, t.metadata.annotations]]
      : [],
  );
}

/** Reloader annotations on any object (a workload) that secretsync does not honour: warnings. */
export function reloaderAnnotationWarnings(obj: Obj): FieldProblem[] {
  const own = isObj(obj.metadata) && isObj(obj.metadata.annotations) ? obj.metadata.annotations : {};
  const out: FieldProblem[] = [];
  // OpenShift DeploymentConfigs (deprecated since OpenShift 4.14) are not watched at all.
  if (obj.kind === 'DeploymentConfig' && Object.keys(own).some((k) => k.includes('reloader.stakater.com/')))
    out.push({
      path: 'kind',
      message:
        'DeploymentConfigs are not watched by secretsync, so its Reloader annotations do nothing: move it to a Deployment',
      warning: true,
    });
  for (const [at, annotations] of [
    ['metadata.annotations', own] as [string, Obj],
    ...templateAnnotations(obj),
  ])
    for (const key of Object.keys(annotations))
      if (Object.hasOwn(UNHONOURED_RELOADER_ANNOTATIONS, key))
        out.push({
          path: `${at}[${key}]`,
          message: `Reloader annotation not honoured by secretsync: ${UNHONOURED_RELOADER_ANNOTATIONS[key]!} (a Warning Event UnsupportedAnnotation on the workload)`,
          warning: true,
        });
  return out;
}

/**
 * Rules of a ClusterExternalSecret beyond its schema: its refreshTime, and the ExternalSecret rules
 * for the ExternalSecret it creates (externalSecretSpec, and externalSecretMetadata's annotations).
 */
export function clusterExternalSecretProblems(obj: Obj): FieldProblem[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const meta = isObj(spec.externalSecretMetadata) ? spec.externalSecretMetadata : {};
  const inner = externalSecretProblems({
    spec: spec.externalSecretSpec,
    metadata: { annotations: meta.annotations },
  });
  const moved = (path: string) =>
    path.startsWith('spec.')
      ? `spec.externalSecretSpec.${path.slice('spec.'.length)}`
      : path.replace(/^metadata\.annotations/, 'spec.externalSecretMetadata.annotations');
  return [
    ...durationProblem(spec.refreshTime, 'spec.refreshTime'),
    ...inner.map((p) => ({ ...p, path: moved(p.path), covers: p.covers?.map(moved) })),
  ];
}

const SEMANTIC_CHECKS: Record<string, (obj: Obj) => FieldProblem[]> = {
  [KIND.ExternalSecret]: externalSecretProblems,
  [KIND.ClusterExternalSecret]: clusterExternalSecretProblems,
  [KIND.SecretStore]: storeProblems,
  [KIND.ClusterSecretStore]: storeProblems,
};

// ── one object ───────────────────────────────────────────────────────────────────────────────

export interface Checkers {
  schema: ManifestValidator;
  cel?: CelChecker;
}

let defaultCheckers: Promise<Checkers> | undefined;

/** The schema validator and the CEL rules from crds/, built once. */
export function loadCheckers(): Promise<Checkers> {
  defaultCheckers ??= (async () => ({ schema: createManifestValidator(), cel: await createCelChecker() }))();
  return defaultCheckers;
}

export type ObjectResult =
  | { kind: 'skipped'; object?: string; warnings?: FieldProblem[] }
  | { kind: 'checked'; object: string; problems: FieldProblem[] };

const SERVED = Object.keys(KIND).join(', ');

function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Checks one parsed object; objects of other API groups are skipped. */
export function checkObject(obj: unknown, checkers: Checkers): ObjectResult {
  if (!isObj(obj)) {
    return {
      kind: 'checked',
      object: '',
      problems: [
        { path: '', message: 'not a Kubernetes object: expected a mapping with apiVersion and kind' },
      ],
    };
  }
  const { apiVersion, kind } = obj;
  const name = isObj(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '<unnamed>';
  const label = `${typeof kind === 'string' ? kind : '<no kind>'}/${name}`;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const problems: FieldProblem[] = [];
    if (typeof apiVersion !== 'string' || apiVersion === '')
      problems.push({ path: 'apiVersion', message: 'required' });
    if (typeof kind !== 'string' || kind === '') problems.push({ path: 'kind', message: 'required' });
    return { kind: 'checked', object: label, problems };
  }
  const group = groupOf(apiVersion);
  if (group !== API_GROUP && !group.endsWith(`.${API_GROUP}`)) {
    const warnings = reloaderAnnotationWarnings(obj);
    return warnings.length > 0 ? { kind: 'skipped', object: label, warnings } : { kind: 'skipped' };
  }
  const version = apiVersion.slice(group.length + 1);
  const fail = (message: string, path = ''): ObjectResult => ({
    kind: 'checked',
    object: label,
    problems: [{ path, message }],
  });
  if (group !== API_GROUP)
    return fail(`${apiVersion} ${kind} is not served by secretsync (it serves ${API_GROUP} ${SERVED} only)`);
  if (!Object.hasOwn(KIND, kind))
    return fail(`kind ${kind} is not served by secretsync (it serves ${SERVED})`, 'kind');
  if (!(API_VERSIONS as readonly string[]).includes(version))
    return fail(
      `${apiVersion} is not served: use ${API_VERSIONS.map((v) => `${API_GROUP}/${v}`).join(' or ')}`,
      'apiVersion',
    );

  const semantic = [
    ...metadataProblems(obj, kind !== KIND.ClusterSecretStore && kind !== KIND.ClusterExternalSecret),
    ...(SEMANTIC_CHECKS[kind]?.(obj) ?? []),
  ];
  // A warning hides no schema or CEL problem at its path.
  const covered = new Set(semantic.filter((p) => !p.warning).flatMap((p) => [p.path, ...(p.covers ?? [])]));
  const problems = [...semantic];
  const schemaResult = checkers.schema(obj);
  for (const p of schemaResult.problems) {
    let path = pointerToPath(p.path);
    let message = p.message;
    const missing = /^must have required property '(.+)'$/.exec(message);
    if (missing) {
      path = path ? `${path}.${missing[1]}` : missing[1]!;
      message = 'required';
    }
    if (covered.has(path)) continue;
    covered.add(path);
    problems.push({ path, message });
  }
  for (const p of checkers.cel?.(obj) ?? []) {
    if (covered.has(p.path)) continue;
    covered.add(p.path);
    problems.push(p);
  }
  // One line per (path, message), in document order of discovery.
  const seen = new Set<string>();
  return {
    kind: 'checked',
    object: label,
    problems: problems.filter((p) => {
      const key = `${p.path}\n${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  };
}

// ── files and streams ────────────────────────────────────────────────────────────────────────

/** Checks every YAML document of one source; appends to the summary. */
export function checkSource(source: Source, checkers: Checkers, into: ValidateSummary): void {
  const docs = parseAllDocuments(source.text);
  const docList = Array.isArray(docs) ? docs : [];
  docList.forEach((doc, i) => {
    const docIndex = i + 1;
    if (doc.errors.length > 0) {
      into.documents++;
      for (const e of doc.errors) {
        const pos = e.linePos?.[0];
        const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
        const first = e.message.split('\n')[0] ?? e.message;
        into.problems.push({
          file: source.name,
          doc: docIndex,
          message: `YAML syntax error${where}: ${first.replace(/ at line \d+, column \d+:?$/, '')}`,
        });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return; // an empty document
    into.documents++;
    const items =
      isObj(value) &&
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
        ? value.items
        : [value];
    for (const item of items) {
      const r = checkObject(item, checkers);
      if (r.kind === 'skipped') into.skipped++;
      else into.validated++;
      for (const p of r.kind === 'skipped' ? (r.warnings ?? []) : r.problems)
        into.problems.push({
          file: source.name,
          doc: docIndex,
          object: r.object || undefined,
          path: p.path || undefined,
          message: p.message,
          ...(p.warning && { warning: true }),
        });
    }
  });
}

const MANIFEST = /\.(ya?ml|json)$/i;
/** Kustomize's own files are not manifests. */
const KUSTOMIZATION = /^(kustomization\.ya?ml|Kustomization)$/;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile() && MANIFEST.test(e.name) && !KUSTOMIZATION.test(e.name)) out.push(p);
  }
  return out;
}

export interface ValidateIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  readStdin: () => Promise<string>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const processIo = (): ValidateIo => ({
  stdout: (l) => process.stdout.write(`${l}\n`),
  stderr: (l) => process.stderr.write(`${l}\n`),
  readStdin: () => readAll(process.stdin),
});

/** Runs the command; returns the exit code (0 clean, 1 problems, 2 usage). */
export async function runValidate(
  inputs: string[],
  io: ValidateIo,
  opts: { checkers?: Checkers; quiet?: boolean } = {},
): Promise<number> {
  if (inputs.length === 0) {
    io.stderr(
      'secretsync validate: nothing to validate: pass files, directories, or - to read standard input',
    );
    return 2;
  }
  const checkers = opts.checkers ?? (await loadCheckers());
  const summary: ValidateSummary = { problems: [], documents: 0, validated: 0, skipped: 0 };
  let stdinRead = false;
  for (const input of inputs) {
    if (input === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      checkSource({ name: '<stdin>', text: await io.readStdin() }, checkers, summary);
      continue;
    }
    let files: string[];
    try {
      files = (await stat(input)).isDirectory() ? await filesUnder(input) : [input];
    } catch (err) {
      const code = (err as { code?: string }).code;
      summary.problems.push({
        file: input,
        doc: 0,
        message: code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${errText(err)}`,
      });
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        summary.problems.push({ file, doc: 0, message: `cannot read: ${errText(err)}` });
        continue;
      }
      const shown = relative(process.cwd(), file);
      checkSource({ name: shown.startsWith('..') || shown === '' ? file : shown, text }, checkers, summary);
    }
  }
  for (const p of summary.problems) io.stdout(formatProblem(p));
  const warnings = summary.problems.filter((p) => p.warning).length;
  const problems = summary.problems.length - warnings;
  const counts =
    `${summary.validated} external-secrets.io object${summary.validated === 1 ? '' : 's'} checked, ` +
    `${summary.skipped} other object${summary.skipped === 1 ? '' : 's'} skipped, ` +
    `${problems} problem${problems === 1 ? '' : 's'}` +
    (warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : '');
  if (summary.documents === 0 && summary.problems.length === 0) {
    io.stderr(`secretsync validate: no YAML documents found in ${inputs.join(' ')}`);
    return 1;
  }
  if (!opts.quiet) io.stderr(counts);
  return problems > 0 ? 1 : 0;
}

export function registerValidate(program: Command): Command {
  return program
    .command('validate')
    .description(
      'validate manifests offline against the CRD schemas, their CEL rules and secretsync’s own rules',
    )
    .argument('[paths...]', 'YAML/JSON files, directories (searched recursively), or - for standard input')
    .option('-q, --quiet', 'print only the problems, not the summary line')
    .addHelpText(
      'after',
      `
Checks every external-secrets.io object (ExternalSecret, SecretStore, ClusterSecretStore,
ClusterExternalSecret at v1 or v1beta1); objects of other kinds are skipped and counted. Prints one line per problem:

  file:document: Kind/name: field.path: message

(documents numbered from 1) and exits 1 if there is any problem, 0 otherwise, 2 on bad usage.
Fields and Reloader annotations (on any workload) that are accepted but not honoured print as
\`warning:\` lines and do not change the exit code.

Examples:
  secretsync validate examples/
  kubectl kustomize overlays/prod | secretsync validate -`,
    )
    .action(async (paths: string[], flags: { quiet?: boolean }) => {
      process.exitCode = await runValidate(paths, processIo(), { quiet: flags.quiet });
    });
}
