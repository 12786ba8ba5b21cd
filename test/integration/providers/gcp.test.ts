// The gcpsm provider against the testbed's Secret Manager emulator, over the REST fallback with a
// real OAuth token from the fake GCE metadata server (the ambient Workload Identity path): names,
// versions, change detection, version states, find, regional secrets, IAM and error mapping — and
// a planted canary that must never surface in an error.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ProviderError,
  UnavailableError,
} from '../../../src/providers/core/errors';
import { createGcpClient } from '../../../src/providers/gcp';
import type { SecretsClient } from '../../../src/providers/core/types';
import { fakeRequests, gcpSecretManager, grantGcp } from '../../support/cloud';

const sm = gcpSecretManager();
const project = process.env.GOOGLE_CLOUD_PROJECT!;
const run = randomBytes(3).toString('hex');
const canary = `CANARY-${randomBytes(8).toString('hex')}`;
const errors: unknown[] = [];
const clients: SecretsClient[] = [];
let seq = 0;

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const uid = (what: string) => `${what}-${run}-${seq++}`;

async function gcp(spec: Record<string, unknown> = {}, opts = {}): Promise<SecretsClient> {
  const c = await createGcpClient(spec, opts);
  clients.push(c);
  return c;
}

/** Creates a secret with the given versions (1, 2, …) and labels; returns its short id. */
async function secret(
  values: string[],
  opts: { id?: string; labels?: Record<string, string>; parent?: string } = {},
): Promise<string> {
  const id = opts.id ?? uid('s');
  const parent = opts.parent ?? `projects/${project}`;
  await sm.createSecret({
    parent,
    secretId: id,
    secret: { replication: { automatic: {} }, labels: opts.labels ?? {} },
  });
  for (const v of values)
    await sm.addSecretVersion({ parent: `${parent}/secrets/${id}`, payload: { data: Buffer.from(v) } });
  return id;
}

/** A local port nothing listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** The error a call fails with (recorded for the canary check). */
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    errors.push(err);
    if (!(err instanceof ProviderError)) throw err;
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  // Metadata too: these tests check change detection, find and the "not found" wording, which read
  // secrets.get / versions.get / secrets.list. Accessor-only stores are tested at the end.
  await grantGcp(project, ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor']);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sm.close();
});

test('getSecret: latest and numbered versions, by short and full names, with an ambient token', async () => {
  const id = await secret(['one', 'two']);
  const c = await gcp();
  expect(text(await c.getSecret({ key: id }))).toBe('two');
  expect(text(await c.getSecret({ key: id, version: 'latest' }))).toBe('two');
  expect(text(await c.getSecret({ key: id, version: '1' }))).toBe('one');
  expect(text(await c.getSecret({ key: `projects/${project}/secrets/${id}` }))).toBe('two');
  expect(text(await c.getSecret({ key: `projects/${project}/secrets/${id}/versions/1` }))).toBe('one');
  expect(text(await c.getSecret({ key: `projects/${project}/secrets/${id}/versions/1`, version: '1' }))).toBe(
    'one',
  );
  // The token came from the metadata server (GKE Workload Identity, ambient).
  const tokens = (await fakeRequests('GCE_METADATA_HOST')).filter((r) => r.path.endsWith('/token'));
  expect(tokens.length).toBeGreaterThan(0);
});

test('without projectID or GOOGLE_CLOUD_PROJECT the project comes from the metadata server', async () => {
  const id = await secret(['ambient-project']);
  const projectLookups = async () =>
    (await fakeRequests('GCE_METADATA_HOST')).filter((r) => r.path.endsWith('/project/project-id')).length;
  const before = await projectLookups();
  const saved = process.env.GOOGLE_CLOUD_PROJECT;
  delete process.env.GOOGLE_CLOUD_PROJECT;
  try {
    const c = await gcp({}, { env: { SECRETSYNC_GCP_ENDPOINT: process.env.SECRETSYNC_GCP_ENDPOINT } });
    expect(text(await c.getSecret({ key: id }))).toBe('ambient-project');
    expect(await c.currentVersion!({ key: id })).toBe('1');
  } finally {
    process.env.GOOGLE_CLOUD_PROJECT = saved;
  }
  expect(await projectLookups()).toBeGreaterThan(before);
});

test('binary payloads come back byte for byte', async () => {
  const id = uid('bin');
  await sm.createSecret({
    parent: `projects/${project}`,
    secretId: id,
    secret: { replication: { automatic: {} } },
  });
  const bytes = Buffer.from([0, 255, 128, 10, 13, 0xc3]);
  await sm.addSecretVersion({ parent: `projects/${project}/secrets/${id}`, payload: { data: bytes } });
  expect(Buffer.from(await (await gcp()).getSecret({ key: id }))).toEqual(bytes);
});

test('a full name in another project wins over the store projectID', async () => {
  const other = `other-${run}`;
  await grantGcp(other, 'roles/secretmanager.secretAccessor');
  const id = await secret(['elsewhere'], { parent: `projects/${other}` });
  const c = await gcp({ projectID: project });
  expect(text(await c.getSecret({ key: `projects/${other}/secrets/${id}` }))).toBe('elsewhere');
  await expect(c.getSecret({ key: id })).rejects.toBeInstanceOf(NoSecretError);
  expect(text(await (await gcp({ projectID: other })).getSecret({ key: id }))).toBe('elsewhere');
});

test('bad references are InvalidRefError before any call', async () => {
  const c = await gcp();
  for (const ref of [
    { key: 'a/b' },
    { key: 'db', version: 'v1' },
    { key: 'db', version: '0' },
    { key: `projects/${project}/secrets/db/versions/1`, version: '2' },
    { key: `projects/${project}/locations/europe-west1/secrets/db` },
  ]) {
    const err = await failure(c.getSecret(ref));
    expect(err).toBeInstanceOf(InvalidRefError);
  }
});

test('currentVersion resolves latest to a number and moves when a version is added', async () => {
  const id = await secret(['one', 'two']);
  const c = await gcp();
  expect(await c.currentVersion!({ key: id })).toBe('2');
  expect(await c.currentVersion!({ key: id, version: '1' })).toBe('1');
  await sm.addSecretVersion({
    parent: `projects/${project}/secrets/${id}`,
    payload: { data: Buffer.from('three') },
  });
  expect(await c.currentVersion!({ key: id })).toBe('3');
  expect(await c.currentVersion!({ key: `projects/${project}/secrets/${id}` })).toBe('3');
  expect(text(await c.getSecret({ key: id }))).toBe('three');
  const err = await failure(c.currentVersion!({ key: uid('missing') }));
  expect(err).toBeInstanceOf(NoSecretError);
});

test('missing secret, missing version and a secret without versions are NoSecretError that say what to fix', async () => {
  const c = await gcp();
  const missing = uid('missing');
  const err = await failure(c.getSecret({ key: missing }));
  expect(err).toBeInstanceOf(NoSecretError);
  expect(err.message).toBe(
    `secret "projects/${project}/secrets/${missing}" not found in project ${project} (check remoteRef.key and the store's projectID)`,
  );
  const id = await secret([canary]);
  const v = await failure(c.getSecret({ key: id, version: '9' }));
  expect(v).toBeInstanceOf(NoSecretError);
  expect(v.message).toBe(
    `version 9 of secret "projects/${project}/secrets/${id}" not found (check remoteRef.version)`,
  );
  const empty = await secret([]);
  const e = await failure(c.getSecret({ key: empty }));
  expect(e).toBeInstanceOf(NoSecretError);
  expect(e.message).toMatch(/has no enabled version/);
});

test('disabled and destroyed versions are NoSecretError naming the state; LatestOrFetch takes the newest enabled', async () => {
  const id = await secret(['good', canary, `${canary}-3`]);
  const name = `projects/${project}/secrets/${id}`;
  await sm.disableSecretVersion({ name: `${name}/versions/2` });
  await sm.destroySecretVersion({ name: `${name}/versions/3` });
  const failFast = await gcp();
  const disabled = await failure(failFast.getSecret({ key: id, version: '2' }));
  expect(disabled).toBeInstanceOf(NoSecretError);
  expect(disabled.message).toBe(
    `version 2 of secret "${name}" is DISABLED (enable it or reference an enabled version in remoteRef.version)`,
  );
  const destroyed = await failure(failFast.getSecret({ key: id, version: '3' }));
  expect(destroyed.message).toMatch(/version 3 of secret .* is DESTROYED/);

  // Real Secret Manager answers `latest` = version 3 (DESTROYED) with FAILED_PRECONDITION; the
  // emulator already skips to the newest enabled one. Under LatestOrFetch both must give "good".
  const fetch = await gcp({ secretVersionSelectionPolicy: 'LatestOrFetch' });
  expect(text(await fetch.getSecret({ key: id }))).toBe('good');
  expect(await fetch.currentVersion!({ key: id })).toBe('1');

  await sm.disableSecretVersion({ name: `${name}/versions/1` });
  for (const c of [failFast, fetch]) {
    const none = await failure(c.getSecret({ key: id }));
    expect(none).toBeInstanceOf(NoSecretError);
    expect(none.message).toMatch(/has no enabled version/);
  }
});

test('findSecrets: RE2 name regexp, labels and path prefix, keyed by short name', async () => {
  const prefix = `find-${run}`;
  const team = `team-${run}`;
  await secret(['a1', 'a2'], { id: `${prefix}-app-a`, labels: { team, env: 'prod' } });
  await secret(['b1'], { id: `${prefix}-app-b`, labels: { team, env: 'dev' } });
  await secret(['db'], { id: `${prefix}-db`, labels: { team: 'other' } });
  const c = await gcp();
  const asObj = (m: Map<string, Uint8Array>) => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

  expect(asObj(await c.findSecrets({ nameRegexp: `^${prefix}-app-[ab]$` }))).toEqual({
    [`${prefix}-app-a`]: 'a2',
    [`${prefix}-app-b`]: 'b1',
  });
  expect(asObj(await c.findSecrets({ tags: { team } }))).toEqual({
    [`${prefix}-app-a`]: 'a2',
    [`${prefix}-app-b`]: 'b1',
  });
  expect(asObj(await c.findSecrets({ tags: { team, env: 'prod' } }))).toEqual({ [`${prefix}-app-a`]: 'a2' });
  expect(Object.keys(asObj(await c.findSecrets({ path: `${prefix}-` }))).sort()).toEqual([
    `${prefix}-app-a`,
    `${prefix}-app-b`,
    `${prefix}-db`,
  ]);
  expect(asObj(await c.findSecrets({ path: `${prefix}-`, nameRegexp: 'db$' }))).toEqual({
    [`${prefix}-db`]: 'db',
  });
  expect((await c.findSecrets({ nameRegexp: `^${prefix}-nothing` })).size).toBe(0);
  expect(await failure(c.findSecrets({ nameRegexp: '(' }))).toBeInstanceOf(InvalidRefError);
});

test('regional secrets: the store location picks locations/<l> names', async () => {
  const location = 'europe-west1';
  const id = await secret(['regional'], { parent: `projects/${project}/locations/${location}` });
  const c = await gcp({ location });
  expect(text(await c.getSecret({ key: id }))).toBe('regional');
  expect(text(await c.getSecret({ key: `projects/${project}/locations/${location}/secrets/${id}` }))).toBe(
    'regional',
  );
  expect(await c.currentVersion!({ key: id })).toBe('1');
  expect([...(await c.findSecrets({ nameRegexp: `^${id}$` })).keys()]).toEqual([id]);
  // Not visible as a global secret.
  expect(await failure((await gcp()).getSecret({ key: id }))).toBeInstanceOf(NoSecretError);
  const wrong = await failure(c.getSecret({ key: `projects/${project}/secrets/${id}` }));
  expect(wrong).toBeInstanceOf(InvalidRefError);
  expect(wrong.message).toMatch(/names a global secret but the store has location europe-west1/);
});

test('PERMISSION_DENIED is an AuthError naming the role and the controller identity; a grant fixes it', async () => {
  const strict = `strict-project-${run}`;
  const id = await secret([canary], { parent: `projects/${strict}` });
  const resource = `projects/${strict}/secrets/${id}`;
  const c = await gcp({ projectID: strict });
  const denied = await failure(c.getSecret({ key: id }));
  expect(denied).toBeInstanceOf(AuthError);
  expect(denied.message).toMatch(
    new RegExp(
      `^permission denied on ${resource}/versions/latest: grant roles/secretmanager.secretAccessor to ` +
        `serviceAccount:secretsync@${project}\\.iam\\.gserviceaccount\\.com \\(the controller's Google service account, ` +
        "or the one in the store's workloadIdentity\\)",
    ),
  );
  const deniedFind = await failure(c.findSecrets({ nameRegexp: id }));
  expect(deniedFind).toBeInstanceOf(AuthError);

  await grantGcp(resource, 'roles/secretmanager.secretAccessor');
  expect(text(await c.getSecret({ key: id }))).toBe(canary);
});

test('an injected auth client is used instead of ADC; a rejected token is an AuthError about the store', async () => {
  const id = await secret(['via-injected']);
  const md = process.env.GCE_METADATA_HOST!;
  const res = await fetch(`http://${md}/computeMetadata/v1/instance/service-accounts/default/token`, {
    headers: { 'Metadata-Flavor': 'Google' },
  });
  const { access_token } = (await res.json()) as { access_token: string };
  const good = new OAuth2Client();
  good.setCredentials({ access_token, expiry_date: Date.now() + 3_600_000 });
  const c = await gcp({ projectID: project }, { authClient: good, identity: 'serviceAccount:app@example' });
  expect(text(await c.getSecret({ key: id }))).toBe('via-injected');

  const bad = new OAuth2Client();
  bad.setCredentials({ access_token: 'ya29.not-issued', expiry_date: Date.now() + 3_600_000 });
  const rejected = await failure(
    (await gcp({ projectID: project }, { authClient: bad })).getSecret({ key: id }),
  );
  expect(rejected).toBeInstanceOf(AuthError);
  expect(rejected.message).toMatch(/rejected the store's credentials \(UNAUTHENTICATED\)/);
});

test('accessor-only on the secret: values and change detection work; validate notes that find is unavailable', async () => {
  const lean = `lean-${run}`;
  const id = await secret(['one', 'two'], { parent: `projects/${lean}` });
  await grantGcp(`projects/${lean}/secrets/${id}`, 'roles/secretmanager.secretAccessor');
  const c = await gcp({ projectID: lean });
  expect(await c.validate!()).toEqual([
    `Secret Manager accepted the credentials but denied secretmanager.secrets.list on projects/${lean} ` +
      '(or the project does not exist), so dataFrom.find is unavailable (it needs roles/secretmanager.viewer)',
  ]);
  expect(text(await c.getSecret({ key: id }))).toBe('two');
  expect(await c.currentVersion!({ key: id })).toBe('2'); // GetSecretVersion denied: read by access
  const find = await failure(c.findSecrets({ nameRegexp: id }));
  expect(find).toBeInstanceOf(AuthError);
  expect(find.message).toMatch(/grant roles\/secretmanager\.viewer \(secretmanager\.secrets\.list/);
});

test('viewer-only: validate passes, but reading a value is an AuthError naming secretAccessor', async () => {
  const looker = `looker-${run}`;
  const id = await secret([canary], { parent: `projects/${looker}` });
  await grantGcp(looker, 'roles/secretmanager.viewer');
  const c = await gcp({ projectID: looker });
  expect(await c.validate!()).toEqual([]);
  expect(await c.currentVersion!({ key: id })).toBe('1');
  const e = await failure(c.getSecret({ key: id }));
  expect(e).toBeInstanceOf(AuthError);
  expect(e.message).toMatch(
    `permission denied on projects/${looker}/secrets/${id}/versions/latest: grant roles/secretmanager.secretAccessor`,
  );
});

test('an unreachable endpoint or rejected credentials fail validate with a typed error', async () => {
  const closed = await closedPort();
  const down = await gcp(
    { projectID: project },
    { env: { SECRETSYNC_GCP_ENDPOINT: `http://127.0.0.1:${closed}` } },
  );
  const unreachable = await failure(down.validate!());
  expect(unreachable).toBeInstanceOf(UnavailableError);
  expect(unreachable.message).toMatch(/^Secret Manager .*projects\/testbed-project\/secrets/);
  const bad = new OAuth2Client();
  bad.setCredentials({ access_token: 'ya29.not-issued', expiry_date: Date.now() + 3_600_000 });
  const rejected = await failure((await gcp({ projectID: project }, { authClient: bad })).validate!());
  expect(rejected).toBeInstanceOf(AuthError);
  expect(rejected.message).toMatch(/rejected the store's credentials \(UNAUTHENTICATED\)/);
});

test('the canary planted in failing secrets appears in no error message', () => {
  expect(errors.length).toBeGreaterThan(10);
  for (const err of errors) {
    const e = err as Error & { cause?: unknown };
    expect(e.message).not.toContain(canary);
    expect(String((e.cause as Error | undefined)?.message ?? '')).not.toContain(canary);
    expect(JSON.stringify(e)).not.toContain(canary);
  }
});
