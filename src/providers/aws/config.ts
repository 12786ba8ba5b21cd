// AWS Secrets Manager store configuration and request shapes, pure: `spec.provider.aws` parsed and
// validated, remoteRef versions (stage or ESO's `uuid/<VersionId>`), the store prefix, getSecrets
// result keys and the ListSecrets filters for dataFrom.find. Kept apart from the SDK so it can be
// tested without loading it.

import { unsupportedAwsFields } from '../../api/unsupported-fields';
import { InvalidRefError } from '../core/errors';
import type { FindQuery, RemoteKey } from '../core/types';

/** The stage every secret's current value carries; ESO's default `remoteRef.version`. */
export const AWSCURRENT = 'AWSCURRENT';
/** BatchGetSecretValue takes at most 20 ids in SecretIdList. */
export const BATCH_MAX = 20;

/** `spec.provider.aws`, validated (service SecretsManager). */
export interface AwsStoreConfig {
  region?: string;
  /** Prepended to every remoteRef.key (not to dataFrom.find, as in ESO). */
  prefix: string;
  role?: string;
  additionalRoles: string[];
  externalID?: string;
  /** `auth` as given (per-store identities are resolved by the caller). */
  auth?: Record<string, unknown>;
}

/** A remoteRef.version: a staging label (default AWSCURRENT) or a VersionId (`uuid/<id>`). */
export type AwsVersion = { stage: string; isDefault: boolean } | { versionId: string };

const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

function optString(spec: Record<string, unknown>, field: string): string | undefined {
  const v = spec[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidRefError(`aws.${field} must be a string`);
  return v;
}

/** Parses `spec.provider.aws`; messages name the field to fix. */
export function parseAwsSpec(spec: unknown): AwsStoreConfig {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidRefError('provider aws must be an object (service, region, role, auth, prefix)');
  }
  const s = spec as Record<string, unknown>;
  const service = optString(s, 'service') ?? 'SecretsManager';
  if (service !== 'SecretsManager') {
    throw new InvalidRefError(
      `aws.service "${service}" is not supported; secretsync serves service: SecretsManager only`,
    );
  }
  const unsupported = unsupportedAwsFields(s);
  if (unsupported.length > 0) {
    throw new InvalidRefError(
      `${unsupported.join(', ')}: STS session tags are not supported by secretsync yet (roles are ` +
        'assumed without tags, which can change what they may read); remove them, or keep ESO for this store',
    );
  }
  const region = optString(s, 'region');
  if (region !== undefined && !REGION.test(region)) {
    throw new InvalidRefError(`aws.region "${region}" is not an AWS region name (e.g. eu-west-1)`);
  }
  const roles = s.additionalRoles ?? [];
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string' || r === '')) {
    throw new InvalidRefError('aws.additionalRoles must be a list of role ARNs');
  }
  const auth = s.auth;
  if (auth !== undefined && auth !== null && (typeof auth !== 'object' || Array.isArray(auth))) {
    throw new InvalidRefError('aws.auth must be an object (jwt or secretRef)');
  }
  const authObj = auth as Record<string, unknown> | null | undefined;
  const role = optString(s, 'role');
  const externalID = optString(s, 'externalID');
  return {
    ...(region !== undefined && { region }),
    prefix: optString(s, 'prefix') ?? '',
    ...(role !== undefined && { role }),
    additionalRoles: roles as string[],
    ...(externalID !== undefined && { externalID }),
    ...(authObj && Object.keys(authObj).length > 0 && { auth: authObj }),
  };
}

/** remoteRef.version → a stage or a VersionId, as ESO reads it. */
export function parseVersion(version: string | undefined): AwsVersion {
  if (version === undefined || version === '' || version === AWSCURRENT) {
    return { stage: AWSCURRENT, isDefault: true };
  }
  if (version.startsWith('uuid/')) {
    const versionId = version.slice('uuid/'.length);
    if (versionId === '') {
      throw new InvalidRefError('remoteRef.version "uuid/" names no VersionId (use uuid/<VersionId>)');
    }
    return { versionId };
  }
  if (version.length > 256) {
    throw new InvalidRefError(
      'remoteRef.version is longer than 256 characters, the limit for a staging label',
    );
  }
  return { stage: version, isDefault: false };
}

/**
 * The SecretId sent to AWS: the store prefix + remoteRef.key, as ESO concatenates them. An ARN is
 * sent as written (ESO would prefix it too, which can never name a secret).
 */
export function secretId(prefix: string, key: string): string {
  if (typeof key !== 'string' || key === '') throw new InvalidRefError('remoteRef.key is empty');
  return key.startsWith('arn:') ? key : prefix + key;
}

/** Key of a getSecrets result: `${key}@${version ?? ''}` (key as given, before the prefix). */
export function resultKey(ref: RemoteKey): string {
  return `${ref.key}@${ref.version ?? ''}`;
}

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface ListFilter {
  Key: 'name' | 'tag-key' | 'tag-value';
  Values: string[];
}

/** What a Filter value may contain (AWS rejects others); a leading `!` would negate, so never sent. */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.-]{1,512}$/;

/**
 * A literal name prefix an RE2 pattern anchored with `^` implies (`^app/prod/.*` → `app/prod/`), so
 * ListSecrets can narrow by name even without find.path. Conservative: no alternation, no flags;
 * a literal followed by an optional quantifier is dropped.
 */
export function regexpPrefix(pattern: string | undefined): string {
  if (!pattern?.startsWith('^') || pattern.includes('|')) return '';
  let out = '';
  for (let i = 1; i < pattern.length; i++) {
    let ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break; // \d, \w, \Q, …: not a literal
      ch = next;
      i++;
    } else if (!/[a-zA-Z0-9 :_@/=-]/.test(ch)) {
      if (ch === '?' || ch === '*' || ch === '{') out = out.slice(0, -1);
      break;
    }
    const after = pattern[i + 1];
    if (after === '?' || after === '*' || after === '{') break;
    out += ch;
  }
  return FILTER_VALUE.test(out) ? out : '';
}

/**
 * ListSecrets filters that narrow dataFrom.find server-side, as ESO sends them (`name` for the
 * path, a `tag-key` and a `tag-value` filter per tag). They are only a hint: AWS matches them as
 * prefixes and key and value independently (and moto differs again), so every result is re-checked
 * client-side. Values AWS would reject, or read as a negation, are left out.
 */
export function listFilters(query: FindQuery): ListFilter[] {
  const filters: ListFilter[] = [];
  const name = query.path || regexpPrefix(query.nameRegexp);
  if (name && FILTER_VALUE.test(name)) filters.push({ Key: 'name', Values: [name] });
  for (const [k, v] of Object.entries(query.tags ?? {})) {
    if (FILTER_VALUE.test(k)) filters.push({ Key: 'tag-key', Values: [k] });
    if (FILTER_VALUE.test(v)) filters.push({ Key: 'tag-value', Values: [v] });
  }
  return filters;
}
