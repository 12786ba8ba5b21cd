// Per-store AWS identities for `aws.auth` and `aws.role`, turned into what the aws provider's
// factory accepts (AwsClientOptions.credentials and .identity):
//  - auth.jwt.serviceAccountRef: a TokenRequest for that ServiceAccount (audience sts.amazonaws.com)
//    and AssumeRoleWithWebIdentity for the role in its eks.amazonaws.com/role-arn annotation — IRSA
//    for a ServiceAccount other than the controller's;
//  - auth.secretRef: access key, secret key and optional session token from Secrets;
//  - no auth: the SDK's default chain (IRSA env, EKS Pod Identity, environment keys) — nothing to do
//    here unless roles are to be assumed;
// then additionalRoles and `role` are assumed in turn (externalID with `role`), as ESO does.
// Credentials live in the shared cache, keyed by store, generation and identity.

import type { AwsClientOptions } from '.';
import { AuthError } from '../core/errors';
import type { ProviderContext, SecretsClient } from '../core/types';
import {
  assumeRoleError,
  sdkSts,
  sessionName,
  webIdentityError,
  type AwsCredentialIdentity,
  type StsApi,
} from './sts';
import { countCall, sharedCache, type CredentialCache } from '../credentials/cache';
import { IdentityConfigError } from '../credentials/errors';
import { guarded } from '../credentials/guard';
import { cachedAnnotations, secretKey, serviceAccountToken } from '../credentials/kube';
import { resolveKeyRef, resolveRef, storeKey, type ResolvedRef } from '../credentials/refs';

/** The annotation IRSA reads: the IAM role a ServiceAccount's tokens may assume. */
export const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
/** IRSA's optional per-ServiceAccount token audience. */
export const AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
export const STS_AUDIENCE = 'sts.amazonaws.com';
/** Static keys are read from their Secrets again this long after the last read (rotation). */
export const STATIC_REREAD_MS = 5 * 60_000;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const JWT = 'aws.auth.jwt.serviceAccountRef';
const KEYS = 'aws.auth.secretRef';

export interface AwsIdentityDeps {
  env?: Record<string, string | undefined>;
  cache?: CredentialCache;
  now?: () => number;
  /** STS to call (default: the SDK, at AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL when set). */
  sts?: StsApi;
}

type Creds = AwsCredentialIdentity & { expiresAt: number };

export interface AwsStoreIdentity {
  credentials: () => Promise<AwsCredentialIdentity>;
  /** Who the credentials act as, when known (a role ARN), for AccessDenied advice. */
  identity?: string;
  ensure(): Promise<unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Base {
  keyPart: string;
  /** Who the base credentials are, in messages. */
  label: string;
  fetch(): Promise<Creds>;
  /** The role the base credentials are for, read now if the context allows (eager checks). */
  describe(): Promise<string | undefined>;
}

function expiring(c: AwsCredentialIdentity & { expiration: Date }): Creds {
  return { ...c, expiresAt: c.expiration.getTime() };
}

function audiencesOf(saRef: Obj): string[] | undefined {
  const aud = saRef.audiences;
  if (aud === undefined || aud === null) return undefined;
  if (!Array.isArray(aud) || aud.some((a) => typeof a !== 'string' || a === '')) {
    throw new IdentityConfigError(`${JWT}.audiences must be a list of non-empty strings`);
  }
  return aud.length > 0 ? (aud as string[]) : undefined;
}

/** The role a ServiceAccount maps to, or an error saying to annotate it. */
export function roleFromAnnotations(annotations: Record<string, string>, ksa: ResolvedRef): string {
  const role = annotations[ROLE_ANNOTATION]?.trim();
  if (!role) {
    throw new AuthError(
      `ServiceAccount ${ksa.namespace}/${ksa.name} has no ${ROLE_ANNOTATION} annotation: annotate it with the ` +
        `IAM role to assume (${ROLE_ANNOTATION}: arn:aws:iam::<account>:role/<name>), or remove aws.auth.jwt to ` +
        "use the controller's own identity (IRSA or EKS Pod Identity through the default credential chain)",
    );
  }
  if (!ROLE_ARN.test(role)) {
    throw new AuthError(
      `the ${ROLE_ANNOTATION} annotation of ServiceAccount ${ksa.namespace}/${ksa.name} ("${role.slice(0, 200)}") ` +
        'is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    );
  }
  return role;
}

function webIdentity(
  jwt: Obj,
  ctx: ProviderContext,
  sts: StsApi,
  cache: CredentialCache,
  now: () => number,
): Base {
  if (!isObj(jwt.serviceAccountRef)) throw new IdentityConfigError(`${JWT} is required with aws.auth.jwt`);
  const saRef = jwt.serviceAccountRef;
  const ksa = resolveRef(saRef, JWT, ctx);
  const asked = audiencesOf(saRef);
  const subject = `system:serviceaccount:${ksa.namespace}:${ksa.name}`;
  return {
    keyPart: `jwt:${ksa.namespace}/${ksa.name}`,
    label: subject,
    async fetch() {
      const annotations = await cachedAnnotations(ctx, ksa, cache, now);
      const roleArn = roleFromAnnotations(annotations, ksa);
      const audiences = asked ?? [annotations[AUDIENCE_ANNOTATION]?.trim() || STS_AUDIENCE];
      const { token } = await serviceAccountToken(ctx, ksa, audiences);
      countCall('awsAssumeRoleWithWebIdentity');
      try {
        const c = await sts.assumeRoleWithWebIdentity({
          RoleArn: roleArn,
          RoleSessionName: sessionName(ksa.namespace, ksa.name),
          WebIdentityToken: token,
        });
        return expiring(c);
      } catch (err) {
        throw webIdentityError(err, { roleArn, subject, audiences });
      }
    },
    async describe() {
      if (!ctx.store || !ctx.readServiceAccount) return undefined;
      return roleFromAnnotations(await cachedAnnotations(ctx, ksa, cache, now), ksa);
    },
  };
}

function staticKeys(secretRef: Obj, ctx: ProviderContext, now: () => number): Base {
  const ref = (field: string) => {
    const r = secretRef[field];
    return resolveKeyRef(isObj(r) ? r : undefined, `${KEYS}.${field}`, ctx);
  };
  const id = ref('accessKeyIDSecretRef');
  const secret = ref('secretAccessKeySecretRef');
  const session = secretRef.sessionTokenSecretRef != null ? ref('sessionTokenSecretRef') : undefined;
  const read = async (r: ReturnType<typeof ref>, field: string) =>
    Buffer.from(await secretKey(ctx, r, `${KEYS}.${field}`))
      .toString('utf8')
      .trim();
  return {
    keyPart: `keys:${[id, secret, session].map((r) => (r ? `${r.namespace}/${r.name}/${r.key}` : '')).join('|')}`,
    label: `the access key in Secret ${id.namespace}/${id.name}`,
    async fetch() {
      const accessKeyId = await read(id, 'accessKeyIDSecretRef');
      const secretAccessKey = await read(secret, 'secretAccessKeySecretRef');
      const sessionToken = session ? await read(session, 'sessionTokenSecretRef') : undefined;
      return {
        accessKeyId,
        secretAccessKey,
        ...(sessionToken !== undefined && { sessionToken }),
        // Not a real expiry: the cache refreshes at half of it (its margin), i.e. re-reads the Secrets.
        expiresAt: now() + 2 * STATIC_REREAD_MS,
      };
    },
    describe: async () => undefined,
  };
}

function rolesOf(aws: Obj): { roles: string[]; externalId?: string } {
  const extra = Array.isArray(aws.additionalRoles) ? aws.additionalRoles : [];
  const role = typeof aws.role === 'string' && aws.role !== '' ? aws.role : undefined;
  const roles = [...extra, ...(role !== undefined ? [role] : [])];
  for (const r of roles) {
    if (typeof r !== 'string' || !ROLE_ARN.test(r)) {
      throw new IdentityConfigError(
        `aws.role / aws.additionalRoles: "${String(r).slice(0, 200)}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
      );
    }
  }
  const externalId = typeof aws.externalID === 'string' && aws.externalID !== '' ? aws.externalID : undefined;
  if (externalId !== undefined && role === undefined) {
    throw new IdentityConfigError('aws.externalID is used with aws.role: set the role it is for');
  }
  return { roles: roles as string[], ...(externalId !== undefined && { externalId }) };
}

/** The store's own AWS identity, or undefined when the SDK's default chain serves it as is. */
export async function awsStoreIdentity(
  aws: unknown,
  ctx: ProviderContext,
  deps: AwsIdentityDeps = {},
): Promise<AwsStoreIdentity | undefined> {
  if (!isObj(aws)) return undefined;
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const cache = deps.cache ?? sharedCache;
  const region =
    (typeof aws.region === 'string' && aws.region) || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const sts = deps.sts ?? sdkSts(region, env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined);
  const auth = isObj(aws.auth) ? aws.auth : {};
  const { roles, externalId } = rolesOf(aws);

  let base: Base | undefined;
  if (auth.jwt != null) {
    if (!isObj(auth.jwt)) throw new IdentityConfigError('aws.auth.jwt must be an object (serviceAccountRef)');
    base = webIdentity(auth.jwt, ctx, sts, cache, now);
  } else if (auth.secretRef != null) {
    if (!isObj(auth.secretRef)) throw new IdentityConfigError(`${KEYS} must be an object`);
    base = staticKeys(auth.secretRef, ctx, now);
  } else if (Object.keys(auth).some((k) => auth[k] != null)) {
    throw new IdentityConfigError(
      `aws.auth (${Object.keys(auth).join(', ')}) names no usable identity: set jwt.serviceAccountRef or ` +
        "secretRef, or remove aws.auth to use the controller's own identity",
    );
  }
  if (!base && roles.length === 0) return undefined;

  const key = `aws|${storeKey(ctx, aws)}|${base?.keyPart ?? 'ambient'}`;
  // Names the store (not the ExternalSecret's namespace: one cache entry serves them all).
  const session = sessionName(
    ...[ctx.store?.namespace, ctx.store?.name ?? 'store'].filter((p): p is string => !!p),
  );
  const fetchChain = async (): Promise<Creds> => {
    let creds: Creds | undefined = base ? await base.fetch() : undefined;
    let by = base?.label ?? "the controller's AWS identity (default credential chain)";
    for (const [i, roleArn] of roles.entries()) {
      const last = i === roles.length - 1;
      countCall('awsAssumeRole');
      try {
        const next = await sts.assumeRole(
          {
            RoleArn: roleArn,
            RoleSessionName: session,
            ...(last && externalId !== undefined && { ExternalId: externalId }),
          },
          creds,
        );
        creds = expiring(next);
      } catch (err) {
        throw assumeRoleError(err, { roleArn, by, ...(last && externalId !== undefined && { externalId }) });
      }
      by = roleArn;
    }
    return creds!;
  };
  const ensure = () => cache.get(key, fetchChain);
  // In a live context, a ServiceAccount without its annotation is reported before any call.
  const baseRole = await base?.describe();
  const identity = roles.length > 0 ? roles[roles.length - 1] : baseRole;
  return {
    credentials: async () => {
      const c = await ensure();
      return {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken !== undefined && { sessionToken: c.sessionToken }),
        expiration: new Date(c.expiresAt),
      };
    },
    ...(identity !== undefined && { identity }),
    ensure,
  };
}

/**
 * Builds an aws client with the store's identity (the registry's aws factory). Injected
 * credentials (opts.credentials) are used as given; otherwise the SDK's default chain.
 */
export async function withAwsIdentity(
  spec: unknown,
  ctx: ProviderContext,
  opts: AwsClientOptions | undefined,
  create: (spec: unknown, opts?: AwsClientOptions) => Promise<SecretsClient>,
): Promise<SecretsClient> {
  if (opts?.credentials !== undefined) return create(spec, opts);
  const id = await awsStoreIdentity(spec, ctx, { ...(opts?.env !== undefined && { env: opts.env }) });
  if (!id) return create(spec, opts);
  const client = await create(spec, {
    ...opts,
    credentials: id.credentials,
    ...(id.identity !== undefined && { identity: id.identity }),
  });
  return guarded(client, id.ensure);
}
