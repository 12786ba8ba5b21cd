// Turns AWS Secrets Manager failures (SDK v3 service exceptions carry the error code as `name`, plus
// `$fault`, `$metadata.httpStatusCode` and `$retryable`; network failures a Node `code`) into the
// typed provider errors, with messages that say what to fix: the secret as sent (prefix applied),
// the region, the IAM action and the principal AWS named. Pure; nothing here sees a payload, and
// the server's own message is quoted only where it helps, bounded in length.

import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ProviderError,
  ThrottledError,
  UnavailableError,
} from '../core/errors';

export type AwsOp = 'GetSecretValue' | 'BatchGetSecretValue' | 'DescribeSecret' | 'ListSecrets';

export interface AwsErrorContext {
  op: AwsOp;
  region: string;
  /** The SecretId sent (prefix applied), for calls about one secret. */
  secretId?: string;
  /** remoteRef.key as written (differs from secretId when the store has a prefix). */
  key?: string;
  prefix?: string;
  /** remoteRef.version as written (undefined: AWSCURRENT). */
  version?: string;
  /** Who the caller is, when known (an ARN); else the advice names the credential source. */
  identity?: string;
  /** Whether credentials came from the store (injected) rather than the SDK's default chain. */
  storeCredentials: boolean;
  /** The endpoint in use when not AWS's own (AWS_ENDPOINT_URL), for network failures. */
  endpoint?: string;
  /** After a ResourceNotFound for a version: whether the secret itself exists (undefined: unknown). */
  secretExists?: boolean;
  /** What a ListSecrets was for (default find): dataFrom.find, or sweepVersions' change detection. */
  listFor?: 'find' | 'sweep';
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
  'LimitExceededException',
  'SlowDown',
]);
const CREDENTIALS_REJECTED = new Map([
  ['UnrecognizedClientException', 'AWS does not recognise the access key (UnrecognizedClientException)'],
  ['InvalidClientTokenId', 'AWS does not recognise the access key (InvalidClientTokenId)'],
  ['ExpiredTokenException', 'the credentials have expired (ExpiredTokenException)'],
  ['ExpiredToken', 'the credentials have expired (ExpiredToken)'],
  ['InvalidSignatureException', 'the request signature does not match the access key (wrong secret key)'],
  ['SignatureDoesNotMatch', 'the request signature does not match the access key (wrong secret key)'],
  ['IncompleteSignature', 'the request signature is incomplete'],
  ['MissingAuthenticationToken', 'the request carried no credentials'],
  ['MissingAuthenticationTokenException', 'the request carried no credentials'],
  ['InvalidIdentityToken', 'STS refused the web identity token (InvalidIdentityToken)'],
  ['CredentialsProviderError', 'no AWS credentials could be obtained'],
]);
const INVALID = new Set(['InvalidParameterException', 'InvalidRequestException', 'ValidationException']);
const SERVER = new Set([
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalServerError',
]);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The AWS error code of an SDK error (its `name`), or a Node network code. */
export function errorCode(err: unknown): string | undefined {
  const s = shape(err);
  if (typeof s.code === 'string' && NETWORK.has(s.code)) return s.code;
  // A Node error from another realm (as under jest's VM) reaches us wrapped by the SDK, code lost.
  const wrapped =
    typeof s.message === 'string' ? /^AWS SDK error wrapper for .*\b(E[A-Z_]+)\b/.exec(s.message) : null;
  if (wrapped && NETWORK.has(wrapped[1]!)) return wrapped[1];
  return typeof s.name === 'string' ? s.name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  const st = shape(err).$metadata?.httpStatusCode;
  return typeof st === 'number' ? st : undefined;
}

/** The server's message, one line, bounded. */
export function detail(err: unknown): string {
  const m = shape(err).message;
  const text = (typeof m === 'string' ? m : String(err)).replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Whether the SDK failed to parse a response. Then the error's message (V8 quotes a snippet of the
 * JSON it choked on) and its hidden, non-deletable `$response` / `$responseBodyText` may hold
 * part of a payload, so neither is quoted nor kept (see safeCause).
 */
export function isParseFailure(err: unknown): boolean {
  return (
    shape(err).name === 'SyntaxError' ||
    (typeof err === 'object' && err !== null && '$responseBodyText' in err)
  );
}

/** The error to keep as `cause`: the SDK's own, or for a parse failure a bare stand-in. */
export function safeCause(err: unknown): unknown {
  if (!isParseFailure(err)) return err;
  return Object.assign(new Error(`the SDK could not parse the response (HTTP ${httpStatus(err) ?? '?'})`), {
    name: 'ResponseParseError',
    $metadata: shape(err).$metadata,
  });
}

/** The principal an AccessDenied message names (`User: arn:… is not authorized …`). */
export function principalOf(message: string): string | undefined {
  return /\bUser: (arn:\S+) is not authorized/.exec(message)?.[1];
}

/**
 * Whether the error is AWS's AccessDenied (IAM or a resource/KMS policy said no), or an HTTP 403
 * whose body the SDK could not read as a Secrets Manager error (a proxy's page, moto's XML).
 */
export function isAccessDenied(err: unknown): boolean {
  const c = errorCode(err);
  if (c === 'AccessDeniedException' || c === 'AccessDenied') return true;
  return (
    httpStatus(err) === 403 &&
    (c === undefined || c === 'SyntaxError' || c === 'Error' || c === 'UnknownError')
  );
}

/** Whether the endpoint does not implement an operation (older emulators lack BatchGetSecretValue). */
export function isUnknownOperation(err: unknown): boolean {
  const c = errorCode(err);
  return c === 'UnknownOperationException' || c === 'NotImplemented' || c === 'InvalidAction';
}

function isNotFound(err: unknown): boolean {
  return errorCode(err) === 'ResourceNotFoundException';
}

function markedForDeletion(err: unknown): boolean {
  const c = errorCode(err);
  return (
    (c === 'InvalidRequestException' || c === 'InvalidParameterException') &&
    /marked (for )?delet/i.test(detail(err))
  );
}

/** `secret "team/db"`, saying where a store prefix came in. */
function secretLabel(ctx: AwsErrorContext): string {
  const id = ctx.secretId ?? ctx.key ?? '(unknown)';
  if (ctx.prefix && ctx.key !== undefined && ctx.secretId !== undefined && ctx.secretId !== ctx.key) {
    return `secret "${id}" (the store's prefix "${ctx.prefix}" + remoteRef.key "${ctx.key}")`;
  }
  return `secret "${id}"`;
}

function checkFields(ctx: AwsErrorContext, withVersion: boolean): string {
  const fields = ['remoteRef.key'];
  if (withVersion) fields.push('remoteRef.version');
  fields.push("the store's region");
  if (ctx.prefix) fields.push('prefix');
  const last = fields.pop()!;
  return `check ${fields.join(', ')} and ${last}`;
}

function versionLabel(version: string): string {
  return version.startsWith('uuid/')
    ? `with VersionId "${version.slice('uuid/'.length)}"`
    : `labelled "${version}"`;
}

/** The IAM action(s) an operation needs, for AccessDenied advice. */
function actionFor(ctx: AwsErrorContext): string {
  const on = ctx.secretId ? ` on ${secretLabel(ctx)}` : '';
  switch (ctx.op) {
    case 'GetSecretValue':
      return `secretsmanager:GetSecretValue${on}`;
    case 'DescribeSecret':
      return `secretsmanager:DescribeSecret${on} (used for change detection)`;
    case 'BatchGetSecretValue':
      return 'secretsmanager:BatchGetSecretValue (resource "*") together with secretsmanager:GetSecretValue on each secret';
    case 'ListSecrets':
      return ctx.listFor === 'sweep'
        ? 'secretsmanager:ListSecrets (resource "*", used to detect changes of many secrets in a few calls; ' +
            'without it each secret costs a DescribeSecret)'
        : 'secretsmanager:ListSecrets (resource "*", needed by dataFrom.find)';
  }
}

function whoAmI(ctx: AwsErrorContext, message: string): string {
  const named = principalOf(message);
  if (named) return named;
  if (ctx.identity) return ctx.identity;
  return ctx.storeCredentials
    ? "the store's AWS identity"
    : "the controller's AWS identity (default credential chain: IRSA, EKS Pod Identity or environment keys)";
}

function credentialAdvice(ctx: AwsErrorContext): string {
  return ctx.storeCredentials
    ? "check the store's auth (the role of auth.jwt.serviceAccountRef, or the keys in auth.secretRef) and role"
    : "the controller uses the SDK's default chain: IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, from " +
        'the eks.amazonaws.com/role-arn annotation of its ServiceAccount), EKS Pod Identity ' +
        "(AWS_CONTAINER_CREDENTIALS_FULL_URI), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; or set the store's auth";
}

function target(ctx: AwsErrorContext): string {
  return ctx.secretId ? `${ctx.op} for ${secretLabel(ctx)}` : ctx.op;
}

/** A typed, actionable error for a Secrets Manager failure. */
export function mapAwsError(err: unknown, ctx: AwsErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const opts = { cause: safeCause(err) };
  const code = errorCode(err);
  const status = httpStatus(err);
  const msg = isParseFailure(err) ? `the response could not be parsed (HTTP ${status ?? '?'})` : detail(err);

  if (isNotFound(err)) {
    const version = ctx.version;
    const versioned = version !== undefined && version !== '' && version !== 'AWSCURRENT';
    const versionSaid = /staging label|VersionId/i.test(msg);
    if (versioned && (ctx.secretExists === true || (ctx.secretExists === undefined && versionSaid))) {
      return new NoSecretError(
        `${secretLabel(ctx)} in ${ctx.region} has no version ${versionLabel(version)} (check remoteRef.version)`,
        opts,
      );
    }
    const what =
      versioned && ctx.secretExists === undefined
        ? `${secretLabel(ctx)} (or its version ${versionLabel(version)})`
        : secretLabel(ctx);
    return new NoSecretError(
      `${what} not found in ${ctx.region} (${checkFields(ctx, versioned && ctx.secretExists === undefined)})`,
      opts,
    );
  }
  if (markedForDeletion(err)) {
    return new NoSecretError(
      `${secretLabel(ctx)} in ${ctx.region} is scheduled for deletion (restore it with RestoreSecret, or remove the reference)`,
      opts,
    );
  }
  if (code === 'DecryptionFailure' || (isAccessDenied(err) && /\bKMS\b/i.test(msg))) {
    return new AuthError(
      `Secrets Manager could not decrypt ${secretLabel(ctx)} in ${ctx.region} with its KMS key: grant kms:Decrypt ` +
        `on that key to ${whoAmI(ctx, msg)} (in the key policy or an IAM policy)`,
      opts,
    );
  }
  if (isAccessDenied(err)) {
    if (/\bsts:AssumeRole/.test(msg)) {
      return new AuthError(
        `AWS STS refused to assume the role for ${target(ctx)}: ${msg} (check the role's trust policy; ${credentialAdvice(ctx)})`,
        opts,
      );
    }
    const why = /\bbecause (.+)$/.exec(msg)?.[1];
    return new AuthError(
      `access denied in ${ctx.region}: grant ${actionFor(ctx)} to ${whoAmI(ctx, msg)}` +
        (why
          ? ` (AWS says: ${why})`
          : " (in its IAM policy, and in the secret's resource policy if it has one)"),
      opts,
    );
  }
  if (code !== undefined && CREDENTIALS_REJECTED.has(code)) {
    return new AuthError(
      `${CREDENTIALS_REJECTED.get(code)} for ${target(ctx)} in ${ctx.region}: ${credentialAdvice(ctx)}` +
        (code === 'CredentialsProviderError' ? ` (${msg})` : ''),
      opts,
    );
  }
  if ((code !== undefined && THROTTLING.has(code)) || status === 429 || shape(err).$retryable?.throttling) {
    return new ThrottledError(
      `Secrets Manager throttled ${target(ctx)} in ${ctx.region} (${code ?? `HTTP ${status}`}) after the SDK's ` +
        'retries; retrying with backoff (fewer calls: longer refreshInterval, or several keys of one store per refresh so they are batched)',
      opts,
    );
  }
  if (code !== undefined && INVALID.has(code)) {
    return new InvalidRefError(
      `Secrets Manager rejected ${target(ctx)} as invalid (${code}): ${msg} (${checkFields(ctx, true)})`,
      opts,
    );
  }
  if (code === 'InvalidNextTokenException') {
    return new UnavailableError(`Secrets Manager ${ctx.op} paging token expired; retrying the listing`, opts);
  }
  if (isUnknownOperation(err)) {
    return new UnavailableError(
      `the Secrets Manager endpoint${ctx.endpoint ? ` ${ctx.endpoint}` : ''} does not implement ${ctx.op} (${code})`,
      opts,
    );
  }
  const network = code !== undefined && NETWORK.has(code);
  if (network || code === 'TimeoutError' || code === 'RequestTimeout' || code === 'RequestTimeoutException') {
    const where = ctx.endpoint ?? `secretsmanager.${ctx.region}.amazonaws.com`;
    return new UnavailableError(
      `cannot reach Secrets Manager at ${where} for ${ctx.op} (${code}): ${msg}; retrying with backoff`,
      opts,
    );
  }
  if ((code !== undefined && SERVER.has(code)) || shape(err).$fault === 'server' || (status ?? 0) >= 500) {
    return new UnavailableError(
      `Secrets Manager failed ${target(ctx)} in ${ctx.region} (${code ?? `HTTP ${status}`}): ${msg}; retrying with backoff`,
      opts,
    );
  }
  return new UnavailableError(
    `Secrets Manager call ${target(ctx)} in ${ctx.region} failed${code ? ` (${code})` : ''}: ${msg}; retrying with backoff`,
    opts,
  );
}
