// Collects an ExternalSecret's values from its stores: dataFrom first (extract, find, then
// rewrites), then data[] entries, which win on conflicts, as in ESO. Each distinct
// (store, key, version) is fetched once per reconcile.
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import type {
  ExternalSecretDataFromRemoteRef,
  ExternalSecretDataRemoteRef,
  ExternalSecretRewrite,
  ExternalSecretSpec,
  SecretStoreRef,
} from '../../api/generated';
import { InvalidRefError } from '../../providers/core/errors';
import { extractProperty as gjsonProperty, jsonToMap as gjsonToMap, GjsonError } from '../../gocompat/gjson';
import { decode, type DecodingStrategy } from './decoding';
import type { SecretsClient } from '../../providers/core/types';
import { replaceAll } from '../../gocompat/regexp';
import { PlannedClient } from './plan';
import { renderTemplate } from '../../gocompat/template';

export type ClientFor = (ref: SecretStoreRef | undefined) => Promise<SecretsClient>;

export class FetchSession {
  private cache = new Map<string, Promise<Uint8Array>>();
  constructor(private readonly clientFor: ClientFor) {}

  get(store: SecretStoreRef | undefined, key: string, version: string | undefined): Promise<Uint8Array> {
    const id = `${store?.kind ?? 'SecretStore'}/${store?.name ?? ''}|${key}|${version ?? ''}`;
    let p = this.cache.get(id);
    if (!p) {
      p = this.clientFor(store).then((c) => c.getSecret({ key, version }));
      this.cache.set(id, p);
    }
    return p;
  }
}

/** A payload or property gjson cannot serve is the user's reference problem: same message. */
function asRefError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof GjsonError) throw new InvalidRefError(err.message);
    throw err;
  }
}

const extractProperty = (raw: Uint8Array, property: string, key: string) =>
  asRefError(() => gjsonProperty(raw, property, key));
const jsonToMap = (raw: Uint8Array, key: string) => asRefError(() => gjsonToMap(raw, key));

function checkNullBytes(value: Uint8Array, ref: { nullBytePolicy?: string }, where: string): void {
  if (ref.nullBytePolicy === 'Fail' && value.includes(0)) {
    throw new InvalidRefError(`${where} contains a null byte and nullBytePolicy is Fail`);
  }
}

async function readRef(
  session: FetchSession,
  store: SecretStoreRef | undefined,
  ref: ExternalSecretDataRemoteRef,
): Promise<Uint8Array> {
  const raw = await session.get(store, ref.key, ref.version);
  const picked = ref.property ? extractProperty(raw, ref.property, ref.key) : raw;
  return decode(picked, ref.decodingStrategy as DecodingStrategy | undefined, ref.key);
}

export function applyRewrites(
  data: Map<string, Uint8Array>,
  rewrites: ExternalSecretRewrite[],
): Map<string, Uint8Array> {
  let out = data;
  for (const [i, r] of rewrites.entries()) {
    const next = new Map<string, Uint8Array>();
    if (r.regexp) {
      let re: RE2JS;
      try {
        re = RE2JS.compile(r.regexp.source);
      } catch (err) {
        throw new InvalidRefError(
          `rewrite[${i}].regexp.source is not a valid RE2 expression: ${(err as Error).message}`,
        );
      }
      for (const [k, v] of out) next.set(replaceAll(re, k, r.regexp.target), v);
    } else if (r.transform) {
      for (const [k, v] of out)
        next.set(renderTemplate(`rewrite[${i}]`, r.transform.template, { value: k }), v);
    } else {
      return out;
    }
    out = next;
  }
  return out;
}

async function readDataFrom(
  session: FetchSession,
  clientFor: ClientFor,
  defaultStore: SecretStoreRef | undefined,
  df: ExternalSecretDataFromRemoteRef,
  index: number,
): Promise<Map<string, Uint8Array>> {
  const store = df.sourceRef?.storeRef ?? defaultStore;
  let found: Map<string, Uint8Array>;
  if (df.extract) {
    const raw = await session.get(store, df.extract.key, df.extract.version);
    const picked = df.extract.property ? extractProperty(raw, df.extract.property, df.extract.key) : raw;
    const strategy = df.extract.decodingStrategy as DecodingStrategy | undefined;
    found = new Map(
      Object.entries(jsonToMap(picked, df.extract.key)).map(([k, v]) => [
        k,
        decode(v, strategy, df.extract!.key),
      ]),
    );
    for (const [k, v] of found) checkNullBytes(v, df.extract, `key ${k} of ${df.extract.key}`);
  } else if (df.find) {
    const client = await clientFor(store);
    const result = await client.findSecrets({
      nameRegexp: df.find.name?.regexp,
      tags: df.find.tags,
      path: df.find.path,
    });
    const strategy = df.find.decodingStrategy as DecodingStrategy | undefined;
    found = new Map([...result].map(([k, v]) => [k, decode(v, strategy, k)]));
    for (const [k, v] of found) checkNullBytes(v, df.find, `secret ${k}`);
  } else {
    throw new InvalidRefError(`spec.dataFrom[${index}] needs extract or find`);
  }
  if (df.rewrite?.length) return applyRewrites(found, df.rewrite);
  // Without rewrites, ESO turns characters a Secret key cannot hold (e.g. '/') into '_'.
  return new Map([...found].map(([k, v]) => [k.replace(/[^-._a-zA-Z0-9]/g, '_'), v]));
}

/**
 * Waits for every read; fails with the first failure in spec order, not the first in time, so that
 * a store failing several keys reports the same one on every attempt (one status, one Event).
 */
async function inSpecOrder<T>(reads: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(reads);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** All values the ExternalSecret asks for, keyed by Secret key (before templating). */
export async function fetchValues(
  spec: ExternalSecretSpec,
  clientFor: ClientFor,
): Promise<Map<string, Uint8Array>> {
  const session = new FetchSession(clientFor);
  const out = new Map<string, Uint8Array>();
  const fromResults = await inSpecOrder(
    (spec.dataFrom ?? []).map((df, i) => readDataFrom(session, clientFor, spec.secretStoreRef, df, i)),
  );
  for (const m of fromResults) for (const [k, v] of m) out.set(k, v);
  const dataResults = await inSpecOrder(
    (spec.data ?? []).map(async (d) => {
      const v = await readRef(session, d.sourceRef?.storeRef ?? spec.secretStoreRef, d.remoteRef);
      checkNullBytes(v, d.remoteRef, `remoteRef ${d.remoteRef.key}`);
      return [d.secretKey, v] as const;
    }),
  );
  for (const [k, v] of dataResults) out.set(k, v);
  return out;
}

/**
 * Whether the version tags must be read before the payloads: true unless every store's payload
 * reads name their versions (then the tags are recorded by the read itself, exactly). Reading tags
 * first is the safe order otherwise: a rotation in between makes the next check refetch, never miss.
 */
export async function tagsBeforePayloads(spec: ExternalSecretSpec, clientFor: ClientFor): Promise<boolean> {
  for (const [store] of tagRefs(spec)) {
    const client = await clientFor(store);
    if (!(client instanceof PlannedClient) || !client.payloadsCarryTags) return true;
  }
  return false;
}

function tagRefs(spec: ExternalSecretSpec): [SecretStoreRef | undefined, ExternalSecretDataRemoteRef][] {
  return [
    ...(spec.data ?? []).map(
      (d) =>
        [d.sourceRef?.storeRef ?? spec.secretStoreRef, d.remoteRef] as [
          SecretStoreRef | undefined,
          ExternalSecretDataRemoteRef,
        ],
    ),
    ...(spec.dataFrom ?? [])
      .filter((d) => d.extract)
      .map(
        (d) =>
          [d.sourceRef?.storeRef ?? spec.secretStoreRef, d.extract!] as [
            SecretStoreRef | undefined,
            ExternalSecretDataRemoteRef,
          ],
      ),
  ];
}

/**
 * A fingerprint of the versions behind every value the ExternalSecret reads, from version tags
 * only (no payloads); undefined when a source has no tags (e.g. dataFrom.find), so the caller
 * falls back to fetching.
 */
export async function sourceVersions(
  spec: ExternalSecretSpec,
  clientFor: ClientFor,
  fetchedAfterMs: number,
): Promise<string | undefined> {
  if (spec.dataFrom?.some((d) => d.find)) return undefined;
  const refs = tagRefs(spec);
  const entries = new Set<string>();
  for (const [store, ref] of refs) {
    const client = await clientFor(store);
    if (!(client instanceof PlannedClient) || !client.supportsVersions) return undefined;
    const tag = await client.currentVersion({ key: ref.key, version: ref.version }, fetchedAfterMs);
    entries.add(
      JSON.stringify([store?.kind ?? 'SecretStore', store?.name ?? '', ref.key, ref.version ?? '', tag]),
    );
  }
  return createHash('sha256')
    .update([...entries].sort().join('\n'))
    .digest('hex');
}
