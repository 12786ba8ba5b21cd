// The one way to wrap a provider client (credentials first, call counting, close after in-flight
// calls): decorate() wraps every method the client has, and CLIENT_OPS must name every method of
// SecretsClient or this file does not compile, so a method added to the interface cannot be
// dropped by a wrapper (the old hand-written wrappers lost getSecretWithTag and sweepVersions).
import type { SecretsClient } from './types';

/** A method of SecretsClient. */
export type ClientOp = keyof SecretsClient;

/**
 * Runs one call of `op`; `call` makes the inner client's call with the caller's arguments.
 * Generic, so each method's result type passes through unchanged.
 */
export type Around = <T>(op: ClientOp, call: () => Promise<T>) => Promise<T>;

// Every key exactly once: a missing key is an error here, and so is one SecretsClient lacks.
const OPS = {
  getSecret: true,
  getSecrets: true,
  findSecrets: true,
  getSecretWithTag: true,
  currentVersion: true,
  sweepVersions: true,
  validate: true,
  close: true,
} as const satisfies Record<ClientOp, true>;

export const CLIENT_OPS = Object.keys(OPS) as readonly ClientOp[];

// Every method returns a promise, which is what lets around() stand in for any of them. A
// synchronous member added to SecretsClient makes this `false` and the line below an error.
type AllAsync = {
  [K in ClientOp]-?: NonNullable<SecretsClient[K]> extends (...args: never[]) => Promise<unknown>
    ? true
    : false;
}[ClientOp];
const allAsync: AllAsync = true;
void allAsync;

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** The client with every method it has run through `around`; absent optional methods stay absent. */
export function decorate(client: SecretsClient, around: Around): SecretsClient {
  const out: Partial<Record<ClientOp, AnyMethod>> = {};
  for (const op of CLIENT_OPS) {
    const method = client[op] as AnyMethod | undefined;
    if (typeof method !== 'function') continue;
    out[op] = (...args) => around(op, () => method.apply(client, args));
  }
  return out as unknown as SecretsClient;
}
