// decorate(): every method of SecretsClient is forwarded through `around` with its arguments, `this`
// and result; methods a client lacks stay absent (callers test for them); the method list is the
// interface's, checked by the compiler and again here.
import { CLIENT_OPS, decorate, type Around, type ClientOp } from '../../../src/providers/core/decorate';
import type { SecretsClient, VersionSweep } from '../../../src/providers/core/types';

/** What validate() resolves to, whatever the interface says (the test does not look at it). */
type Validated = Awaited<ReturnType<NonNullable<SecretsClient['validate']>>>;

/** A client with every method, each recording its call; Required<> fails to compile when one is missing. */
function fullClient() {
  const calls: { op: ClientOp; args: unknown[]; self: unknown }[] = [];
  const sweep: VersionSweep = { calls: 1, tagOf: () => 't' };
  const client: Required<SecretsClient> = {
    async getSecret(...args) {
      calls.push({ op: 'getSecret', args, self: this });
      return new Uint8Array([1]);
    },
    async getSecrets(...args) {
      calls.push({ op: 'getSecrets', args, self: this });
      return new Map([['k@', new Uint8Array([2])]]);
    },
    async findSecrets(...args) {
      calls.push({ op: 'findSecrets', args, self: this });
      return new Map([['k', new Uint8Array([3])]]);
    },
    async getSecretWithTag(...args) {
      calls.push({ op: 'getSecretWithTag', args, self: this });
      return { value: new Uint8Array([4]), tag: '7' };
    },
    async currentVersion(...args) {
      calls.push({ op: 'currentVersion', args, self: this });
      return '7';
    },
    async sweepVersions(...args) {
      calls.push({ op: 'sweepVersions', args, self: this });
      return sweep;
    },
    async validate(...args) {
      calls.push({ op: 'validate', args, self: this });
      return undefined as unknown as Validated;
    },
    async close(...args) {
      calls.push({ op: 'close', args, self: this });
    },
  };
  return { client, calls };
}

/** Arguments to call each method with (the compiler checks that each op has its own). */
const ARGS: { [K in ClientOp]-?: Parameters<NonNullable<SecretsClient[K]>> } = {
  getSecret: [{ key: 'a', version: '1' }],
  getSecrets: [[{ key: 'a' }, { key: 'b' }]],
  findSecrets: [{ nameRegexp: '^a' }],
  getSecretWithTag: [{ key: 'a' }],
  currentVersion: [{ key: 'a', version: 'latest' }],
  sweepVersions: [],
  validate: [],
  close: [],
};

// Type-level: CLIENT_OPS is exactly the interface's keys (a key missing on either side is `false`).
type Listed = (typeof CLIENT_OPS)[number];
const sameKeys: [ClientOp] extends [Listed] ? ([Listed] extends [ClientOp] ? true : false) : false = true;

test('CLIENT_OPS lists every method of SecretsClient, each once', () => {
  expect(sameKeys).toBe(true);
  const { client } = fullClient();
  expect([...CLIENT_OPS].sort()).toEqual(Object.keys(client).sort());
  expect(new Set(CLIENT_OPS).size).toBe(CLIENT_OPS.length);
});

test('every method is forwarded through around, with its arguments, this and result', async () => {
  const { client, calls } = fullClient();
  const seen: ClientOp[] = [];
  const around: Around = async (op, call) => {
    seen.push(op);
    return call();
  };
  const d = decorate(client, around);
  for (const op of Object.keys(client) as ClientOp[]) {
    const method = d[op] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    expect({ op, present: typeof method }).toEqual({ op, present: 'function' });
    const args = ARGS[op] as unknown[];
    const result = await method!(...args);
    const direct = await (client[op] as (...a: unknown[]) => Promise<unknown>).apply(client, args);
    expect(result).toEqual(direct);
    const last = calls.filter((c) => c.op === op);
    expect(last).toHaveLength(2);
    expect(last[0]).toEqual({ op, args, self: client });
  }
  expect(seen).toEqual(Object.keys(client));
});

test('around decides: it can refuse a call before the client sees it, and see its failure', async () => {
  const { client, calls } = fullClient();
  const failures: string[] = [];
  const d = decorate(client, async (op, call) => {
    if (op !== 'close') throw new Error(`refused ${op}`);
    try {
      return await call();
    } catch (err) {
      failures.push((err as Error).message);
      throw err;
    }
  });
  for (const op of CLIENT_OPS.filter((o) => o !== 'close')) {
    const method = d[op] as (...a: unknown[]) => Promise<unknown>;
    await expect(method(...(ARGS[op] as unknown[]))).rejects.toThrow(`refused ${op}`);
  }
  expect(calls).toEqual([]);
  await d.close();
  expect(calls.map((c) => c.op)).toEqual(['close']);
  const broken = decorate(
    { ...client, getSecret: () => Promise.reject(new Error('down')) },
    async (_op, call) => call(),
  );
  await expect(broken.getSecret({ key: 'a' })).rejects.toThrow('down');
});

test('optional methods the client lacks stay absent', () => {
  const minimal: SecretsClient = {
    getSecret: async () => new Uint8Array(),
    findSecrets: async () => new Map(),
    close: async () => undefined,
  };
  const d = decorate(minimal, (_op, call) => call());
  expect(Object.keys(d).sort()).toEqual(['close', 'findSecrets', 'getSecret']);
  for (const op of ['getSecrets', 'getSecretWithTag', 'currentVersion', 'sweepVersions', 'validate'] as const)
    expect(d[op]).toBeUndefined();
});

test('a class instance: methods on the prototype are found and called on the instance', async () => {
  class Client implements SecretsClient {
    private readonly secret = new Uint8Array([9]);
    async getSecret() {
      return this.secret;
    }
    async findSecrets() {
      return new Map([['k', this.secret]]);
    }
    async currentVersion() {
      return String(this.secret[0]);
    }
    async close() {}
  }
  const d = decorate(new Client(), (_op, call) => call());
  expect(await d.getSecret({ key: 'k' })).toEqual(new Uint8Array([9]));
  expect(await d.currentVersion!({ key: 'k' })).toBe('9');
  expect(d.sweepVersions).toBeUndefined();
});
