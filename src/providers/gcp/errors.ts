// Turns Secret Manager failures (gax errors carry a numeric gRPC `code`, also in REST fallback
// mode) into the typed provider errors, with messages that say what to fix. Nothing here sees a
// payload; the server's own message is quoted only where it helps and is bounded in length.

import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ProviderError,
  ThrottledError,
  UnavailableError,
} from '../core/errors';

export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

export function grpcCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** The server's message without the `N CODE: ` prefix gax adds, bounded. */
export function detail(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const bare = (err as { details?: unknown })?.details;
  const text = typeof bare === 'string' && bare !== '' ? bare : msg.replace(/^\d+ [A-Z_]+: /, '');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The state named in a FAILED_PRECONDITION for a disabled or destroyed version, if that is it. */
export function versionState(
  err: unknown,
): { state: 'DISABLED' | 'DESTROYED'; version?: string } | undefined {
  if (grpcCode(err) !== Code.FAILED_PRECONDITION) return undefined;
  const msg = err instanceof Error ? err.message : String(err);
  const m = /(DISABLED|DESTROYED) state/.exec(msg);
  if (!m) return undefined;
  const version = /\/versions\/([0-9]+)/.exec(msg)?.[1];
  return { state: m[1] as 'DISABLED' | 'DESTROYED', ...(version !== undefined && { version }) };
}

export interface ErrorContext {
  /** What was asked for, e.g. `projects/p/secrets/db` or `projects/p/secrets/db/versions/3`. */
  resource: string;
  /** The secret's resource name, when the call was about one secret. */
  secret?: string;
  project: string;
  location?: string;
  /** list: ListSecrets; listVersions: ListSecretVersions (LatestOrFetch past an unusable latest). */
  op: 'access' | 'get' | 'list' | 'listVersions';
  /** Requested version (`latest` or a number), for access/get. */
  version?: string;
  /** Whether the store's secretVersionSelectionPolicy was LatestOrFetch. */
  latestOrFetch?: boolean;
  /** Who the caller is, for PERMISSION_DENIED advice (e.g. `serviceAccount:x@p.iam.gserviceaccount.com`). */
  identity: string;
  /** Whether credentials came from the store (auth) rather than the controller's ADC. */
  storeCredentials: boolean;
  /** After a NOT_FOUND: whether the secret itself exists (undefined: unknown). */
  secretExists?: boolean;
}

function where(ctx: ErrorContext): string {
  return ctx.location ? `project ${ctx.project}, location ${ctx.location}` : `project ${ctx.project}`;
}

function storeFields(ctx: ErrorContext): string {
  return ctx.location ? "the store's projectID and location" : "the store's projectID";
}

/** A typed, actionable error for a Secret Manager failure. */
export function mapGcpError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = grpcCode(err);
  const opts = { cause: err };
  const secret = ctx.secret ?? ctx.resource;
  switch (code) {
    case Code.NOT_FOUND:
      if (ctx.op === 'list') {
        return new NoSecretError(`${ctx.resource} not found (check ${storeFields(ctx)})`, opts);
      }
      if (ctx.secretExists === false || ctx.secretExists === undefined) {
        const what =
          ctx.secretExists === false
            ? `secret "${secret}"`
            : `secret "${secret}" (or its version ${ctx.version ?? 'latest'})`;
        return new NoSecretError(
          `${what} not found in ${where(ctx)} (check remoteRef.key${ctx.secretExists === false ? '' : ', remoteRef.version'} and ${storeFields(ctx)})`,
          opts,
        );
      }
      return new NoSecretError(
        ctx.version === undefined || ctx.version === 'latest'
          ? `secret "${secret}" has no enabled version (add a version or enable one)`
          : `version ${ctx.version} of secret "${secret}" not found (check remoteRef.version)`,
        opts,
      );
    case Code.PERMISSION_DENIED: {
      if (projectRefused(err)) {
        return new UnavailableError(
          `Secret Manager refused ${where(ctx)} itself: ${detail(err)} (check ${storeFields(ctx)}, and that ` +
            'the Secret Manager API and billing are enabled in that project)',
          opts,
        );
      }
      const role =
        ctx.op === 'list'
          ? 'roles/secretmanager.viewer (secretmanager.secrets.list, needed by dataFrom.find) on the project'
          : ctx.op === 'listVersions'
            ? 'roles/secretmanager.viewer (secretmanager.versions.list, needed by secretVersionSelectionPolicy ' +
              'LatestOrFetch to find the newest enabled version when latest is disabled or destroyed) on the secret'
            : 'roles/secretmanager.secretAccessor';
      return new AuthError(
        `permission denied on ${ctx.resource}: grant ${role} to ${ctx.identity} ` +
          "(the controller's Google service account, or the one in the store's workloadIdentity); " +
          'Secret Manager also answers this way for a secret that does not exist',
        opts,
      );
    }
    case Code.UNAUTHENTICATED:
      return new AuthError(
        ctx.storeCredentials
          ? `Secret Manager rejected the store's credentials (UNAUTHENTICATED) for ${ctx.resource}: ` +
              "check the store's auth (workloadIdentity service account binding, or the key in secretRef)"
          : `Secret Manager rejected the controller's credentials (UNAUTHENTICATED) for ${ctx.resource}: ` +
              'they come from Application Default Credentials — on GKE, Workload Identity through the ' +
              'metadata server: enable Workload Identity on the node pool and annotate the ' +
              "controller's Kubernetes service account with iam.gke.io/gcp-service-account, or set the " +
              "store's auth.workloadIdentity",
        opts,
      );
    case Code.RESOURCE_EXHAUSTED:
      return new ThrottledError(
        `Secret Manager quota exhausted (RESOURCE_EXHAUSTED) for ${ctx.resource} in ${where(ctx)}; ` +
          "retrying with backoff (raise the project's Secret Manager quota if this persists)",
        opts,
      );
    case Code.FAILED_PRECONDITION: {
      const st = versionState(err);
      if (st) {
        const v = st.version ?? ctx.version ?? 'latest';
        const advice =
          ctx.version === undefined || ctx.version === 'latest'
            ? ctx.latestOrFetch
              ? 'enable a version or add a new one'
              : "enable it, add a new version, or set the store's secretVersionSelectionPolicy: LatestOrFetch"
            : 'enable it or reference an enabled version in remoteRef.version';
        return new NoSecretError(`version ${v} of secret "${secret}" is ${st.state} (${advice})`, opts);
      }
      return new UnavailableError(
        `Secret Manager refused ${ctx.resource} (FAILED_PRECONDITION): ${detail(err)}`,
        opts,
      );
    }
    case Code.INVALID_ARGUMENT:
      return new InvalidRefError(
        `Secret Manager rejected the request for ${ctx.resource} as invalid: ${detail(err)} ` +
          `(check remoteRef.key, remoteRef.version and ${storeFields(ctx)})`,
        opts,
      );
    case Code.UNIMPLEMENTED:
      return new InvalidRefError(
        `Secret Manager does not serve ${ctx.resource} at this endpoint (UNIMPLEMENTED): ${detail(err)} ` +
          "(check the store's location)",
        opts,
      );
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.INTERNAL:
    case Code.UNKNOWN:
    case Code.ABORTED:
    case Code.CANCELLED:
      return new UnavailableError(
        `Secret Manager unavailable (${CODE_NAMES[code]}) for ${ctx.resource}: ${detail(err)}; retrying with backoff`,
        opts,
      );
    default:
      break;
  }
  if (looksLikeCredentialsFailure(err)) {
    return new AuthError(
      ctx.storeCredentials
        ? `could not obtain a Google access token from the store's credentials: ${detail(err)}`
        : 'could not obtain Google credentials (Application Default Credentials: on GKE the metadata ' +
            `server's Workload Identity token, elsewhere GOOGLE_APPLICATION_CREDENTIALS): ${detail(err)}`,
      opts,
    );
  }
  return new UnavailableError(
    `Secret Manager call for ${ctx.resource} failed${code !== undefined ? ` (code ${code})` : ''}: ${detail(err)}; retrying with backoff`,
    opts,
  );
}

/**
 * A PERMISSION_DENIED about the project rather than the caller's roles: the Secret Manager API or
 * billing disabled there (the ErrorInfo reason gax exposes, or the wording when it does not).
 */
export function projectRefused(err: unknown): boolean {
  if (grpcCode(err) !== Code.PERMISSION_DENIED) return false;
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (reason === 'SERVICE_DISABLED' || reason === 'BILLING_DISABLED') return true;
  const msg = err instanceof Error ? err.message : String(err);
  return /API has not been used in project|SERVICE_DISABLED|BILLING_DISABLED|requires billing to be enabled/.test(
    msg,
  );
}

/**
 * Store validation's verdict on a failed ListSecrets: a note when the caller was authenticated but
 * lacks secretmanager.secrets.list (the store works for named secrets; only dataFrom.find cannot),
 * undefined when the failure makes the store unusable (it is then reported as the error).
 */
export function listDeniedNote(err: unknown, parent: string): string | undefined {
  if (grpcCode(err) !== Code.PERMISSION_DENIED || projectRefused(err)) return undefined;
  return (
    `Secret Manager accepted the credentials but denied secretmanager.secrets.list on ${parent} ` +
    '(or the project does not exist), so dataFrom.find is unavailable (it needs roles/secretmanager.viewer)'
  );
}

function looksLikeCredentialsFailure(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /default credentials|access token|metadata|invalid_grant|unauthorized_client|getRequestHeaders|credential/i.test(
    msg,
  );
}
