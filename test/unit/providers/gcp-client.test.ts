// GcpClient branches that the emulator cannot reach, driven through the narrow SmApi with
// real Secret Manager's documented behaviour where the emulator differs: `latest` is the newest
// *created* version even when disabled (AccessSecretVersion → FAILED_PRECONDITION), a
// secretAccessor-only identity may access but not GetSecretVersion, and payloads carry a CRC32C.
// Everything else is covered against the emulator in test/integration/providers/gcp.test.ts.
import { AuthError, NoSecretError, UnavailableError } from '../../../src/providers/core/errors';
import { GcpClient, type SmApi } from '../../../src/providers/gcp/client';
import { crc32c } from '../../../src/providers/gcp/crc32c';

type State = 'ENABLED' | 'DISABLED' | 'DESTROYED';
const err = (code: number, message: string) => Object.assign(new Error(`${code} X: ${message}`), { code });

/** One secret `projects/p/secrets/db` with real-GCP `latest` semantics; counts calls. */
function realGcp(versions: [string, State][], opts: { metadataDenied?: boolean; badCrc?: boolean } = {}) {
  const calls: string[] = [];
  const secret = 'projects/p/secrets/db';
  const find = (name: string) => {
    const m = /^projects\/p\/secrets\/db\/versions\/(latest|\d+)$/.exec(name);
    if (!m) throw err(5, `Secret [${name}] not found.`);
    const n = m[1] === 'latest' ? versions.length : Number(m[1]);
    const v = versions[n - 1];
    if (!v) throw err(5, `Secret Version [${name}] not found.`);
    return { n, data: v[0], state: v[1] };
  };
  const api: SmApi = {
    async accessSecretVersion({ name }) {
      calls.push(`access ${name}`);
      const v = find(name);
      if (v.state !== 'ENABLED')
        throw err(9, `Secret Version [${secret}/versions/${v.n}] is in ${v.state} state.`);
      const data = Buffer.from(v.data);
      return [
        {
          name: `${secret}/versions/${v.n}`,
          payload: { data, dataCrc32c: String(crc32c(data) + (opts.badCrc ? 1 : 0)) },
        },
      ];
    },
    async getSecretVersion({ name }) {
      calls.push(`get ${name}`);
      if (opts.metadataDenied) throw err(7, "Permission 'secretmanager.versions.get' denied");
      const v = find(name);
      return [{ name: `${secret}/versions/${v.n}`, state: v.state }];
    },
    async getSecret({ name }) {
      calls.push(`getSecret ${name}`);
      if (name !== secret) throw err(5, 'not found');
      return [{ name }];
    },
    async *listSecretsAsync() {
      calls.push('list');
      yield { name: secret, labels: {} };
    },
    async *listSecretVersionsAsync() {
      calls.push('listVersions');
      for (let i = versions.length; i >= 1; i--)
        yield { name: `${secret}/versions/${i}`, state: versions[i - 1]![1] };
    },
    async getProjectId() {
      return 'p';
    },
    async close() {},
  };
  return { api, calls };
}

const client = (api: SmApi, policy: 'LatestOrFail' | 'LatestOrFetch' = 'LatestOrFail') =>
  new GcpClient(
    api,
    { secretVersionSelectionPolicy: policy },
    {
      project: 'p',
      identity: async () => 'serviceAccount:ctl@p.iam.gserviceaccount.com',
      storeCredentials: false,
    },
  );
const text = (b: Uint8Array) => Buffer.from(b).toString();

test('LatestOrFail: a disabled latest is a NoSecretError pointing at LatestOrFetch', async () => {
  const { api } = realGcp([
    ['one', 'ENABLED'],
    ['two', 'DISABLED'],
  ]);
  const e = await client(api)
    .getSecret({ key: 'db' })
    .catch((x: unknown) => x as Error);
  expect(e).toBeInstanceOf(NoSecretError);
  expect(e).toHaveProperty(
    'message',
    'version 2 of secret "projects/p/secrets/db" is DISABLED (enable it, add a new version, or set the store\'s secretVersionSelectionPolicy: LatestOrFetch)',
  );
  // currentVersion still reports what `latest` is; the access then fails as above.
  expect(await client(api).currentVersion({ key: 'db' })).toBe('2');
});

test('LatestOrFetch: a disabled or destroyed latest falls back to the newest enabled version', async () => {
  const { api, calls } = realGcp([
    ['one', 'ENABLED'],
    ['two', 'ENABLED'],
    ['three', 'DISABLED'],
    ['', 'DESTROYED'],
  ]);
  const c = client(api, 'LatestOrFetch');
  expect(text(await c.getSecret({ key: 'db' }))).toBe('two');
  expect(calls).toEqual([
    'access projects/p/secrets/db/versions/latest',
    'listVersions',
    'access projects/p/secrets/db/versions/2',
  ]);
  expect(await c.currentVersion({ key: 'db' })).toBe('2');
  // An explicit number is never replaced.
  await expect(c.getSecret({ key: 'db', version: '3' })).rejects.toThrow(
    /version 3 .* is DISABLED \(enable it or reference/,
  );
});

test('LatestOrFetch with no enabled version left is a NoSecretError', async () => {
  const { api } = realGcp([['x', 'DISABLED']]);
  await expect(client(api, 'LatestOrFetch').getSecret({ key: 'db' })).rejects.toThrow(
    /has no enabled version/,
  );
});

test('currentVersion with an accessor-only identity falls back to AccessSecretVersion, once per secret', async () => {
  const { api, calls } = realGcp([['one', 'ENABLED']], { metadataDenied: true });
  const c = client(api);
  expect(await c.currentVersion({ key: 'db' })).toBe('1');
  expect(await c.currentVersion({ key: 'db' })).toBe('1');
  expect(calls).toEqual([
    'get projects/p/secrets/db/versions/latest',
    'access projects/p/secrets/db/versions/latest',
    'access projects/p/secrets/db/versions/latest',
  ]);
});

test('currentVersion of a numbered version makes no call', async () => {
  const { api, calls } = realGcp([['one', 'ENABLED']]);
  expect(await client(api).currentVersion({ key: 'db', version: '7' })).toBe('7');
  expect(calls).toEqual([]);
});

test('a payload failing its CRC32C is UnavailableError (retry), without the payload', async () => {
  const { api } = realGcp([['CANARY-crc', 'ENABLED']], { badCrc: true });
  const e = await client(api)
    .getSecret({ key: 'db' })
    .catch((x: unknown) => x as Error);
  expect(e).toBeInstanceOf(UnavailableError);
  expect((e as Error).message).not.toContain('CANARY');
});

test('PERMISSION_DENIED on access names the identity', async () => {
  const { api } = realGcp([['one', 'ENABLED']]);
  const denied: SmApi = { ...api, accessSecretVersion: async () => Promise.reject(err(7, 'denied')) };
  await expect(client(denied).getSecret({ key: 'db' })).rejects.toThrow(AuthError);
  await expect(client(denied).getSecret({ key: 'db' })).rejects.toThrow(
    /to serviceAccount:ctl@p.iam.gserviceaccount.com/,
  );
});

test('the ambient project is looked up once, after the key syntax is checked, and retried after a failure', async () => {
  const { api } = realGcp([['one', 'ENABLED']]);
  let lookups = 0;
  const md: { project?: string } = {};
  const ambient: SmApi = {
    ...api,
    getProjectId: async () => {
      lookups++;
      if (!md.project) throw new Error('metadata server unreachable');
      return md.project;
    },
  };
  const c = new GcpClient(
    ambient,
    { secretVersionSelectionPolicy: 'LatestOrFail' },
    {
      identity: async () => 'x',
      storeCredentials: false,
    },
  );
  await expect(c.getSecret({ key: 'a/b' })).rejects.toThrow(/neither a secret id/);
  expect(lookups).toBe(0);
  await expect(c.getSecret({ key: 'db' })).rejects.toThrow(/set the store's gcpsm.projectID/);
  md.project = 'p';
  expect(text(await c.getSecret({ key: 'db' }))).toBe('one');
  expect(text(await c.getSecret({ key: 'db' }))).toBe('one');
  expect(lookups).toBe(2);
});

// ---------------------------------------------------------------- store validation (ListSecrets)

const listing = (failure?: Error): SmApi => ({
  ...realGcp([['one', 'ENABLED']]).api,
  async *listSecretsAsync() {
    if (failure) throw failure;
    yield { name: 'projects/p/secrets/db', labels: {} };
  },
});

test('validate: a listing that works has nothing to note', async () => {
  expect(await client(listing()).validate()).toEqual([]);
});

test('validate: ListSecrets denied is a one-line note (the store works without dataFrom.find), not a failure', async () => {
  const denied = err(7, "Permission 'secretmanager.secrets.list' denied for resource 'projects/p'");
  expect(await client(listing(denied)).validate()).toEqual([
    'Secret Manager accepted the credentials but denied secretmanager.secrets.list on projects/p ' +
      '(or the project does not exist), so dataFrom.find is unavailable (it needs roles/secretmanager.viewer)',
  ]);
});

test('validate: unreachable, rejected credentials or a disabled API reject with a typed error', async () => {
  const cases: [Error, new (...a: never[]) => Error, RegExp][] = [
    [err(14, 'connect ECONNREFUSED'), UnavailableError, /Secret Manager unavailable \(UNAVAILABLE\)/],
    [err(16, 'Request had invalid authentication credentials'), AuthError, /UNAUTHENTICATED/],
    [
      Object.assign(err(7, 'Secret Manager API has not been used in project 1 before or it is disabled'), {
        reason: 'SERVICE_DISABLED',
      }),
      UnavailableError,
      /Secret Manager refused project p itself: .* the Secret Manager API and billing are enabled/,
    ],
  ];
  for (const [failure, type, message] of cases) {
    const e = await client(listing(failure))
      .validate()
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).toMatch(message);
  }
});

test('LatestOrFetch past a disabled latest without versions.list names that permission and the viewer role', async () => {
  const { api, calls } = realGcp([
    ['one', 'ENABLED'],
    ['two', 'DISABLED'],
  ]);
  const accessorOnly: SmApi = {
    ...api,
    // eslint-disable-next-line require-yield -- denied before the first page
    async *listSecretVersionsAsync() {
      calls.push('listVersions');
      throw err(7, "Permission 'secretmanager.versions.list' denied");
    },
  };
  const e = await client(accessorOnly, 'LatestOrFetch')
    .getSecret({ key: 'db' })
    .then(
      () => new Error('expected a failure'),
      (x: unknown) => x as Error,
    );
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    /^permission denied on projects\/p\/secrets\/db\/versions: grant roles\/secretmanager\.viewer \(secretmanager\.versions\.list, needed by secretVersionSelectionPolicy LatestOrFetch/,
  );
  // One listing per sync: the caller's backoff decides when to try again.
  expect(calls.filter((c) => c === 'listVersions')).toHaveLength(1);
});
