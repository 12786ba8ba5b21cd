// The gcpsm SecretsClient: AccessSecretVersion for payloads, GetSecretVersion on `latest` for cheap
// change detection, ListSecrets (filtered client-side) for dataFrom.find, and ESO's
// secretVersionSelectionPolicy. It talks to the SDK through the narrow SmApi below, which the real
// SecretManagerServiceClient satisfies; the SDK itself is loaded lazily by ./index.

import { InvalidRefError, NoSecretError, ProviderError, UnavailableError } from '../core/errors';
import { compileFind } from '../core/find';
import type { FindQuery, RemoteKey, SecretsClient } from '../core/types';
import { crc32c } from './crc32c';
import { Code, grpcCode, listDeniedNote, mapGcpError, versionState, type ErrorContext } from './errors';
import {
  parentPath,
  parseRef,
  secretPath,
  shortName,
  versionOf,
  versionPath,
  type GcpStoreConfig,
  type VersionName,
} from './names';

type Nullable<T> = T | null | undefined;

interface VersionMeta {
  name?: Nullable<string>;
  /** `ENABLED` or 1 (REST fallback asks for numeric enums). */
  state?: Nullable<string | number>;
}

interface AccessResponse {
  name?: Nullable<string>;
  payload?: Nullable<{
    data?: Nullable<Uint8Array | string>;
    dataCrc32c?: Nullable<number | string | object>;
  }>;
}

interface SecretMeta {
  name?: Nullable<string>;
  labels?: Nullable<Record<string, string>>;
}

/** The part of SecretManagerServiceClient this provider uses. */
export interface SmApi {
  accessSecretVersion(req: { name: string }): Promise<[AccessResponse, ...unknown[]]>;
  getSecretVersion(req: { name: string }): Promise<[VersionMeta, ...unknown[]]>;
  getSecret(req: { name: string }): Promise<[SecretMeta, ...unknown[]]>;
  listSecretsAsync(
    req: { parent: string; filter?: string; pageSize?: number },
    opts?: { autoPaginate?: boolean },
  ): AsyncIterable<SecretMeta>;
  listSecretVersionsAsync(
    req: { parent: string; filter?: string; pageSize?: number },
    opts?: { autoPaginate?: boolean },
  ): AsyncIterable<VersionMeta>;
  getProjectId(): Promise<string>;
  close(): Promise<void>;
}

export interface GcpClientDeps {
  /** The project when known up front (store projectID or GOOGLE_CLOUD_PROJECT); else asked of the SDK. */
  project?: string;
  /** Describes the caller for PERMISSION_DENIED advice; called only on that error path. */
  identity: () => Promise<string>;
  /** Credentials come from the store (auth), not the controller's ADC. */
  storeCredentials: boolean;
  /** Parallel AccessSecretVersion calls in findSecrets. */
  findConcurrency?: number;
}

/** The async iterators page by themselves; saying so keeps gax from warning on every process. */
const PAGED = { autoPaginate: false };

const ENABLED = new Set<unknown>(['ENABLED', 1]);
const UNUSABLE = new Map<unknown, 'DISABLED' | 'DESTROYED'>([
  ['DISABLED', 'DISABLED'],
  [2, 'DISABLED'],
  ['DESTROYED', 'DESTROYED'],
  [3, 'DESTROYED'],
]);

function payloadBytes(res: AccessResponse, what: string): Uint8Array {
  const data = res.payload?.data;
  const bytes =
    data == null
      ? new Uint8Array(0)
      : typeof data === 'string'
        ? new Uint8Array(Buffer.from(data, 'base64'))
        : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const want = res.payload?.dataCrc32c;
  const wantNum =
    typeof want === 'number' || typeof want === 'string'
      ? Number(want)
      : want && typeof (want as { toString(): string }).toString === 'function'
        ? Number(String(want))
        : undefined;
  // 0 is also what an absent optional int64 may decode to, so it is not checked.
  if (wantNum !== undefined && Number.isFinite(wantNum) && wantNum !== 0 && crc32c(bytes) !== wantNum) {
    throw new UnavailableError(`payload of ${what} failed its CRC32C check (corrupted in transit); retrying`);
  }
  return bytes;
}

export class GcpClient implements SecretsClient {
  private projectPromise: Promise<string> | undefined;
  /** Secrets where GetSecretVersion was denied (roles/secretmanager.secretAccessor lacks versions.get). */
  private readonly metadataDenied = new Set<string>();

  constructor(
    private readonly api: SmApi,
    private readonly store: GcpStoreConfig,
    private readonly deps: GcpClientDeps,
  ) {}

  private project(): Promise<string> {
    if (this.deps.project) return Promise.resolve(this.deps.project);
    this.projectPromise ??= this.lookupProject().catch((err: unknown) => {
      this.projectPromise = undefined; // ask again next time
      throw err;
    });
    return this.projectPromise;
  }

  private async lookupProject(): Promise<string> {
    let project: string | undefined;
    let why = 'it answered no project';
    try {
      project = await this.api.getProjectId();
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (!project) {
      throw new UnavailableError(
        "cannot determine the GCP project: set the store's gcpsm.projectID (GOOGLE_CLOUD_PROJECT is unset " +
          `and Application Default Credentials / the metadata server did not tell: ${why})`,
      );
    }
    return project;
  }

  /** The version a ref names; syntax is checked before any I/O (the ambient project lookup included). */
  private async resolve(ref: RemoteKey): Promise<VersionName> {
    if (typeof ref.key !== 'string' || ref.key === '') throw new InvalidRefError('remoteRef.key is empty');
    const location = this.store.location;
    // A short name gets project '' here (a resource name never has an empty project).
    const n = parseRef(ref, { project: '', ...(location !== undefined && { location }) });
    return n.project === '' ? { ...n, project: await this.project() } : n;
  }

  private async fail(err: unknown, ctx: Omit<ErrorContext, 'identity' | 'storeCredentials'>): Promise<never> {
    if (err instanceof ProviderError) throw err;
    const code = grpcCode(err);
    let identity = 'the identity in use';
    if (code === Code.PERMISSION_DENIED) identity = await this.deps.identity().catch(() => identity);
    let secretExists: boolean | undefined;
    if (code === Code.NOT_FOUND && ctx.op !== 'list' && ctx.secret) {
      // One metadata call on the error path tells "no such secret" from "no such version".
      secretExists = await this.api.getSecret({ name: ctx.secret }).then(
        () => true,
        (e: unknown) => (grpcCode(e) === Code.NOT_FOUND ? false : undefined),
      );
    }
    throw mapGcpError(err, {
      ...ctx,
      identity,
      storeCredentials: this.deps.storeCredentials,
      ...(secretExists !== undefined && { secretExists }),
    });
  }

  private ctx(n: VersionName, op: 'access' | 'get', version = n.version) {
    return {
      resource: versionPath(n, version),
      secret: secretPath(n),
      project: n.project,
      ...(n.location !== undefined && { location: n.location }),
      op,
      version,
      latestOrFetch: this.fetchesLatest(n),
    };
  }

  private fetchesLatest(n: VersionName): boolean {
    return n.isLatest && this.store.secretVersionSelectionPolicy === 'LatestOrFetch';
  }

  /** Accesses a version; under LatestOrFetch a disabled/destroyed `latest` falls back to the newest enabled one. */
  private async access(n: VersionName): Promise<{ version: string | undefined; data: Uint8Array }> {
    const name = versionPath(n, n.version);
    let res: AccessResponse;
    try {
      [res] = await this.api.accessSecretVersion({ name });
    } catch (err) {
      if (!(this.fetchesLatest(n) && versionState(err))) return this.fail(err, this.ctx(n, 'access'));
      const newest = await this.newestEnabled(n);
      try {
        [res] = await this.api.accessSecretVersion({ name: versionPath(n, newest) });
      } catch (err2) {
        return this.fail(err2, this.ctx(n, 'access', newest));
      }
    }
    return { version: versionOf(res.name), data: payloadBytes(res, secretPath(n)) };
  }

  /** The highest ENABLED version number (ListSecretVersions; the filter is a hint, checked here). */
  private async newestEnabled(n: VersionName): Promise<string> {
    let best: bigint | undefined;
    try {
      for await (const v of this.api.listSecretVersionsAsync(
        { parent: secretPath(n), filter: 'state:ENABLED' },
        PAGED,
      )) {
        const num = versionOf(v.name);
        if (num !== undefined && ENABLED.has(v.state) && (best === undefined || BigInt(num) > best))
          best = BigInt(num);
      }
    } catch (err) {
      return this.fail(err, {
        ...this.ctx(n, 'access'),
        op: 'listVersions',
        resource: `${secretPath(n)}/versions`,
      });
    }
    if (best === undefined) {
      throw new NoSecretError(
        `secret "${secretPath(n)}" has no enabled version (secretVersionSelectionPolicy LatestOrFetch found none: enable a version or add one)`,
      );
    }
    return best.toString();
  }

  async getSecret(ref: RemoteKey): Promise<Uint8Array> {
    return (await this.getSecretWithTag(ref)).value;
  }

  async getSecretWithTag(ref: RemoteKey): Promise<{ value: Uint8Array; tag?: string }> {
    const { version, data } = await this.access(await this.resolve(ref));
    return { value: data, tag: version };
  }

  /**
   * `latest` resolved to its version number with GetSecretVersion (metadata only). Where the
   * identity may access but not read metadata (roles/secretmanager.secretAccessor alone), falls back
   * to AccessSecretVersion and remembers that for the secret.
   */
  async currentVersion(ref: RemoteKey): Promise<string> {
    const n = await this.resolve(ref);
    if (!n.isLatest) return n.version;
    const secret = secretPath(n);
    if (!this.metadataDenied.has(secret)) {
      let meta: VersionMeta | undefined;
      try {
        [meta] = await this.api.getSecretVersion({ name: versionPath(n, 'latest') });
      } catch (err) {
        if (grpcCode(err) !== Code.PERMISSION_DENIED) return this.fail(err, this.ctx(n, 'get'));
        this.metadataDenied.add(secret);
      }
      if (meta) {
        const version = versionOf(meta.name);
        if (version === undefined) {
          throw new UnavailableError(
            `GetSecretVersion for ${versionPath(n, 'latest')} named no version number`,
          );
        }
        return UNUSABLE.has(meta.state) && this.fetchesLatest(n) ? this.newestEnabled(n) : version;
      }
    }
    const { version } = await this.access(n);
    if (version === undefined) {
      throw new UnavailableError(
        `AccessSecretVersion for ${versionPath(n, 'latest')} named no version number`,
      );
    }
    return version;
  }

  /**
   * Lists at most one secret: proves endpoint, project and credentials. PERMISSION_DENIED proves
   * the endpoint and credentials too (Secret Manager authenticated the caller); an identity with
   * roles/secretmanager.secretAccessor alone is the least-privilege setup, so that is a note (no
   * dataFrom.find), not a failure. Anything else rejects with the mapped error.
   */
  async validate(): Promise<string[]> {
    const parent = {
      project: await this.project(),
      ...(this.store.location !== undefined && { location: this.store.location }),
    };
    try {
      for await (const _ of this.api.listSecretsAsync({ parent: parentPath(parent), pageSize: 1 }, PAGED))
        break;
    } catch (err) {
      const note = listDeniedNote(err, parentPath(parent));
      if (note !== undefined) return [note];
      return this.fail(err, { resource: `${parentPath(parent)}/secrets`, ...parent, op: 'list' });
    }
    return [];
  }

  async findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>> {
    const match = compileFind(query);
    const parent = {
      project: await this.project(),
      ...(this.store.location !== undefined && { location: this.store.location }),
    };
    const filter = listFilter(query);
    const names: string[] = [];
    try {
      const req = { parent: parentPath(parent), pageSize: 25000, ...(filter && { filter }) };
      for await (const s of this.api.listSecretsAsync(req, PAGED)) {
        const id = shortName(s.name ?? '');
        if (id && match(id, s.labels ?? {})) names.push(id);
      }
    } catch (err) {
      return this.fail(err, { resource: `${parentPath(parent)}/secrets`, ...parent, op: 'list' });
    }
    const out = new Map<string, Uint8Array>();
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < names.length && !failed) {
        const id = names[next++]!;
        const n: VersionName = { ...parent, secret: id, version: 'latest', isLatest: true };
        try {
          out.set(id, (await this.access(n)).data);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const workers = Math.min(this.deps.findConcurrency ?? 8, names.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async close(): Promise<void> {
    await this.api.close();
  }
}

/**
 * A ListSecrets filter that narrows the listing on real Secret Manager (as ESO sends it). It is only
 * a hint: the emulator ignores filters, and every result is checked client-side anyway. Values
 * that cannot be label values or ids are left out of the filter rather than quoted.
 */
export function listFilter(query: FindQuery): string | undefined {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query.tags ?? {})) {
    if (/^[a-z0-9_-]+$/.test(k) && /^[a-z0-9_-]+$/.test(v)) parts.push(`labels.${k}=${v}`);
  }
  if (query.path && /^[A-Za-z0-9_-]+$/.test(query.path)) parts.push(`name:${query.path}`);
  return parts.length ? parts.join(' ') : undefined;
}
