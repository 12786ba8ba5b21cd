// gcpsm configuration without the SDK: store spec validation, remoteRef → resource names, SDK
// options per endpoint, the ListSecrets filter hint, and the error messages for each gRPC code.
import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ThrottledError,
  UnavailableError,
} from '../../../src/providers/core/errors';
import { listFilter } from '../../../src/providers/gcp/client';
import { mapGcpError, type ErrorContext } from '../../../src/providers/gcp/errors';
import { sdkOptions } from '../../../src/providers/gcp';
import { parseGcpSpec, parseRef, shortName, versionOf } from '../../../src/providers/gcp/names';

describe('parseGcpSpec', () => {
  test('defaults and fields', () => {
    expect(parseGcpSpec({})).toEqual({ secretVersionSelectionPolicy: 'LatestOrFail' });
    expect(
      parseGcpSpec({
        projectID: 'p',
        location: 'us-central1',
        secretVersionSelectionPolicy: 'LatestOrFetch',
        auth: {},
      }),
    ).toEqual({ projectID: 'p', location: 'us-central1', secretVersionSelectionPolicy: 'LatestOrFetch' });
  });

  test.each([
    [[], /must be an object/],
    [{ projectID: 3 }, /projectID must be a string/],
    [{ location: 'Europe West' }, /not a GCP region name/],
    [{ secretVersionSelectionPolicy: 'Latest' }, /LatestOrFail or LatestOrFetch/],
    [{ auth: 'x' }, /auth must be an object/],
  ])('%j is rejected', (spec, msg) => {
    expect(() => parseGcpSpec(spec)).toThrow(msg);
  });
});

describe('parseRef', () => {
  const store = { project: 'p' };
  test('short names take the store project and location', () => {
    expect(parseRef({ key: 'db' }, store)).toEqual({
      project: 'p',
      secret: 'db',
      version: 'latest',
      isLatest: true,
    });
    expect(parseRef({ key: 'db', version: '3' }, { project: 'p', location: 'l1' })).toEqual({
      project: 'p',
      location: 'l1',
      secret: 'db',
      version: '3',
      isLatest: false,
    });
    expect(parseRef({ key: 'db', version: '' }, store).version).toBe('latest');
    expect(parseRef({ key: 'db', version: 'latest' }, store).isLatest).toBe(true);
  });

  test('full names carry their project, location and version', () => {
    expect(parseRef({ key: 'projects/q/secrets/db/versions/7' }, store)).toEqual({
      project: 'q',
      secret: 'db',
      version: '7',
      isLatest: false,
    });
    expect(
      parseRef({ key: 'projects/123/locations/l1/secrets/db' }, { project: 'p', location: 'l1' }),
    ).toMatchObject({
      project: '123',
      location: 'l1',
      secret: 'db',
    });
  });

  test.each([
    [{ key: 'a/b' }, store, /neither a secret id/],
    [{ key: 'projects/p/secrets/a.b' }, store, /may only contain/],
    [{ key: 'db', version: 'v2' }, store, /use "latest" or a version number/],
    [{ key: 'db', version: '0' }, store, /use "latest" or a version number/],
    [{ key: 'projects/p/secrets/db/versions/1', version: '2' }, store, /give the version once/],
    [{ key: 'projects/p/locations/l1/secrets/db' }, store, /set the store's gcpsm.location to l1/],
    [{ key: 'projects/p/secrets/db' }, { project: 'p', location: 'l1' }, /names a global secret/],
  ])('%j is an InvalidRefError', (ref, s, msg) => {
    expect(() => parseRef(ref, s)).toThrow(msg);
    expect(() => parseRef(ref, s)).toThrow(InvalidRefError);
  });

  test('names returned by the API', () => {
    expect(shortName('projects/123/secrets/db')).toBe('db');
    expect(shortName('projects/123/locations/l/secrets/db/versions/2')).toBe('db');
    expect(versionOf('projects/1/secrets/db/versions/12')).toBe('12');
    expect(versionOf('projects/1/secrets/db/versions/latest')).toBeUndefined();
  });
});

describe('sdkOptions', () => {
  const cfg = { secretVersionSelectionPolicy: 'LatestOrFail' as const };
  test('SECRETSYNC_GCP_ENDPOINT selects the REST fallback over its scheme', () => {
    expect(
      sdkOptions(cfg, {
        env: { SECRETSYNC_GCP_ENDPOINT: 'http://127.0.0.1:8123', GOOGLE_CLOUD_PROJECT: 'amb' },
      }),
    ).toEqual({
      projectId: 'amb',
      apiEndpoint: '127.0.0.1',
      port: 8123,
      protocol: 'http',
      fallback: true,
    });
    expect(() => sdkOptions(cfg, { env: { SECRETSYNC_GCP_ENDPOINT: 'nope' } })).toThrow(/is not a URL/);
  });

  test('default endpoint (gRPC) and regional endpoints; projectID wins over the ambient project', () => {
    expect(sdkOptions(cfg, { env: {} })).toEqual({});
    expect(
      sdkOptions(
        { ...cfg, projectID: 'p', location: 'me-central2' },
        { env: { GOOGLE_CLOUD_PROJECT: 'amb' } },
      ),
    ).toEqual({
      projectId: 'p',
      apiEndpoint: 'secretmanager.me-central2.rep.googleapis.com',
    });
  });
});

test('listFilter: label equality and name prefix as ESO sends them, unsafe values left to the client side', () => {
  expect(listFilter({})).toBeUndefined();
  expect(listFilter({ tags: { env: 'prod', team: 'a-b' }, path: 'app-' })).toBe(
    'labels.env=prod labels.team=a-b name:app-',
  );
  expect(listFilter({ tags: { 'Env x': 'prod', k: '' }, path: 'a/b' })).toBeUndefined();
});

describe('mapGcpError', () => {
  const base: ErrorContext = {
    resource: 'projects/p/secrets/db/versions/latest',
    secret: 'projects/p/secrets/db',
    project: 'p',
    op: 'access',
    version: 'latest',
    identity: 'serviceAccount:ctl@p.iam.gserviceaccount.com',
    storeCredentials: false,
  };
  const gax = (code: number, message: string) => Object.assign(new Error(`${code} X: ${message}`), { code });

  test('NOT_FOUND: secret vs version vs unknown', () => {
    const nf = gax(5, 'not found');
    expect(mapGcpError(nf, { ...base, secretExists: false })).toEqual(
      new NoSecretError(
        `secret "projects/p/secrets/db" not found in project p (check remoteRef.key and the store's projectID)`,
      ),
    );
    expect(mapGcpError(nf, { ...base, version: '4', secretExists: true }).message).toBe(
      'version 4 of secret "projects/p/secrets/db" not found (check remoteRef.version)',
    );
    expect(mapGcpError(nf, { ...base, secretExists: true }).message).toMatch(/has no enabled version/);
    expect(mapGcpError(nf, { ...base, location: 'l1' }).message).toMatch(
      /in project p, location l1 .*projectID and location/,
    );
  });

  test('PERMISSION_DENIED names the role and the identity', () => {
    const e = mapGcpError(gax(7, 'denied'), base);
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toMatch(
      /^permission denied on projects\/p\/secrets\/db\/versions\/latest: grant roles\/secretmanager.secretAccessor to serviceAccount:ctl@p.iam.gserviceaccount.com \(the controller's Google service account, or the one in the store's workloadIdentity\)/,
    );
    expect(mapGcpError(gax(7, 'denied'), { ...base, op: 'list' }).message).toMatch(
      /roles\/secretmanager.viewer/,
    );
  });

  test('UNAUTHENTICATED names ADC / workload identity, or the store credentials', () => {
    expect(mapGcpError(gax(16, 'x'), base).message).toMatch(
      /Application Default Credentials.*Workload Identity/,
    );
    expect(mapGcpError(gax(16, 'x'), { ...base, storeCredentials: true }).message).toMatch(
      /store's credentials/,
    );
  });

  test('version states, throttling, unavailability and bad arguments', () => {
    const disabled = gax(9, 'Secret Version [projects/1/secrets/db/versions/3] is in DISABLED state.');
    expect(mapGcpError(disabled, base)).toEqual(
      new NoSecretError(
        'version 3 of secret "projects/p/secrets/db" is DISABLED (enable it, add a new version, or set the store\'s secretVersionSelectionPolicy: LatestOrFetch)',
      ),
    );
    expect(mapGcpError(gax(9, 'other precondition'), base)).toBeInstanceOf(UnavailableError);
    expect(mapGcpError(gax(8, 'quota'), base)).toBeInstanceOf(ThrottledError);
    for (const c of [14, 4, 13, 2]) expect(mapGcpError(gax(c, 'x'), base)).toBeInstanceOf(UnavailableError);
    expect(mapGcpError(gax(3, 'bad name'), base)).toBeInstanceOf(InvalidRefError);
    expect(mapGcpError(new Error('Could not load the default credentials.'), base)).toBeInstanceOf(AuthError);
    expect(
      mapGcpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), base),
    ).toBeInstanceOf(UnavailableError);
  });
});
