// The aws SecretsClient (service SecretsManager): GetSecretValue for one value, BatchGetSecretValue
// (20 ids a call) for several keys of a store and for dataFrom.find, DescribeSecret version ids for
// cheap change detection, ListSecrets (paged, filtered server-side, re-checked client-side) for
// find and, with each secret's SecretVersionsToStages, for sweepVersions (every tag of the store in
// one listing: 100 secrets a call instead of one DescribeSecret each). It talks to the SDK through
// the narrow SmApi below, which ./index builds from the real SecretsManagerClient after loading it
// lazily.

import type {
  BatchGetSecretValueRequest,
  BatchGetSecretValueResponse,
  DescribeSecretRequest,
  DescribeSecretResponse,
  GetSecretValueRequest,
  GetSecretValueResponse,
  ListSecretsRequest,
  ListSecretsResponse,
  SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { NoSecretError, ProviderError, UnavailableError } from '../core/errors';
import { compileFind } from '../core/find';
import type { FindQuery, RemoteKey, SecretsClient, VersionSweep } from '../core/types';
import {
  AWSCURRENT,
  BATCH_MAX,
  chunks,
  listFilters,
  parseVersion,
  resultKey,
  secretId,
  type AwsVersion,
  type ListFilter,
} from './config';
import { errorCode, isAccessDenied, mapAwsError, type AwsErrorContext } from './errors';
import {
  BATCH_PROBE_ID,
  LIST_DENIED_NOTE,
  batchNote,
  batchStateAfter,
  deniedByAws,
  type BatchState,
} from './permissions';

/** The part of Secrets Manager this provider uses (one method per command). */
export interface SmApi {
  getSecretValue(input: GetSecretValueRequest): Promise<GetSecretValueResponse>;
  batchGetSecretValue(input: BatchGetSecretValueRequest): Promise<BatchGetSecretValueResponse>;
  describeSecret(input: DescribeSecretRequest): Promise<DescribeSecretResponse>;
  listSecrets(input: ListSecretsRequest): Promise<ListSecretsResponse>;
  destroy(): void;
}

export interface AwsClientDeps {
  region: string;
  /** The store's prefix, prepended to every remoteRef.key. */
  prefix: string;
  /** Credentials came from the store (injected), not the SDK's default chain. */
  storeCredentials: boolean;
  /** Who the credentials act as (an ARN), for AccessDenied advice when AWS does not say. */
  identity?: string;
  /** The endpoint when not AWS's own (AWS_ENDPOINT_URL), for network-failure messages. */
  endpoint?: string;
  /** ListSecrets MaxResults (1–100, default 100). */
  listPageSize?: number;
  /** Parallel calls within one getSecrets/findSecrets (default 4). */
  concurrency?: number;
}

type Payload = { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
type Outcome = Uint8Array | ProviderError;

const utf8 = new TextEncoder();

/** Runs `fn` over `items` with at most `n` in flight; results in input order. */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

const CURRENT: AwsVersion = { stage: AWSCURRENT, isDefault: true };

function isDefault(version: string | undefined): boolean {
  return version === undefined || version === '' || version === AWSCURRENT;
}

/**
 * The VersionId a stage is attached to in a VersionIdsToStages (DescribeSecret) or
 * SecretVersionsToStages (ListSecrets) map; one function for both, so a listed tag always equals
 * the described one.
 */
function versionWithStage(versions: Record<string, string[]>, stage: string): string | undefined {
  for (const [versionId, stages] of Object.entries(versions)) {
    if (stages.includes(stage)) return versionId;
  }
  return undefined;
}

/** What sweepVersions keeps of one listed secret: its versions, or null when it cannot say. */
type Listed = Record<string, string[]> | null;

/** Same listed state (a secret seen twice while paging under concurrent changes). */
function sameVersions(a: Listed, b: Listed): boolean {
  if (a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const sa = a[k]!;
    const sb = b[k];
    return sb !== undefined && sa.length === sb.length && sa.every((x) => sb.includes(x));
  });
}

function versionInput(id: string, v: AwsVersion): GetSecretValueRequest {
  return 'versionId' in v
    ? { SecretId: id, VersionId: v.versionId }
    : { SecretId: id, VersionStage: v.stage };
}

export class AwsClient implements SecretsClient {
  /**
   * Whether BatchGetSecretValue may be used. Once denied or found not implemented (by validate's
   * probe or by a batch), every later batch is GetSecretValue each, for the life of this client:
   * until the store changes or the controller restarts.
   */
  private batchState: BatchState = 'unknown';
  /** Secrets whose DescribeSecret was denied (a GetSecretValue-only policy): versions via GetSecretValue. */
  private readonly describeDenied = new Set<string>();

  constructor(
    private readonly api: SmApi,
    private readonly deps: AwsClientDeps,
  ) {}

  private ctx(op: AwsErrorContext['op'], ref?: RemoteKey, id?: string): AwsErrorContext {
    const d = this.deps;
    return {
      op,
      region: d.region,
      storeCredentials: d.storeCredentials,
      ...(d.prefix !== '' && { prefix: d.prefix }),
      ...(d.identity !== undefined && { identity: d.identity }),
      ...(d.endpoint !== undefined && { endpoint: d.endpoint }),
      ...(ref !== undefined && { key: ref.key }),
      ...(ref?.version !== undefined && { version: ref.version }),
      ...(id !== undefined && { secretId: id }),
    };
  }

  /** Maps a failure; after a NotFound for a named version, one DescribeSecret tells which is missing. */
  private async fail(err: unknown, ctx: AwsErrorContext): Promise<never> {
    if (err instanceof ProviderError) throw err;
    let secretExists: boolean | undefined;
    if (
      errorCode(err) === 'ResourceNotFoundException' &&
      ctx.secretId !== undefined &&
      !isDefault(ctx.version)
    ) {
      secretExists = await this.api.describeSecret({ SecretId: ctx.secretId }).then(
        () => true,
        (e: unknown) => (errorCode(e) === 'ResourceNotFoundException' ? false : undefined),
      );
    }
    throw mapAwsError(err, { ...ctx, ...(secretExists !== undefined && { secretExists }) });
  }

  private label(id: string): string {
    return `secret "${id}" in ${this.deps.region}`;
  }

  private bytes(res: Payload, id: string): Uint8Array {
    if (res.SecretString !== undefined) return utf8.encode(res.SecretString);
    if (res.SecretBinary !== undefined) return new Uint8Array(res.SecretBinary);
    throw new NoSecretError(`${this.label(id)} has a version with neither SecretString nor SecretBinary`);
  }

  private async get(ref: RemoteKey, id: string, v: AwsVersion): Promise<GetSecretValueResponse> {
    try {
      return await this.api.getSecretValue(versionInput(id, v));
    } catch (err) {
      return this.fail(err, this.ctx('GetSecretValue', ref, id));
    }
  }

  private async fetch(ref: RemoteKey, id: string, v: AwsVersion): Promise<Uint8Array> {
    return this.bytes(await this.get(ref, id, v), id);
  }

  async getSecret(ref: RemoteKey): Promise<Uint8Array> {
    return this.fetch(ref, secretId(this.deps.prefix, ref.key), parseVersion(ref.version));
  }

  /** A call's value, or the typed error it failed with. */
  private async outcome(call: () => Promise<Uint8Array>): Promise<Outcome> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ProviderError) return err;
      throw err;
    }
  }

  /**
   * AWSCURRENT values of up to BATCH_MAX secrets (by SecretId) in one BatchGetSecretValue; ids the
   * answer does not cover (e.g. a partial ARN) are fetched one by one. When the batch action is
   * denied (policies often grant only GetSecretValue) or not implemented, every later batch falls
   * back to GetSecretValue each.
   */
  private async batch(ids: string[], refOf: (id: string) => RemoteKey): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    if (this.batchState === 'unknown' || this.batchState === 'granted') {
      let token: string | undefined;
      do {
        let res: BatchGetSecretValueResponse;
        try {
          res = await this.api.batchGetSecretValue({
            SecretIdList: ids,
            ...(token !== undefined && { NextToken: token }),
          });
        } catch (err) {
          const state = batchStateAfter(err);
          if (state !== 'unknown') {
            this.batchState = state;
            break;
          }
          const mapped = mapAwsError(err, this.ctx('BatchGetSecretValue'));
          for (const id of ids) if (!out.has(id)) out.set(id, mapped);
          return out;
        }
        this.batchState = 'granted';
        for (const e of res.SecretValues ?? []) {
          const id = ids.find((i) => i === e.Name || i === e.ARN);
          if (id === undefined) continue;
          try {
            out.set(id, this.bytes(e, id));
          } catch (err) {
            out.set(id, err as ProviderError);
          }
        }
        for (const e of res.Errors ?? []) {
          const id = e.SecretId;
          if (id === undefined || !ids.includes(id) || out.has(id)) continue;
          const cause = Object.assign(new Error(e.Message ?? ''), { name: e.ErrorCode ?? 'UnknownError' });
          out.set(id, mapAwsError(cause, this.ctx('GetSecretValue', refOf(id), id)));
        }
        token = res.NextToken || undefined;
      } while (token !== undefined && ids.some((id) => !out.has(id)));
    }
    const rest = ids.filter((id) => !out.has(id));
    const values = await pool(rest, this.deps.concurrency ?? 4, (id) =>
      this.outcome(() => this.fetch(refOf(id), id, CURRENT)),
    );
    rest.forEach((id, i) => out.set(id, values[i]!));
    return out;
  }

  /** Batched: AWSCURRENT refs go through BatchGetSecretValue (20 a call), others GetSecretValue each. */
  async getSecrets(refs: RemoteKey[]): Promise<Map<string, Uint8Array | Error>> {
    const out = new Map<string, Uint8Array | Error>();
    const seen = new Set<string>();
    const byId = new Map<string, { ref: RemoteKey; keys: string[] }>();
    const singles: { ref: RemoteKey; id: string; v: AwsVersion }[] = [];
    for (const ref of refs) {
      const rk = resultKey(ref);
      if (seen.has(rk)) continue;
      seen.add(rk);
      let id: string;
      let v: AwsVersion;
      try {
        id = secretId(this.deps.prefix, ref.key);
        v = parseVersion(ref.version);
      } catch (err) {
        out.set(rk, err as Error);
        continue;
      }
      if ('stage' in v && v.isDefault) {
        const entry = byId.get(id);
        if (entry) entry.keys.push(rk);
        else byId.set(id, { ref, keys: [rk] });
      } else {
        singles.push({ ref, id, v });
      }
    }
    const n = this.deps.concurrency ?? 4;
    const refOf = (id: string) => byId.get(id)!.ref;
    const [batches, single] = await Promise.all([
      pool(chunks([...byId.keys()], BATCH_MAX), n, (ids) => this.batch(ids, refOf)),
      pool(singles, n, (s) => this.outcome(() => this.fetch(s.ref, s.id, s.v))),
    ]);
    for (const result of batches) {
      for (const [id, outcome] of result) {
        for (const rk of byId.get(id)!.keys) {
          out.set(rk, outcome instanceof Uint8Array ? outcome.slice() : outcome);
        }
      }
    }
    singles.forEach((s, i) => out.set(resultKey(s.ref), single[i]!));
    return out;
  }

  /**
   * The VersionId carrying the requested stage (default AWSCURRENT), from DescribeSecret (metadata
   * only). A `uuid/<id>` version is its own tag. Where DescribeSecret is denied but GetSecretValue
   * is allowed, falls back to GetSecretValue's VersionId and remembers that for the secret.
   */
  async currentVersion(ref: RemoteKey): Promise<string> {
    const id = secretId(this.deps.prefix, ref.key);
    const v = parseVersion(ref.version);
    if ('versionId' in v) return v.versionId;
    if (!this.describeDenied.has(id)) {
      let meta: DescribeSecretResponse | undefined;
      try {
        meta = await this.api.describeSecret({ SecretId: id });
      } catch (err) {
        if (!isAccessDenied(err)) return this.fail(err, this.ctx('DescribeSecret', ref, id));
        this.describeDenied.add(id);
      }
      if (meta) {
        if (meta.DeletedDate !== undefined) {
          throw new NoSecretError(
            `${this.label(id)} is scheduled for deletion (restore it with RestoreSecret, or remove the reference)`,
          );
        }
        const versionId = versionWithStage(meta.VersionIdsToStages ?? {}, v.stage);
        if (versionId !== undefined) return versionId;
        throw new NoSecretError(
          `${this.label(id)} has no version labelled "${v.stage}" (check remoteRef.version)`,
        );
      }
    }
    const res = await this.get(ref, id, v);
    if (!res.VersionId)
      throw new UnavailableError(`GetSecretValue for ${this.label(id)} returned no VersionId`);
    return res.VersionId;
  }

  /**
   * ListSecrets with one result proves endpoint, region and credentials; AccessDeniedException
   * proves them too (AWS authenticates first) and only takes find and the sweep away: a note.
   * While the client does not know yet, one BatchGetSecretValue probe (BATCH_PROBE_ID) says whether
   * batches are granted; an outage there leaves it unknown, without failing the store.
   */
  async validate(): Promise<string[]> {
    const notes: string[] = [];
    try {
      await this.api.listSecrets({ MaxResults: 1 });
    } catch (err) {
      if (!deniedByAws(err)) return this.fail(err, this.ctx('ListSecrets'));
      notes.push(LIST_DENIED_NOTE);
    }
    if (this.batchState === 'unknown') {
      try {
        await this.api.batchGetSecretValue({ SecretIdList: [BATCH_PROBE_ID] });
        this.batchState = 'granted';
      } catch (err) {
        this.batchState = batchStateAfter(err);
      }
    }
    const batch = batchNote(this.batchState);
    if (batch !== undefined) notes.push(batch);
    return notes;
  }

  /**
   * Every page of ListSecrets (MaxResults listPageSize, default 100; IncludePlannedDeletion left at
   * its default, false) with the given filters, each handed to `onPage`. Returns the calls made.
   * Each call has the SDK client's per-request deadline (./index).
   */
  private async listPages(
    filters: ListFilter[],
    purpose: AwsErrorContext['listFor'],
    onPage: (secrets: SecretListEntry[]) => void,
  ): Promise<number> {
    const seen = new Set<string>();
    let calls = 0;
    let token: string | undefined;
    do {
      let page: ListSecretsResponse;
      try {
        calls++;
        page = await this.api.listSecrets({
          MaxResults: this.deps.listPageSize ?? 100,
          ...(filters.length > 0 && { Filters: filters }),
          ...(token !== undefined && { NextToken: token }),
        });
      } catch (err) {
        return this.fail(err, { ...this.ctx('ListSecrets'), listFor: purpose });
      }
      onPage(page.SecretList ?? []);
      token = page.NextToken || undefined;
      if (token !== undefined) {
        if (seen.has(token)) throw new UnavailableError('ListSecrets returned the same NextToken twice');
        seen.add(token);
      }
    } while (token !== undefined);
    return calls;
  }

  /** Names (and tags) of the secrets matching a query, via paged ListSecrets. */
  private async list(query: FindQuery): Promise<string[]> {
    const match = compileFind(query);
    const names = new Set<string>();
    await this.listPages(listFilters(query), 'find', (secrets) => {
      for (const s of secrets) {
        if (s.Name === undefined || s.DeletedDate !== undefined) continue;
        const tags: Record<string, string> = {};
        for (const t of s.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
        if (match(s.Name, tags)) names.add(s.Name);
      }
    });
    return [...names];
  }

  /**
   * Version tags of the store's secrets from one paged ListSecrets (SecretVersionsToStages; no
   * payloads). With a store prefix the listing is narrowed to names starting with it (a name filter,
   * a prefix match at AWS and moto); keys are looked up as currentVersion sends them (prefix + key,
   * or an ARN as written) by exact Name or full ARN, so tagOf answers exactly what currentVersion
   * would, or undefined: a key not listed (missing, outside the prefix, a partial ARN), a secret
   * scheduled for deletion, a stage or VersionId not listed, a key or version currentVersion would
   * reject. Rejects with the typed error of the refused listing (AccessDenied: AuthError).
   */
  async sweepVersions(): Promise<VersionSweep> {
    const byName = new Map<string, Listed>();
    const byArn = new Map<string, Listed>();
    const add = (index: Map<string, Listed>, id: string, listed: Listed) => {
      const before = index.get(id);
      index.set(id, before === undefined || sameVersions(before, listed) ? listed : null);
    };
    const calls = await this.listPages(listFilters({ path: this.deps.prefix }), 'sweep', (secrets) => {
      for (const s of secrets) {
        const listed: Listed =
          s.DeletedDate !== undefined || s.SecretVersionsToStages === undefined
            ? null
            : s.SecretVersionsToStages;
        if (s.Name !== undefined) add(byName, s.Name, listed);
        if (s.ARN !== undefined) add(byArn, s.ARN, listed);
      }
    });
    const prefix = this.deps.prefix;
    return {
      calls,
      tagOf(ref: RemoteKey): string | undefined {
        let id: string;
        let v: AwsVersion;
        try {
          id = secretId(prefix, ref.key);
          v = parseVersion(ref.version);
        } catch {
          return undefined; // currentVersion reports it
        }
        const versions = (id.startsWith('arn:') ? byArn : byName).get(id);
        if (!versions) return undefined;
        if ('versionId' in v) return Object.hasOwn(versions, v.versionId) ? v.versionId : undefined;
        return versionWithStage(versions, v.stage);
      },
    };
  }

  /**
   * AWSCURRENT values of the secrets matching the query, keyed by full secret name (the store
   * prefix does not apply, as in ESO). A secret deleted between listing and fetching is skipped;
   * any other failure fails the whole find.
   */
  async findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>> {
    const names = await this.list(query);
    // Names are fetched as listed: the store prefix does not apply.
    const refOf = (name: string): RemoteKey => ({ key: name });
    const results = await pool(chunks(names, BATCH_MAX), this.deps.concurrency ?? 4, (ids) =>
      this.batch(ids, refOf),
    );
    const out = new Map<string, Uint8Array>();
    for (const result of results) {
      for (const [name, outcome] of result) {
        if (outcome instanceof NoSecretError) continue;
        if (outcome instanceof ProviderError) throw outcome;
        out.set(name, outcome);
      }
    }
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async close(): Promise<void> {
    this.api.destroy();
  }
}
