// One raw HTTP call to the apiserver, authenticated exactly as client-node's generated clients are
// (KubeConfig.applySecurityAuthentication: TLS agent, bearer/exec/token-file auth), but with a path
// instead of a typed method, an abort signal and a timeout. The informer lists arbitrary
// resources (CRDs included) by path, and leader election needs every request bounded in time.
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { ListItemSplitter } from './list-items';

/** A non-2xx answer from the apiserver; `code` is the HTTP status, `reason` the Status reason. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export function isApiError(err: unknown, code?: number): err is KubeApiError {
  return err instanceof KubeApiError && (code === undefined || err.code === code);
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. /api/v1/namespaces/ns/secrets. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** The Accept header; default application/json (kube/metadata.ts asks for metadata only). */
  accept?: string;
  signal?: AbortSignal;
  /** Abort the request (connect + response) after this long. */
  timeoutMs?: number;
}

const http = new IsomorphicFetchHttpLibrary();

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * client-node's applySecurityAuthentication builds a new connection pool for every request, so each
 * call would pay a TCP + TLS handshake and leave an idle socket behind: thousands of them during a
 * converge (apiserver load, memory). One pool per KubeConfig is reused instead; it is replaced every
 * few minutes so that rotated client certificates (exec plugins) reach new connections.
 */
const pools = new WeakMap<KubeConfig, { dispatcher: Dispatcher; since: number }>();
const POOL_MAX_AGE_MS = 5 * 60_000;

function sharedDispatcher(kc: KubeConfig, fresh: Dispatcher | undefined): Dispatcher | undefined {
  if (!fresh) return undefined;
  const now = Date.now();
  const pool = pools.get(kc);
  if (pool && now - pool.since < POOL_MAX_AGE_MS) return pool.dispatcher;
  pools.set(kc, { dispatcher: fresh, since: now });
  // close() lets requests already on the old pool finish.
  if (pool) void pool.dispatcher.close().catch(() => undefined);
  return fresh;
}

/** The current cluster's server URL without a trailing slash; throws if the config has none. */
export function serverUrl(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return cluster.server.replace(/\/+$/, '');
}

async function send(kc: KubeConfig, req: KubeRequest): Promise<ResponseContext> {
  const url = new URL(serverUrl(kc) + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  const ctx = new RequestContext(url.toString(), HttpMethod[req.method ?? 'GET']);
  await kc.applySecurityAuthentication(ctx);
  const dispatcher = sharedDispatcher(kc, ctx.getDispatcher());
  if (dispatcher) ctx.setDispatcher(dispatcher);
  ctx.setHeaderParam('Accept', req.accept ?? 'application/json');
  if (req.body !== undefined) {
    ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
    ctx.setBody(JSON.stringify(req.body));
  }
  const signals = [req.signal, req.timeoutMs !== undefined ? AbortSignal.timeout(req.timeoutMs) : undefined];
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length > 0) ctx.setSignal(AbortSignal.any(present));
  return http.send(ctx).toPromise();
}

function failure(req: KubeRequest, code: number, text: string): KubeApiError {
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const status = (parsed ?? {}) as { message?: unknown; reason?: unknown };
  const message = typeof status.message === 'string' ? status.message : text.slice(0, 200);
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  return new KubeApiError(
    code,
    reason,
    `${req.method ?? 'GET'} ${req.path}: ${code}${reason ? ` ${reason}` : ''}: ${message}`,
  );
}

const ok = (code: number) => code >= 200 && code <= 299;

/** Sends the request and returns the parsed JSON body; non-2xx answers throw KubeApiError. */
export async function kubeRequest<T = unknown>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const res = await send(kc, req);
  const text = await res.body.text();
  if (!ok(res.httpStatusCode)) throw failure(req, res.httpStatusCode, text);
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined as T;
  }
}

/**
 * A GET of a list whose items are handed to `onItem` one at a time as the body arrives, each
 * parsed alone (list-items.ts), so that a page is never held whole; with it, what the list said
 * before its items (kind, apiVersion). Returns the list without its items. Non-2xx answers throw
 * KubeApiError.
 */
export async function kubeList<L>(
  kc: KubeConfig,
  req: KubeRequest,
  onItem: (item: unknown, before: Partial<L> | undefined) => void,
): Promise<L> {
  const res = await send(kc, req);
  if (!ok(res.httpStatusCode)) throw failure(req, res.httpStatusCode, await res.body.text());
  const splitter = new ListItemSplitter((json, before) =>
    onItem(JSON.parse(json.toString()), before as Partial<L> | undefined),
  );
  const stream = (res.body as unknown as { stream(): ReadableStream<Uint8Array> }).stream();
  for await (const chunk of stream) splitter.push(chunk);
  return splitter.end<L>();
}

/** A GET of one object whose 404 means "absent": undefined instead of an error. */
export async function kubeGetIfExists<T>(kc: KubeConfig, req: KubeRequest): Promise<T | undefined> {
  try {
    return await kubeRequest<T>(kc, req);
  } catch (err) {
    if (isApiError(err, 404)) return undefined;
    throw err;
  }
}
