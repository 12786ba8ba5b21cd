// The logger shape the kube layer accepts: pino's, narrowed to what we call, so a pino logger (or a
// child of one) can be passed in directly and tests can pass nothing at all.

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** Discards everything; the default wherever a logger is optional. */
export const noopLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Duck-typed, because errors from Node's core and from other realms fail `instanceof Error`. */
function errorLike(err: unknown): ErrorLike | undefined {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : undefined;
}

/** The error's name ('TimeoutError', 'AbortError', …), if it has one. */
export function errorName(err: unknown): string | undefined {
  const name = errorLike(err)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A one-line description of an error for logs and messages. For network failures, the low-level
 * code that fetch hides in `cause` (ECONNREFUSED, ENOTFOUND, certificate errors, …).
 */
export function errorText(err: unknown): string {
  const e = errorLike(err);
  if (e === undefined) return String(err);
  const message = typeof e.message === 'string' ? e.message : String(err);
  let cause = errorLike(e.cause);
  if (cause && Array.isArray(cause.errors) && cause.errors.length > 0) cause = errorLike(cause.errors[0]);
  if (cause) {
    const causeMsg = typeof cause.message === 'string' ? cause.message : '';
    if (typeof cause.code === 'string' && cause.code !== '') {
      return causeMsg && !causeMsg.includes(cause.code) ? `${cause.code}: ${causeMsg}` : cause.code;
    }
    if (causeMsg) return `${message}: ${causeMsg}`;
  }
  return message;
}
