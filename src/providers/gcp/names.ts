// GCP Secret Manager store configuration and resource names, pure: `spec.provider.gcpsm` parsed and
// validated, and a remoteRef (short secret id or full resource name, optional version) turned into
// the resource names the API takes. Kept apart from the SDK so it can be tested without loading it.

import { InvalidRefError } from '../core/errors';
import type { RemoteKey } from '../core/types';

export type VersionSelectionPolicy = 'LatestOrFail' | 'LatestOrFetch';

/** `spec.provider.gcpsm`, validated. */
export interface GcpStoreConfig {
  projectID?: string;
  location?: string;
  secretVersionSelectionPolicy: VersionSelectionPolicy;
  /** `spec.provider.gcpsm.auth` as given (per-store identities are resolved by the caller). */
  auth?: Record<string, unknown>;
}

/** A secret: `projects/<project>[/locations/<location>]/secrets/<secret>`. */
export interface SecretName {
  project: string;
  location?: string;
  secret: string;
}

/** A secret version: `latest` or a version number. */
export interface VersionName extends SecretName {
  version: string;
  /** The version was not given (or given as `latest`): the selection policy applies. */
  isLatest: boolean;
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const FULL = /^projects\/([^/]+)\/(?:locations\/([^/]+)\/)?secrets\/([^/]+)(?:\/versions\/([^/]+))?$/;
const VERSION = /^(latest|[1-9][0-9]*)$/;
const LOCATION = /^[a-z0-9-]{1,63}$/;

function optString(spec: Record<string, unknown>, field: string): string | undefined {
  const v = spec[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidRefError(`gcpsm.${field} must be a string`);
  return v;
}

export function parseGcpSpec(spec: unknown): GcpStoreConfig {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidRefError('provider gcpsm must be an object (projectID, location, auth)');
  }
  const s = spec as Record<string, unknown>;
  const projectID = optString(s, 'projectID');
  const location = optString(s, 'location');
  if (location !== undefined && !LOCATION.test(location)) {
    throw new InvalidRefError(`gcpsm.location "${location}" is not a GCP region name (e.g. europe-west1)`);
  }
  const policy = optString(s, 'secretVersionSelectionPolicy') ?? 'LatestOrFail';
  if (policy !== 'LatestOrFail' && policy !== 'LatestOrFetch') {
    throw new InvalidRefError(
      `gcpsm.secretVersionSelectionPolicy "${policy}" is not supported; use LatestOrFail or LatestOrFetch`,
    );
  }
  const auth = s.auth;
  if (auth !== undefined && auth !== null && (typeof auth !== 'object' || Array.isArray(auth))) {
    throw new InvalidRefError('gcpsm.auth must be an object');
  }
  const authObj = auth as Record<string, unknown> | null | undefined;
  return {
    ...(projectID !== undefined && { projectID }),
    ...(location !== undefined && { location }),
    secretVersionSelectionPolicy: policy,
    ...(authObj && Object.keys(authObj).length > 0 && { auth: authObj }),
  };
}

/**
 * The version a remoteRef names. `remoteRef.key` may be a secret id (`db-password`) or a resource
 * name (`projects/p/secrets/db-password`, optionally `/locations/<l>` and `/versions/<n>`); the
 * project and location of a resource name win over the store's, but a location must agree with the
 * store's (a regional secret is only served by its regional endpoint).
 */
export function parseRef(ref: RemoteKey, store: { project: string; location?: string }): VersionName {
  const key = ref.key;
  let name: SecretName;
  let keyVersion: string | undefined;
  const m = FULL.exec(key);
  if (m) {
    const [, project, location, secret, version] = m;
    if (!SECRET_ID.test(secret!)) {
      throw new InvalidRefError(
        `remoteRef.key "${key}": secret id "${secret}" may only contain letters, digits, _ and - (at most 255)`,
      );
    }
    name = { project: project!, secret: secret!, ...(location !== undefined && { location }) };
    keyVersion = version;
    if ((location ?? '') !== (store.location ?? '')) {
      throw new InvalidRefError(
        location === undefined
          ? `remoteRef.key "${key}" names a global secret but the store has location ${store.location}: ` +
              'use a store without location for global secrets'
          : `remoteRef.key "${key}" names a secret in location ${location} but the store has ` +
              `${store.location ? `location ${store.location}` : 'no location (global secrets)'}: ` +
              `set the store's gcpsm.location to ${location}`,
      );
    }
  } else if (SECRET_ID.test(key)) {
    name = {
      project: store.project,
      secret: key,
      ...(store.location !== undefined && { location: store.location }),
    };
  } else {
    throw new InvalidRefError(
      `remoteRef.key "${key}" is neither a secret id (letters, digits, _ and -) nor a resource name ` +
        'projects/<project>[/locations/<location>]/secrets/<id>[/versions/<version>]',
    );
  }
  const refVersion = ref.version === '' ? undefined : ref.version;
  if (refVersion !== undefined && keyVersion !== undefined && refVersion !== keyVersion) {
    throw new InvalidRefError(
      `remoteRef.key "${key}" names version ${keyVersion} but remoteRef.version is "${refVersion}": give the version once`,
    );
  }
  const version = refVersion ?? keyVersion ?? 'latest';
  if (!VERSION.test(version)) {
    throw new InvalidRefError(
      `version "${version}" of remoteRef.key "${key}" is not valid: use "latest" or a version number (1, 2, …)`,
    );
  }
  return { ...name, version, isLatest: version === 'latest' };
}

export function parentPath(p: { project: string; location?: string }): string {
  return p.location ? `projects/${p.project}/locations/${p.location}` : `projects/${p.project}`;
}

export function secretPath(n: SecretName): string {
  return `${parentPath(n)}/secrets/${n.secret}`;
}

export function versionPath(n: SecretName, version: string): string {
  return `${secretPath(n)}/versions/${version}`;
}

/** The short secret id of a resource name the API returned (`projects/123/secrets/x` → `x`). */
export function shortName(resourceName: string): string {
  const i = resourceName.lastIndexOf('/secrets/');
  return i < 0 ? resourceName : resourceName.slice(i + '/secrets/'.length).split('/')[0]!;
}

/** The version number at the end of a version resource name, if any. */
export function versionOf(resourceName: string | null | undefined): string | undefined {
  return /\/versions\/([0-9]+)$/.exec(resourceName ?? '')?.[1];
}
