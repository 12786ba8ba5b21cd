// The two STS calls behind per-store AWS identities — AssumeRoleWithWebIdentity (a ServiceAccount
// token for the role in its eks.amazonaws.com/role-arn annotation) and AssumeRole (the store's
// `role`, chained as ESO does) — behind a narrow interface, with STS's refusals mapped to the fix:
// the role's trust policy and the subject it must allow, the token's audience and issuer. The SDK
// (@aws-sdk/client-sts) is loaded on first use; AWS_ENDPOINT_URL_STS is honoured.

import { AuthError, ProviderError, ThrottledError, UnavailableError } from '../core/errors';
import { redact } from '../credentials/errors';

/** The SDK's AwsCredentialIdentity, structurally. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface TemporaryCredentials extends AwsCredentialIdentity {
  expiration: Date;
}

export interface StsApi {
  assumeRoleWithWebIdentity(input: {
    RoleArn: string;
    RoleSessionName: string;
    WebIdentityToken: string;
  }): Promise<TemporaryCredentials>;
  /** Without `credentials`, the SDK's default chain signs the call. */
  assumeRole(
    input: { RoleArn: string; RoleSessionName: string; ExternalId?: string },
    credentials?: AwsCredentialIdentity,
  ): Promise<TemporaryCredentials>;
}

type StsSdk = typeof import('@aws-sdk/client-sts');

/** The real STS, one short-lived SDK client per call (calls are rare: once per credential lifetime). */
export function sdkSts(region: string, endpoint: string | undefined): StsApi {
  const client = (credentials?: AwsCredentialIdentity) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see header)
    const sdk = require('@aws-sdk/client-sts') as StsSdk;
    return {
      sdk,
      c: new sdk.STSClient({
        region,
        maxAttempts: 3,
        ...(endpoint !== undefined && { endpoint }),
        ...(credentials !== undefined && { credentials }),
      }),
    };
  };
  const creds = (out: {
    Credentials?: {
      AccessKeyId?: string;
      SecretAccessKey?: string;
      SessionToken?: string;
      Expiration?: Date;
    };
  }) => {
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new UnavailableError('AWS STS answered without credentials; retrying');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken !== undefined && { sessionToken: c.SessionToken }),
      expiration: c.Expiration ?? new Date(Date.now() + 3600_000),
    };
  };
  return {
    async assumeRoleWithWebIdentity(input) {
      const { sdk, c } = client();
      try {
        return creds(await c.send(new sdk.AssumeRoleWithWebIdentityCommand(input)));
      } finally {
        c.destroy();
      }
    },
    async assumeRole(input, credentials) {
      const { sdk, c } = client(credentials);
      try {
        return creds(await c.send(new sdk.AssumeRoleCommand(input)));
      } finally {
        c.destroy();
      }
    },
  };
}

/** A RoleSessionName from its parts ([\w+=,.@-], at most 64 characters). */
export function sessionName(...parts: string[]): string {
  return ['secretsync', ...parts]
    .join('-')
    .replace(/[^\w+=,.@-]/g, '-')
    .slice(0, 64);
}

interface SdkError {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function parts(err: unknown): { code: string; status?: number; says: string; fault?: unknown } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkError;
  // The SDK names modeled errors with an Exception suffix (InvalidIdentityTokenException); STS's
  // wire codes have none (InvalidIdentityToken, AccessDenied).
  const code = typeof e.name === 'string' ? e.name.replace(/(.)Exception$/, '$1') : 'Error';
  const st = e.$metadata?.httpStatusCode;
  const msg = typeof e.message === 'string' ? e.message : String(err);
  return { code, ...(typeof st === 'number' && { status: st }), says: redact(msg), fault: e.$fault };
}

function transient(op: string, err: unknown): ProviderError | undefined {
  const { code, status, says, fault } = parts(err);
  if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(code) || status === 429) {
    return new ThrottledError(`AWS STS throttled ${op} (${code}); retrying with backoff`);
  }
  if (fault === 'server' || (status ?? 0) >= 500 || /^E[A-Z]+$|Timeout|NetworkingError/.test(code)) {
    return new UnavailableError(`AWS STS ${op} failed (${code}: ${says}); retrying with backoff`);
  }
  const sys = systemCode(err);
  if (sys) return new UnavailableError(`cannot reach AWS STS for ${op} (${sys}); retrying with backoff`);
  return undefined;
}

const NETWORK_CODE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b/;

/**
 * The Node system error code (ECONNREFUSED, …) of a call that never reached STS: on the error, on
 * its cause, or only in the text of the SDK's wrapper for a value it could not take as an Error.
 */
function systemCode(err: unknown): string | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    cause?: { code?: unknown };
  };
  for (const c of [e.code, e.cause?.code]) if (typeof c === 'string' && /^E[A-Z_]+$/.test(c)) return c;
  const text = err instanceof Error ? err.message : '';
  return /^AWS SDK error wrapper for /.test(text) ? NETWORK_CODE.exec(text)?.[1] : undefined;
}

/** AssumeRoleWithWebIdentity refusals, saying what to change. */
export function webIdentityError(
  err: unknown,
  w: { roleArn: string; subject: string; audiences: string[] },
): ProviderError {
  if (err instanceof ProviderError) return err;
  const t = transient('AssumeRoleWithWebIdentity', err);
  if (t) return t;
  const { code, says } = parts(err);
  if (code === 'AccessDenied') {
    return new AuthError(
      `role ${w.roleArn} refused AssumeRoleWithWebIdentity for ${w.subject} (${says}): the role's trust ` +
        `policy must allow sts:AssumeRoleWithWebIdentity from the cluster's OIDC provider with the condition ` +
        `<issuer>:sub = ${w.subject} (and <issuer>:aud = ${w.audiences.join(',')})`,
    );
  }
  if (code === 'InvalidIdentityToken' || code === 'IDPRejectedClaim' || code === 'IDPCommunicationError') {
    return new AuthError(
      `AWS STS refused the token of ${w.subject} for role ${w.roleArn} (${code}: ${says}): the token's ` +
        `audience ${w.audiences.join(',')} must be a client ID of the IAM OIDC provider for this cluster's ` +
        "issuer (sts.amazonaws.com unless serviceAccountRef.audiences says otherwise), and the cluster's " +
        'issuer must be registered as an IAM OIDC provider',
    );
  }
  if (code === 'ExpiredToken') {
    return new AuthError(`the ServiceAccount token of ${w.subject} had expired when STS saw it; retrying`);
  }
  return new AuthError(
    `AWS STS refused AssumeRoleWithWebIdentity of ${w.roleArn} for ${w.subject} (${code}: ${says})`,
  );
}

/** AssumeRole (the store's role, chained) refusals. */
export function assumeRoleError(
  err: unknown,
  a: { roleArn: string; by: string; externalId?: string },
): ProviderError {
  if (err instanceof ProviderError) return err;
  const t = transient('AssumeRole', err);
  if (t) return t;
  const { code, says } = parts(err);
  if (code === 'AccessDenied') {
    return new AuthError(
      `${a.by} may not assume role ${a.roleArn} (${says}): allow sts:AssumeRole for it in the role's trust ` +
        `policy${a.externalId !== undefined ? " (with the condition sts:ExternalId = the store's externalID)" : ''}, ` +
        'and sts:AssumeRole on the role in its own permissions',
    );
  }
  if (code === 'ExpiredToken' || code === 'InvalidClientTokenId') {
    return new AuthError(
      `the credentials of ${a.by} were refused when assuming ${a.roleArn} (${code}); retrying`,
    );
  }
  return new AuthError(`AWS STS refused AssumeRole of ${a.roleArn} by ${a.by} (${code}: ${says})`);
}
