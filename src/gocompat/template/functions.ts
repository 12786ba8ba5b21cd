// The function table templates can call: Go's builtins, the supported part of Sprig, ESO's
// toYaml/fromYaml, PEM/PKCS#12/JWK/RSA helpers and ESO engine-v1 aliases; plus the parse-time
// message that names a function we do not support (Sprig's env/network/random/date functions,
// unknown names).

import { BUILTIN_FUNCTIONS } from './builtins';
import { ESO_FUNCTIONS } from './eso';
import type { FuncDef, FuncTable } from './funcdef';
import { REGEX_FUNCTIONS } from './regex';
import { SPRIG_COLLECTION_FUNCTIONS } from './sprig-collections';
import { SPRIG_DECIMAL_FUNCTIONS } from './sprig-decimal';
import { SPRIG_DERIVE_PASSWORD } from './sprig-derive-password';
import { SPRIG_GOUTILS_FUNCTIONS } from './sprig-goutils';
import { SPRIG_PATH_FUNCTIONS } from './sprig-paths';
import { SPRIG_SEMVER_FUNCTIONS } from './sprig-semver';
import { SPRIG_STRING_FUNCTIONS } from './sprig-strings';
import { SPRIG_URL_FUNCTIONS } from './sprig-url';
import { SPRIG_XSTRINGS_FUNCTIONS } from './sprig-xstrings';
import { YAML_FUNCTIONS } from './yaml';

const BASE: FuncTable = {
  ...BUILTIN_FUNCTIONS,
  ...SPRIG_STRING_FUNCTIONS,
  ...SPRIG_URL_FUNCTIONS,
  ...SPRIG_XSTRINGS_FUNCTIONS,
  ...SPRIG_COLLECTION_FUNCTIONS,
  ...SPRIG_DECIMAL_FUNCTIONS,
  ...SPRIG_PATH_FUNCTIONS,
  ...SPRIG_SEMVER_FUNCTIONS,
  ...SPRIG_GOUTILS_FUNCTIONS,
  ...SPRIG_DERIVE_PASSWORD,
  ...REGEX_FUNCTIONS,
  ...YAML_FUNCTIONS,
  ...ESO_FUNCTIONS,
};

/** ESO template engine v1 names, mapped onto their v2 equivalents. */
const ALIASES: Record<string, string> = {
  base64encode: 'b64enc',
  base64decode: 'b64dec',
  // v1's fromJSON/toJSON returned errors instead of swallowing them.
  fromJSON: 'mustFromJson',
  toJSON: 'mustToJson',
};

const TABLE: ReadonlyMap<string, FuncDef> = new Map([
  ...Object.entries(BASE),
  ...Object.entries(ALIASES).map(([alias, target]): [string, FuncDef] => [alias, BASE[target] as FuncDef]),
]);

/** Names some ESO versions had (not in its current function list); not implemented. */
const ESO_ONLY = new Set(['getSecretKey', 'fromProperties']);

/** Deliberately unavailable: they would read the controller's environment or network. */
const DISABLED = new Set(['env', 'expandenv', 'getHostByName', 'call']);

/**
 * Sprig's clock and random functions, left out: a template must render the same bytes from the
 * same data, or every refresh would rewrite the Secret and roll every workload that reads it.
 */
const NONDETERMINISTIC = new Set([
  'now',
  'date',
  'dateInZone',
  'date_in_zone',
  'dateModify',
  'date_modify',
  'mustDateModify',
  'must_date_modify',
  'ago',
  'htmlDate',
  'htmlDateInZone',
  'unixEpoch',
  'toDate',
  'mustToDate',
  'duration',
  'durationRound',
  'randAlphaNum',
  'randAlpha',
  'randAscii',
  'randNumeric',
  'randInt',
  'randBytes',
  'shuffle',
  'uuidv4',
  'genPrivateKey',
  'genCA',
  'genCAWithKey',
  'genSelfSignedCert',
  'genSelfSignedCertWithKey',
  'genSignedCert',
  'genSignedCertWithKey',
  'buildCustomCert',
  'bcrypt',
  'encryptAES',
]);

/** Every function name templates may call, sorted. */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.freeze([...TABLE.keys()].sort());

/** The most used ones, for short error messages. */
const COMMON = [
  'b64enc',
  'b64dec',
  'toJson',
  'fromJson',
  'toYaml',
  'fromYaml',
  'printf',
  'default',
  'index',
  'replace',
];

export function lookupFunction(name: string): FuncDef | undefined {
  return TABLE.get(name);
}

/** Undefined when `name` is callable; otherwise a short message naming it. */
export function checkFunction(name: string): string | undefined {
  if (TABLE.has(name)) return undefined;
  const supported = `supported: ${COMMON.join(', ')}, … ${SUPPORTED_FUNCTIONS.length} in all`;
  let reason = '';
  if (DISABLED.has(name)) reason = "disabled: it would expose the controller's environment; ";
  else if (ESO_ONLY.has(name)) reason = 'ESO-specific, not implemented yet; ';
  else if (NONDETERMINISTIC.has(name)) reason = 'non-deterministic output; ';
  return `function ${JSON.stringify(name)} is not supported by secretsync (${reason}${supported})`;
}
