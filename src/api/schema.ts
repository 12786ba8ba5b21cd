// The CRD schemas in crds/*.yaml as plain JSON Schema, for validating manifests without an API
// server (the `secretsync validate` command, tests). The CRDs are the single source: the types in
// generated.ts come from the same files.
//
// What this covers: everything OpenAPI checks (types, required fields, enums, patterns, lengths).
// What it does not: the CEL rules (x-kubernetes-validations) and list-map key uniqueness, which
// only the API server evaluates; see crdValidationRules() for the rules themselves.

import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { API_GROUP, KIND, type ApiKind } from './constants';

export type JsonSchema = { [keyword: string]: unknown };

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JsonSchema };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
  subresources?: { status?: Record<string, never> };
  [key: string]: unknown;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      plural: string;
      singular: string;
      listKind: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    conversion?: { strategy: string };
    versions: CrdVersion[];
  };
}

/** File of each kind's CRD in crds/. */
export const CRD_FILES = {
  ExternalSecret: 'externalsecrets.yaml',
  SecretStore: 'secretstores.yaml',
  ClusterSecretStore: 'clustersecretstores.yaml',
  ClusterExternalSecret: 'clusterexternalsecrets.yaml',
} as const satisfies Record<ApiKind, string>;

const API_KINDS = Object.keys(KIND) as ApiKind[];

/** Finds crds/ by walking up from this module (works from src/ and from the compiled dist/). */
export function findCrdDir(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'crds');
    if (fs.existsSync(path.join(candidate, CRD_FILES.ExternalSecret))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no crds/ directory found above ${from}`);
  }
}

/** The CRDs, parsed. */
export function loadCrds(dir: string = findCrdDir()): Record<ApiKind, CustomResourceDefinition> {
  const out = {} as Record<ApiKind, CustomResourceDefinition>;
  for (const kind of API_KINDS) {
    const file = path.join(dir, CRD_FILES[kind]);
    const crd = parse(fs.readFileSync(file, 'utf8')) as CustomResourceDefinition;
    if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.names?.kind !== kind) {
      throw new Error(`${file}: not the CustomResourceDefinition of ${kind}`);
    }
    out[kind] = crd;
  }
  return out;
}

export interface StripOptions {
  /**
   * Add `additionalProperties: false` to every object schema that lists its properties and does not
   * preserve unknown fields, so unknown fields are errors (as with kubectl's default strict field
   * validation) instead of being silently pruned by the API server.
   */
  rejectUnknownFields?: boolean;
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy of an OpenAPI v3 CRD schema without the x-kubernetes-* keywords. */
export function stripKubernetesExtensions(schema: JsonSchema, options: StripOptions = {}): JsonSchema {
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword.startsWith('x-kubernetes-')) continue;
    if ((keyword === 'properties' || keyword === 'patternProperties') && isObject(value)) {
      // Keys here are field names, not keywords.
      out[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [
          name,
          isObject(sub) ? stripKubernetesExtensions(sub, options) : sub,
        ]),
      );
    } else if (Array.isArray(value)) {
      out[keyword] = value.map((v) =>
        isObject(v) && keyword !== 'enum' ? stripKubernetesExtensions(v, options) : v,
      );
    } else if (isObject(value) && keyword !== 'default' && keyword !== 'example') {
      out[keyword] = stripKubernetesExtensions(value, options);
    } else {
      out[keyword] = value;
    }
  }
  if (
    options.rejectUnknownFields &&
    isObject(schema.properties) &&
    schema.additionalProperties === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** openAPIV3Schema per kind and served version name, without x-kubernetes-* keywords. */
export type CrdSchemas = Record<ApiKind, Record<string, JsonSchema>>;

export interface LoadOptions extends StripOptions {
  /** Directory holding the CRD files; found automatically when unset. */
  dir?: string;
}

export function loadCrdSchemas(options: LoadOptions = {}): CrdSchemas {
  const crds = loadCrds(options.dir ?? findCrdDir());
  const out = {} as CrdSchemas;
  for (const kind of API_KINDS) {
    out[kind] = {};
    for (const version of crds[kind].spec.versions) {
      if (version.served)
        out[kind][version.name] = stripKubernetesExtensions(version.schema.openAPIV3Schema, options);
    }
  }
  return out;
}

export interface CrdValidationRule {
  /** JSON path of the schema node carrying the rule, e.g. `spec.target` or `spec.data[]`. */
  path: string;
  rule: string;
  message?: string;
  messageExpression?: string;
}

/** The CEL rules (x-kubernetes-validations) of a CRD schema, with where they apply. */
export function crdValidationRules(schema: JsonSchema, at = ''): CrdValidationRule[] {
  const rules: CrdValidationRule[] = [];
  const own = schema['x-kubernetes-validations'];
  if (Array.isArray(own)) {
    for (const r of own as Omit<CrdValidationRule, 'path'>[]) rules.push({ path: at, ...r });
  }
  if (isObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties)) {
      if (isObject(sub)) rules.push(...crdValidationRules(sub, at ? `${at}.${name}` : name));
    }
  }
  if (isObject(schema.items)) rules.push(...crdValidationRules(schema.items, `${at}[]`));
  if (isObject(schema.additionalProperties))
    rules.push(...crdValidationRules(schema.additionalProperties, `${at}{}`));
  return rules;
}

/** An Ajv instance that understands the formats used by the CRDs. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  // RFC 3339 date-time as the API server accepts it.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  return ajv;
}

export interface ManifestProblem {
  /** JSON pointer into the object, e.g. `/spec/data/0/remoteRef/key`. */
  path: string;
  message: string;
}

export interface ManifestValidation {
  valid: boolean;
  problems: ManifestProblem[];
}

export type ManifestValidator = (obj: unknown) => ManifestValidation;

const describe = (e: ErrorObject): ManifestProblem => {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    return { path: `${e.instancePath}/${String(params.additionalProperty)}`, message: 'unknown field' };
  }
  if (e.keyword === 'enum') {
    return {
      path: e.instancePath,
      message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}`,
    };
  }
  return { path: e.instancePath, message: e.message ?? e.keyword };
};

/**
 * Validates external-secrets.io objects against the CRD schema of their apiVersion and kind (OpenAPI
 * part only). Unknown fields are rejected unless `rejectUnknownFields: false` is passed.
 */
export function createManifestValidator(options: LoadOptions = {}): ManifestValidator {
  const schemas = loadCrdSchemas({ rejectUnknownFields: true, ...options });
  const ajv = createAjv();
  const compiled = new Map<string, ValidateFunction>();
  for (const kind of API_KINDS) {
    for (const [version, schema] of Object.entries(schemas[kind])) {
      compiled.set(`${API_GROUP}/${version}/${kind}`, ajv.compile(schema));
    }
  }
  return (obj) => {
    const { apiVersion, kind } = (isObject(obj) ? obj : {}) as { apiVersion?: unknown; kind?: unknown };
    const validate = compiled.get(`${String(apiVersion)}/${String(kind)}`);
    if (!validate) {
      return {
        valid: false,
        problems: [
          {
            path: '',
            message: `not an ${API_GROUP} object this version serves: ${String(apiVersion)} ${String(kind)}`,
          },
        ],
      };
    }
    if (validate(obj)) return { valid: true, problems: [] };
    return { valid: false, problems: (validate.errors ?? []).map(describe) };
  };
}
