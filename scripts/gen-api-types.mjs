#!/usr/bin/env node
// Keeps the CRDs in crds/ consistent and generates src/api/generated.ts from them.
//
// The hand-edited sources are the v1 schemas of crds/externalsecrets.yaml and crds/secretstores.yaml.
// This script
//   1. copies each CRD's v1 schema, printer columns, selectable fields and subresources to its other
//      versions (v1beta1 is served with the same schema as v1),
//   2. copies SecretStore's v1 object schema (properties, required) and columns to ClusterSecretStore
//      (ESO uses one spec for both kinds), and ExternalSecret's v1 spec schema to ClusterExternalSecret's
//      spec.externalSecretSpec,
//   3. generates TypeScript types from the v1 schemas with json-schema-to-typescript and formats them
//      with the repository's prettier configuration.
//
// Usage: node scripts/gen-api-types.mjs           write crds/*.yaml (only if changed) and src/api/generated.ts
//        node scripts/gen-api-types.mjs --check   exit 1 and list the files that are out of date
import { isDeepStrictEqual } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import prettier from 'prettier';
import { parseDocument } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CRD_DIR = path.join(ROOT, 'crds');
const OUT_FILE = path.join(ROOT, 'src', 'api', 'generated.ts');
const STORAGE_VERSION = 'v1';
const GROUP = 'external-secrets.io';
const ROOT_KIND = 'ExternalSecret';

const CRD_FILES = {
  ExternalSecret: 'externalsecrets.yaml',
  SecretStore: 'secretstores.yaml',
  ClusterSecretStore: 'clustersecretstores.yaml',
  ClusterExternalSecret: 'clusterexternalsecrets.yaml',
};

// Version-level keys that are the same for every served version.
const SYNCED_VERSION_KEYS = ['additionalPrinterColumns', 'selectableFields', 'subresources', 'schema'];
// Keys of the SecretStore v1 version copied to ClusterSecretStore.
const STORE_VERSION_KEYS = ['additionalPrinterColumns', 'subresources'];
// Keys of SecretStore's openAPIV3Schema copied to ClusterSecretStore's (its description stays its own).
const STORE_SCHEMA_KEYS = ['type', 'required', 'properties'];

const YAML_OUT = { lineWidth: 0 };

// ---------------------------------------------------------------------------------------------------
// CRD consistency

function versionNode(doc, name) {
  const node = doc.getIn(['spec', 'versions']).items.find((v) => v.get('name') === name);
  if (!node) throw new Error(`${doc.get('metadata').get('name')}: no version ${name}`);
  return node;
}

function copyKey(from, to, key) {
  const node = from.get(key, true);
  if (node === undefined) to.delete(key);
  else to.set(key, typeof node === 'object' && node !== null && 'clone' in node ? node.clone() : node);
}

function syncVersions(doc) {
  const storage = versionNode(doc, STORAGE_VERSION);
  for (const v of doc.getIn(['spec', 'versions']).items) {
    if (v === storage) continue;
    for (const key of SYNCED_VERSION_KEYS) copyKey(storage, v, key);
  }
}

function syncClusterStore(storeDoc, clusterDoc) {
  const from = versionNode(storeDoc, STORAGE_VERSION);
  const to = versionNode(clusterDoc, STORAGE_VERSION);
  for (const key of STORE_VERSION_KEYS) copyKey(from, to, key);
  const fromSchema = from.getIn(['schema', 'openAPIV3Schema']);
  const toSchema = to.getIn(['schema', 'openAPIV3Schema']);
  for (const key of STORE_SCHEMA_KEYS) copyKey(fromSchema, toSchema, key);
}

// ExternalSecret's spec schema as ClusterExternalSecret's spec.externalSecretSpec (its description stays its own).
function syncExternalSecretSpec(esDoc, cesDoc) {
  const from = versionNode(esDoc, STORAGE_VERSION).getIn(['schema', 'openAPIV3Schema', 'properties', 'spec']);
  const to = versionNode(cesDoc, STORAGE_VERSION).getIn([
    'schema',
    'openAPIV3Schema',
    'properties',
    'spec',
    'properties',
    'externalSecretSpec',
  ]);
  for (const pair of [...to.items]) if (pair.key.value !== 'description') to.delete(pair.key.value);
  for (const pair of from.items) if (pair.key.value !== 'description') copyKey(from, to, pair.key.value);
}

/** Reads crds/*.yaml and returns { file: synced text } plus the parsed CRD objects. */
export function syncCrds(crdDir = CRD_DIR) {
  const docs = {};
  const texts = {};
  for (const [kind, file] of Object.entries(CRD_FILES)) {
    texts[kind] = fs.readFileSync(path.join(crdDir, file), 'utf8');
    docs[kind] = parseDocument(texts[kind]);
    if (docs[kind].errors.length) throw new Error(`${file}: ${docs[kind].errors[0].message}`);
  }
  syncClusterStore(docs.SecretStore, docs.ClusterSecretStore);
  syncExternalSecretSpec(docs.ExternalSecret, docs.ClusterExternalSecret);
  const files = {};
  const crds = {};
  for (const [kind, file] of Object.entries(CRD_FILES)) {
    syncVersions(docs[kind]);
    files[path.join(crdDir, file)] = docs[kind].toString(YAML_OUT);
    crds[kind] = docs[kind].toJS();
    checkCrd(kind, crds[kind]);
  }
  return { files, crds };
}

function checkCrd(kind, crd) {
  const where = `${CRD_FILES[kind]}`;
  if (crd.spec.group !== GROUP) throw new Error(`${where}: group must be ${GROUP}`);
  if (crd.spec.names.kind !== kind) throw new Error(`${where}: kind must be ${kind}`);
  const storage = crd.spec.versions.filter((v) => v.storage);
  if (storage.length !== 1 || storage[0].name !== STORAGE_VERSION) {
    throw new Error(`${where}: ${STORAGE_VERSION} must be the only storage version`);
  }
}

// ---------------------------------------------------------------------------------------------------
// TypeScript generation

// Names of the generated interfaces and type aliases, by path below each kind's openAPIV3Schema
// ('.' between properties, '[]' for array items, '{}' for map values). Sub-schemas that share a
// name must be identical apart from descriptions; they become one definition.
const NAMES = {
  ExternalSecret: {
    '': 'ExternalSecret',
    spec: 'ExternalSecretSpec',
    status: 'ExternalSecretStatus',
    'spec.secretStoreRef': 'SecretStoreRef',
    'spec.secretStoreRef.kind': 'SecretStoreKind',
    'spec.refreshPolicy': 'ExternalSecretRefreshPolicy',
    'spec.syncWindows': 'ExternalSecretSyncWindows',
    'spec.syncWindows.kind': 'ExternalSecretSyncWindowKind',
    'spec.syncWindows.windows[]': 'ExternalSecretSyncWindowEntry',
    'spec.target': 'ExternalSecretTarget',
    'spec.target.creationPolicy': 'ExternalSecretCreationPolicy',
    'spec.target.deletionPolicy': 'ExternalSecretDeletionPolicy',
    'spec.target.manifest': 'ManifestReference',
    'spec.target.template': 'ExternalSecretTemplate',
    'spec.target.template.engineVersion': 'TemplateEngineVersion',
    'spec.target.template.mergePolicy': 'TemplateMergePolicy',
    'spec.target.template.metadata': 'ExternalSecretTemplateMetadata',
    'spec.target.template.templateFrom[]': 'TemplateFrom',
    'spec.target.template.templateFrom[].configMap': 'TemplateRef',
    'spec.target.template.templateFrom[].configMap.items[]': 'TemplateRefItem',
    'spec.target.template.templateFrom[].configMap.items[].templateAs': 'TemplateScope',
    'spec.data[]': 'ExternalSecretData',
    'spec.data[].remoteRef': 'ExternalSecretDataRemoteRef',
    'spec.data[].remoteRef.metadataPolicy': 'ExternalSecretMetadataPolicy',
    'spec.data[].remoteRef.conversionStrategy': 'ExternalSecretConversionStrategy',
    'spec.data[].remoteRef.decodingStrategy': 'ExternalSecretDecodingStrategy',
    'spec.data[].remoteRef.nullBytePolicy': 'ExternalSecretNullBytePolicy',
    'spec.data[].sourceRef': 'StoreSourceRef',
    'spec.data[].sourceRef.generatorRef': 'GeneratorRef',
    'spec.dataFrom[]': 'ExternalSecretDataFromRemoteRef',
    'spec.dataFrom[].find': 'ExternalSecretFind',
    'spec.dataFrom[].find.name': 'FindName',
    'spec.dataFrom[].rewrite[]': 'ExternalSecretRewrite',
    'spec.dataFrom[].rewrite[].regexp': 'ExternalSecretRewriteRegexp',
    'spec.dataFrom[].rewrite[].transform': 'ExternalSecretRewriteTransform',
    'spec.dataFrom[].rewrite[].merge': 'ExternalSecretRewriteMerge',
    'spec.dataFrom[].sourceRef': 'StoreGeneratorSourceRef',
    'status.conditions[]': 'ExternalSecretStatusCondition',
    'status.conditions[].type': 'ExternalSecretConditionType',
    'status.binding': 'SecretBinding',
  },
  SecretStore: {
    '': 'SecretStore',
    spec: 'SecretStoreSpec',
    status: 'SecretStoreStatus',
    'spec.provider': 'SecretStoreProvider',
    'spec.provider.gcpsm': 'GCPSMProvider',
    'spec.provider.gcpsm.secretVersionSelectionPolicy': 'SecretVersionSelectionPolicy',
    'spec.provider.gcpsm.auth': 'GCPSMAuth',
    'spec.provider.gcpsm.auth.secretRef': 'GCPSMAuthSecretRef',
    'spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef': 'SecretKeySelector',
    'spec.provider.gcpsm.auth.workloadIdentity': 'GCPWorkloadIdentity',
    'spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef': 'ServiceAccountSelector',
    'spec.provider.gcpsm.auth.workloadIdentityFederation': 'GCPWorkloadIdentityFederation',
    'spec.provider.gcpsm.auth.workloadIdentityFederation.credConfig': 'ConfigMapReference',
    'spec.provider.gcpsm.auth.workloadIdentityFederation.awsSecurityCredentials': 'AwsCredentialsConfig',
    'spec.provider.gcpsm.auth.workloadIdentityFederation.awsSecurityCredentials.awsCredentialsSecretRef':
      'SecretReference',
    'spec.provider.aws': 'AWSProvider',
    'spec.provider.aws.service': 'AWSServiceType',
    'spec.provider.aws.sessionTags[]': 'Tag',
    'spec.provider.aws.sessionTagsPolicy': 'SessionTagsPolicy',
    'spec.provider.aws.secretsManager': 'SecretsManager',
    'spec.provider.aws.auth': 'AWSAuth',
    'spec.provider.aws.auth.secretRef': 'AWSAuthSecretRef',
    'spec.provider.aws.auth.jwt': 'AWSJWTAuth',
    'spec.provider.fake': 'FakeProvider',
    'spec.provider.fake.data[]': 'FakeProviderData',
    'spec.retrySettings': 'SecretStoreRetrySettings',
    'spec.conditions[]': 'ClusterSecretStoreCondition',
    'spec.conditions[].namespaceSelector': 'LabelSelector',
    'spec.conditions[].namespaceSelector.matchExpressions[]': 'LabelSelectorRequirement',
    'status.conditions[]': 'SecretStoreStatusCondition',
  },
};

// Paths whose schema is the same as another path's: they get the same names, nested names included.
const SAME_AS = {
  ExternalSecret: {
    'spec.data[].sourceRef.storeRef': 'spec.secretStoreRef',
    'spec.dataFrom[].sourceRef.storeRef': 'spec.secretStoreRef',
    'spec.dataFrom[].sourceRef.generatorRef': 'spec.data[].sourceRef.generatorRef',
    'spec.dataFrom[].extract': 'spec.data[].remoteRef',
    'spec.dataFrom[].find.conversionStrategy': 'spec.data[].remoteRef.conversionStrategy',
    'spec.dataFrom[].find.decodingStrategy': 'spec.data[].remoteRef.decodingStrategy',
    'spec.dataFrom[].find.nullBytePolicy': 'spec.data[].remoteRef.nullBytePolicy',
    'spec.target.template.templateFrom[].secret': 'spec.target.template.templateFrom[].configMap',
    'spec.target.template.templateFrom[].valuesDecodingStrategy': 'spec.data[].remoteRef.decodingStrategy',
  },
  SecretStore: {
    'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef':
      'spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef',
    'spec.provider.aws.auth.secretRef.secretAccessKeySecretRef':
      'spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef',
    'spec.provider.aws.auth.secretRef.sessionTokenSecretRef':
      'spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef',
    'spec.provider.aws.auth.jwt.serviceAccountRef':
      'spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef',
    'spec.provider.gcpsm.auth.workloadIdentityFederation.serviceAccountRef':
      'spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef',
  },
};

for (const [kind, aliases] of Object.entries(SAME_AS)) {
  const names = NAMES[kind];
  for (const [alias, original] of Object.entries(aliases)) {
    for (const [at, name] of Object.entries(names)) {
      if (at === original || (at.startsWith(original) && '.[{'.includes(at[original.length]))) {
        names[alias + at.slice(original.length)] = name;
      }
    }
  }
}

// ClusterSecretStore has SecretStore's spec and status.
NAMES.ClusterSecretStore = { ...NAMES.SecretStore, '': 'ClusterSecretStore' };

// ClusterExternalSecret's spec.externalSecretSpec is ExternalSecret's spec.
NAMES.ClusterExternalSecret = {
  ...Object.fromEntries(
    Object.entries(NAMES.ExternalSecret)
      .filter(([at]) => at === 'spec' || at.startsWith('spec.') || at.startsWith('spec['))
      .map(([at, name]) => [`spec.externalSecretSpec${at.slice('spec'.length)}`, name]),
  ),
  '': 'ClusterExternalSecret',
  spec: 'ClusterExternalSecretSpec',
  status: 'ClusterExternalSecretStatus',
  'spec.externalSecretMetadata': 'ExternalSecretMetadata',
  // Stricter than a store condition's selector: admission refuses what would never match.
  'spec.namespaceSelector': 'NamespaceLabelSelector',
  'spec.namespaceSelector.matchExpressions[]': 'NamespaceLabelSelectorRequirement',
  'spec.namespaceSelector.matchExpressions[].operator': 'LabelSelectorOperator',
  'spec.namespaceSelectors[]': 'NamespaceLabelSelector',
  'spec.namespaceSelectors[].matchExpressions[]': 'NamespaceLabelSelectorRequirement',
  'spec.namespaceSelectors[].matchExpressions[].operator': 'LabelSelectorOperator',
  'status.failedNamespaces[]': 'ClusterExternalSecretNamespaceFailure',
  'status.conditions[]': 'ClusterExternalSecretStatusCondition',
};

const stripDescriptions = (s) =>
  Array.isArray(s)
    ? s.map(stripDescriptions)
    : s && typeof s === 'object'
      ? Object.fromEntries(
          Object.entries(s)
            .filter(([k]) => k !== 'description')
            .map(([k, v]) => [k, stripDescriptions(v)]),
        )
      : s;

// A field whose only admission rule is `false` can never be set (e.g. unsupported providers): not typed.
const isForbidden = (s) => (s['x-kubernetes-validations'] ?? []).some((r) => r.rule.trim() === 'false');

/** Turns a CRD schema into plain JSON Schema for json-schema-to-typescript, hoisting named parts. */
function toTypeSchema(kind, schema, definitions) {
  const names = NAMES[kind];
  const used = new Set();
  const walk = (s, at) => {
    const out = {};
    for (const [key, value] of Object.entries(s)) {
      if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'anyOf') continue;
      if (key === 'properties') {
        out.properties = {};
        for (const [prop, sub] of Object.entries(value)) {
          if (!isForbidden(sub)) out.properties[prop] = walk(sub, at === '' ? prop : `${at}.${prop}`);
        }
      } else if (key === 'items') {
        out.items = walk(value, `${at}[]`);
      } else if (key === 'additionalProperties' && typeof value === 'object') {
        out.additionalProperties = walk(value, `${at}{}`);
      } else {
        out[key] = value;
      }
    }
    if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
    if (s.nullable) out.type = [out.type, 'null'].flat();
    if (s.type === 'object' && !s.properties && !s.additionalProperties) {
      out.additionalProperties = s['x-kubernetes-preserve-unknown-fields'] ? {} : false;
    }
    const name = names[at];
    if (!name) return out;
    used.add(at);
    out.title = name;
    const existing = definitions[name];
    if (existing && !isDeepStrictEqual(stripDescriptions(existing), stripDescriptions(out))) {
      throw new Error(`${kind} ${at}: differs from the earlier schema named ${name}`);
    }
    definitions[name] ??= out;
    // A sibling description would make json-schema-to-typescript emit a copy of the type.
    return { $ref: `#/definitions/${name}` };
  };
  const root = walk(schema, '');
  const unused = Object.keys(names).filter((at) => !used.has(at));
  if (unused.length) throw new Error(`${kind}: no schema at ${unused.join(', ')}`);
  return root;
}

/** JSON Schema with one definition per generated type. */
export function typeSchema(crds) {
  const definitions = {};
  for (const kind of Object.keys(CRD_FILES)) {
    const crd = crds[kind];
    const version = crd.spec.versions.find((v) => v.name === STORAGE_VERSION);
    toTypeSchema(kind, version.schema.openAPIV3Schema, definitions);
    const def = definitions[kind];
    const apiVersions = crd.spec.versions.map((v) => `'${GROUP}/${v.name}'`).join(' | ');
    def.properties.apiVersion = { ...def.properties.apiVersion, tsType: apiVersions };
    def.properties.kind = { ...def.properties.kind, tsType: `'${kind}'` };
    def.properties.metadata = { description: 'Standard object metadata.', tsType: 'V1ObjectMeta' };
    definitions[`${kind}List`] = {
      title: `${kind}List`,
      description: `A list of ${kind} objects, as returned by the API server.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { tsType: `'${kind}List'` },
        metadata: { $ref: '#/definitions/ListMeta' },
        items: { type: 'array', items: { $ref: kind === ROOT_KIND ? '#' : `#/definitions/${kind}` } },
      },
      additionalProperties: false,
    };
  }
  // List metadata as it arrives in JSON (client-node's V1ListMeta class renames continue to _continue).
  definitions.ListMeta = {
    title: 'ListMeta',
    description: 'Metadata of a list response, as JSON.',
    type: 'object',
    additionalProperties: false,
    properties: {
      resourceVersion: { type: 'string' },
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer' },
    },
  };
  // The root schema is the ExternalSecret type; every other type is a definition.
  const { [ROOT_KIND]: root, ...others } = definitions;
  return { ...root, definitions: others };
}

const BANNER = `/**
 * Types of the external-secrets.io API served by secretsync (ExternalSecret, SecretStore,
 * ClusterSecretStore, ClusterExternalSecret), generated from the v1 schemas in crds/*.yaml by scripts/gen-api-types.mjs.
 * Do not edit: change the CRDs and run \`npm run gen:api\`.
 */
// V1ObjectMeta keeps these types compatible with client-node's KubernetesObject; note that objects read
// as JSON carry creationTimestamp/deletionTimestamp as strings, not the Dates the class declares.
import type { V1ObjectMeta } from '@kubernetes/client-node';
`;

export async function generateTypes(crds) {
  const code = await compile(typeSchema(crds), ROOT_KIND, {
    bannerComment: BANNER,
    additionalProperties: false,
    declareExternallyReferenced: true,
    unreachableDefinitions: true,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: false, // tsconfig has noUncheckedIndexedAccess
    enableConstEnums: false,
    unknownAny: true,
    format: false,
    cwd: ROOT,
  });
  // Drop the generator's "This interface was referenced by ... via the definition ..." notes.
  const tidy = code
    .replace(
      /\/\*\*\n \* This interface was referenced by [^\n]*\n \* via the `definition` "[^"]*"\.\n \*\/\n/g,
      '',
    )
    .replace(/\n \* ?\n \* This interface was referenced by [^\n]*\n \* via the `definition` "[^"]*"\./g, '');
  if (tidy.includes('This interface was referenced'))
    throw new Error('unexpected json-schema-to-typescript output');
  const options = (await prettier.resolveConfig(OUT_FILE)) ?? {};
  return prettier.format(tidy, { ...options, filepath: OUT_FILE });
}

/** Everything this script writes: { absolutePath: content }. */
export async function generate(crdDir = CRD_DIR) {
  const { files, crds } = syncCrds(crdDir);
  files[OUT_FILE] = await generateTypes(crds);
  return files;
}

async function main() {
  const check = process.argv.includes('--check');
  const files = await generate();
  const stale = Object.entries(files).filter(
    ([file, content]) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content,
  );
  for (const [file, content] of stale) {
    const rel = path.relative(ROOT, file);
    if (check) {
      console.error(`out of date: ${rel}`);
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      console.log(`wrote ${rel}`);
    }
  }
  if (check && stale.length) {
    console.error('run `npm run gen:api` to update them');
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
