// ESO's `fake` provider: a store whose secrets are listed in the store spec itself
// (`fake: {data: [{key, value, version}]}`). Used by tests and demos, and by the reconciler's tests
// against the real apiserver, so it honours the same SecretsClient contract as the real providers.

import { createHmac, randomBytes } from 'node:crypto';
import { InvalidRefError, NoSecretError } from '../core/errors';
import { compileFind } from '../core/find';
import type { FindQuery, RemoteKey, SecretsClient } from '../core/types';

interface Entry {
  key: string;
  /** '' when the entry has no version. */
  version: string;
  value: Uint8Array;
}

const encoder = new TextEncoder();
/** Per-process key for version tags: a tag changes with the value but reveals nothing about it. */
const tagKey = randomBytes(32);

function describe(ref: RemoteKey): string {
  return ref.version
    ? `fake store has no key "${ref.key}" at version "${ref.version}"`
    : `fake store has no key "${ref.key}"`;
}

/** Parses and validates `spec.provider.fake`; messages name the offending `data[i]` field. */
export function parseFakeSpec(spec: unknown): Entry[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidRefError('provider fake must be an object with a data list');
  }
  const data = (spec as { data?: unknown }).data ?? [];
  if (!Array.isArray(data)) throw new InvalidRefError('provider fake: data must be a list');
  return data.map((item: unknown, i): Entry => {
    const e = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof e.key !== 'string' || e.key === '') {
      throw new InvalidRefError(`provider fake: data[${i}].key must be a non-empty string`);
    }
    if (e.version !== undefined && typeof e.version !== 'string') {
      throw new InvalidRefError(`provider fake: data[${i}].version must be a string`);
    }
    let text: string;
    if (typeof e.value === 'string') text = e.value;
    else if (e.value === undefined && e.valueMap !== undefined) text = encodeValueMap(e.valueMap, i);
    else if (e.value === undefined) text = '';
    else throw new InvalidRefError(`provider fake: data[${i}].value must be a string`);
    return { key: e.key, version: e.version ?? '', value: encoder.encode(text) };
  });
}

/** The deprecated valueMap, as JSON with sorted keys (Go's json.Marshal of a map). */
function encodeValueMap(m: unknown, i: number): string {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw new InvalidRefError(`provider fake: data[${i}].valueMap must be a map of strings`);
  }
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) {
    const v = (m as Record<string, unknown>)[k];
    if (typeof v !== 'string')
      throw new InvalidRefError(`provider fake: data[${i}].valueMap.${k} must be a string`);
    Object.defineProperty(sorted, k, { value: v, enumerable: true });
  }
  return JSON.stringify(sorted);
}

/** Orders versions: numerically when both are numbers, else as strings (''= no version, lowest). */
function newer(a: string, b: string): boolean {
  if (/^[0-9]+$/.test(a) && /^[0-9]+$/.test(b)) return BigInt(a) > BigInt(b);
  return a > b;
}

export class FakeClient implements SecretsClient {
  /** `${key}\0${version}` → entry; a later duplicate replaces an earlier one, as in ESO. */
  private readonly entries = new Map<string, Entry>();

  constructor(entries: Entry[]) {
    for (const e of entries) this.entries.set(`${e.key}\0${e.version}`, e);
  }

  private find(ref: RemoteKey): Entry {
    const e = this.entries.get(`${ref.key}\0${ref.version ?? ''}`);
    if (!e) throw new NoSecretError(describe(ref));
    return e;
  }

  async getSecret(ref: RemoteKey): Promise<Uint8Array> {
    return this.find(ref).value.slice();
  }

  async findSecrets(query: FindQuery): Promise<Map<string, Uint8Array>> {
    if (query.tags && Object.keys(query.tags).length > 0) {
      throw new InvalidRefError('the fake provider has no tags: use find.name.regexp or find.path');
    }
    const match = compileFind(query);
    const newest = new Map<string, Entry>();
    for (const e of this.entries.values()) {
      if (!match(e.key)) continue;
      const seen = newest.get(e.key);
      if (!seen || newer(e.version, seen.version)) newest.set(e.key, e);
    }
    return new Map([...newest].map(([k, e]) => [k, e.value.slice()]));
  }

  /** An HMAC of the value under a per-process key: changes when the value does, leaks nothing. */
  async currentVersion(ref: RemoteKey): Promise<string> {
    const e = this.find(ref);
    return `fake-${createHmac('sha256', tagKey).update(e.value).digest('hex').slice(0, 16)}`;
  }

  async close(): Promise<void> {}
}

/** Factory for `spec.provider.fake`. */
export function createFakeClient(spec: unknown): FakeClient {
  return new FakeClient(parseFakeSpec(spec));
}
