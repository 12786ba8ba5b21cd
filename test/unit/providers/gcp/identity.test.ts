// GKE Workload Identity and key-file identities for gcpsm stores, against an in-memory apiserver
// context and a fetch that plays STS, IAM Credentials and the metadata server: what is asked (the
// audiences, the exchange form, the impersonated account), what is cached, and the messages each
// known failure produces — none of which may carry a token or a key.
import { generateKeyPairSync } from 'node:crypto';
import { CredentialCache } from '../../../../src/providers/credentials/cache';
import { gcpStoreIdentity, withGcpIdentity } from '../../../../src/providers/gcp/identity';
import { parseServiceAccountKey } from '../../../../src/providers/gcp/key';
import { AuthError, ProviderError } from '../../../../src/providers/core/errors';
import type { ProviderContext, SecretsClient } from '../../../../src/providers/core/types';
import { ManualClock } from '../../../../src/runtime/clock';

const SA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVz';
const STS = 'http://sts.test';
const IAM = 'http://iam.test';
const env = {
  SECRETSYNC_GCP_STS_ENDPOINT: STS,
  SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT: `${IAM}/`,
  GCE_METADATA_HOST: 'md.test',
};
const GSA = 'app@p.iam.gserviceaccount.com';
const POOL = 'p.svc.id.goog';
const MEMBER = 'serviceAccount:p.svc.id.goog[team/app]';

type Reply = { status: number; body: unknown };
interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

function world(
  opts: { sts?: Reply; iam?: Reply; annotations?: Record<string, string>; md?: Record<string, string> } = {},
) {
  const calls: Call[] = [];
  const tokenRequests: { ref: unknown; audiences: string[] }[] = [];
  const clock = new ManualClock(Date.now());
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? init.body : '',
    });
    let reply: Reply;
    if (url === `${STS}/v1/token`) {
      reply = opts.sts ?? { status: 200, body: { access_token: 'ya29.federated', expires_in: 3600 } };
    } else if (url.startsWith(`${IAM}/v1/projects/-/serviceAccounts/`)) {
      reply = opts.iam ?? {
        status: 200,
        body: {
          accessToken: 'ya29.impersonated',
          expireTime: new Date(clock.now() + 3600_000).toISOString(),
        },
      };
    } else if (url.startsWith('http://md.test/computeMetadata/v1/instance/attributes/')) {
      const attr = url.split('/').pop()!;
      const v = opts.md?.[attr];
      reply = v === undefined ? { status: 404, body: 'not found' } : { status: 200, body: v };
    } else reply = { status: 599, body: 'unexpected' };
    return new Response(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), {
      status: reply.status,
    });
  }) as typeof fetch;
  const ctx: ProviderContext = {
    namespace: 'team',
    store: { kind: 'SecretStore', name: 'gsm', namespace: 'team', generation: 3 },
    readSecretKey: () => Promise.reject(new Error('unused')),
    requestServiceAccountToken: async (ref, audiences) => {
      tokenRequests.push({ ref, audiences });
      return { token: SA_JWT, expiresAt: clock.now() + 3600_000 };
    },
    readServiceAccount: async () => ({
      annotations: opts.annotations ?? { 'iam.gke.io/gcp-service-account': GSA },
    }),
  };
  const deps = { env, fetch: fetchFn, cache: new CredentialCache(clock), now: () => clock.now() };
  return { calls, tokenRequests, ctx, deps, clock };
}

const wiSpec = (wi: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  projectID: 'p',
  ...extra,
  auth: {
    workloadIdentity: {
      serviceAccountRef: { name: 'app' },
      clusterLocation: 'europe-west1',
      clusterName: 'prod',
      ...wi,
    },
  },
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    expect(err.message).not.toContain(SA_JWT);
    expect(err.message).not.toMatch(/ya29\./);
    return err;
  }
  throw new Error('expected a failure');
}

test('TokenRequest for the pool, STS exchange in ESO form, generateAccessToken for the annotated GSA', async () => {
  const w = world();
  const id = (await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!;
  expect(id.identity).toBe(`serviceAccount:${GSA}`);
  expect((await id.ensure()).token).toBe('ya29.impersonated');
  expect(w.tokenRequests).toEqual([{ ref: { name: 'app', namespace: 'team' }, audiences: [POOL] }]);
  const [sts, iam] = w.calls;
  expect(sts!.method).toBe('POST');
  expect(sts!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(Object.fromEntries(new URLSearchParams(sts!.body))).toEqual({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    audience: `identitynamespace:${POOL}:https://container.googleapis.com/v1/projects/p/locations/europe-west1/clusters/prod`,
    scope: 'https://www.googleapis.com/auth/cloud-platform',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token: SA_JWT,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
  });
  expect(iam!.url).toBe(
    `${IAM}/v1/projects/-/serviceAccounts/${encodeURIComponent(GSA)}:generateAccessToken`,
  );
  expect(iam!.headers.authorization).toBe('Bearer ya29.federated');
  expect(JSON.parse(iam!.body)).toEqual({
    scope: ['https://www.googleapis.com/auth/cloud-platform'],
    lifetime: '3600s',
  });
  const headers = await id.authClient.getRequestHeaders();
  expect(headers.get('authorization')).toBe('Bearer ya29.impersonated');
});

test('credentials are cached: one TokenRequest and one exchange for many calls, a refresh near expiry', async () => {
  const w = world();
  const id = (await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!;
  await Promise.all(Array.from({ length: 50 }, () => id.ensure()));
  await id.authClient.getAccessToken();
  expect(w.tokenRequests).toHaveLength(1);
  expect(w.calls.filter((c) => c.url.startsWith(STS))).toHaveLength(1);
  // A second client of the same store and generation shares the entry.
  const again = (await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!;
  await again.ensure();
  expect(w.tokenRequests).toHaveLength(1);
  w.clock.advance(56 * 60_000);
  await id.ensure();
  expect(w.tokenRequests).toHaveLength(2);
});

test('3 hours of 100 ExternalSecrets refreshing every 30 s: 4 TokenRequests, 4 exchanges, 4 impersonations', async () => {
  const w = world();
  const id = (await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!;
  for (let t = 0; t < 3 * 60 * 2; t++) {
    await Promise.all(Array.from({ length: 100 }, () => id.ensure()));
    w.clock.advance(30_000);
  }
  expect(w.tokenRequests).toHaveLength(4);
  expect(w.calls.filter((c) => c.url.startsWith(STS))).toHaveLength(4);
  expect(w.calls.filter((c) => c.url.startsWith(IAM))).toHaveLength(4);
});

test('clusterProjectID names the pool; audiences replace it; clusterName/location are discovered when unset', async () => {
  const w = world({ md: { 'cluster-name': 'disc', 'cluster-location': 'us-central1' } });
  const id = (await gcpStoreIdentity(
    wiSpec({
      clusterProjectID: 'host',
      clusterLocation: undefined,
      clusterName: undefined,
      serviceAccountRef: { name: 'app', audiences: ['a1', 'a2'] },
    }),
    w.ctx,
    w.deps,
  ))!;
  await id.ensure();
  expect(w.tokenRequests[0]!.audiences).toEqual(['a1', 'a2']);
  const sts = w.calls.find((c) => c.url.startsWith(STS))!;
  expect(new URLSearchParams(sts.body).get('audience')).toBe(
    'identitynamespace:host.svc.id.goog:https://container.googleapis.com/v1/projects/host/locations/us-central1/clusters/disc',
  );
  expect(w.calls.find((c) => c.url.includes('cluster-name'))!.headers['metadata-flavor']).toBe('Google');
});

test('no iam.gke.io/gcp-service-account annotation: the federated token itself, and the identity says so', async () => {
  const w = world({ annotations: {} });
  const id = (await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!;
  expect((await id.ensure()).token).toBe('ya29.federated');
  expect(w.calls.some((c) => c.url.startsWith(IAM))).toBe(false);
  expect(id.identity).toContain(MEMBER);
  expect(id.identity).toContain('has no iam.gke.io/gcp-service-account annotation');
});

test('STS refuses a token of the wrong audience: set clusterProjectID (or audiences)', async () => {
  const w = world({
    sts: {
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: `The audience in ID Token [x] does not match; token ${SA_JWT}`,
      },
    },
  });
  const id = (await gcpStoreIdentity(
    wiSpec({ serviceAccountRef: { name: 'app', audiences: ['x'] } }),
    w.ctx,
    w.deps,
  ))!;
  const err = await failure(id.ensure());
  expect(err).toBeInstanceOf(AuthError);
  expect(err.message).toContain(
    `the token's audience x is not the workload identity pool ${POOL}: set clusterProjectID (or audiences)`,
  );
  expect(err.message).toContain('[token]');
});

test('STS does not know the pool / provider (the "identitybindingtoken 404" case): check the cluster coordinates', async () => {
  const w = world({
    sts: { status: 404, body: { error: { code: 404, status: 'NOT_FOUND', message: 'not found' } } },
  });
  const err = await failure((await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!.ensure());
  expect(err.message).toMatch(
    /set clusterProjectID to the project that hosts the GKE cluster, check clusterLocation and clusterName/,
  );
  expect(err.message).toContain('identitybindingtoken');
});

test('IAM denies getAccessToken: grant roles/iam.workloadIdentityUser on the GSA to the member', async () => {
  const w = world({
    iam: {
      status: 403,
      body: {
        error: {
          code: 403,
          status: 'PERMISSION_DENIED',
          message: "Permission 'iam.serviceAccounts.getAccessToken' denied",
        },
      },
    },
  });
  const err = await failure((await gcpStoreIdentity(wiSpec(), w.ctx, w.deps))!.ensure());
  expect(err.message).toContain(`grant roles/iam.workloadIdentityUser on ${GSA} to ${MEMBER}`);
  expect(err.message).toContain('PERMISSION_DENIED');
});

test('apiserver refusals name the ServiceAccount or the RBAC rule', async () => {
  const w = world();
  const missing: ProviderContext = {
    ...w.ctx,
    readServiceAccount: () => Promise.reject(Object.assign(new Error('not found'), { code: 404 })),
  };
  expect((await failure(gcpStoreIdentity(wiSpec(), missing, w.deps))).message).toBe(
    "ServiceAccount team/app not found: create it, or fix the store's serviceAccountRef",
  );
  const w2 = world(); // (a fresh cache: the failed read above is remembered for 10 s)
  const noRbac: ProviderContext = {
    ...w2.ctx,
    requestServiceAccountToken: () => Promise.reject(Object.assign(new Error('forbidden'), { code: 403 })),
  };
  const err = await failure((await gcpStoreIdentity(wiSpec(), noRbac, w2.deps))!.ensure());
  expect(err.message).toContain('lacks create on serviceaccounts/token (deploy/rbac.yaml)');
});

test('spec problems are InvalidProviderConfig with the field to set', async () => {
  const w = world();
  await expect(gcpStoreIdentity(wiSpec({}, { projectID: undefined }), w.ctx, w.deps)).rejects.toThrow(
    /needs the cluster's project: set gcpsm.auth.workloadIdentity.clusterProjectID/,
  );
  await expect(gcpStoreIdentity({ auth: { workloadIdentity: {} } }, w.ctx, w.deps)).rejects.toThrow(
    'gcpsm.auth.workloadIdentity.serviceAccountRef is required',
  );
  await expect(gcpStoreIdentity({ auth: { workloadIdentityFederation: {} } }, w.ctx, w.deps)).rejects.toThrow(
    /workloadIdentityFederation is not supported/,
  );
  // (Another metadata host: discovered attributes are remembered per host.)
  const elsewhere = { ...w.deps, env: { ...env, GCE_METADATA_HOST: 'md-none.test' } };
  const undiscoverable = (await gcpStoreIdentity(wiSpec({ clusterName: undefined }), w.ctx, elsewhere))!;
  const err = await failure(undiscoverable.ensure());
  expect(err.reason).toBe('InvalidProviderConfig');
  expect(err.message).toMatch(/clusterName is not set and the metadata server does not know it/);
  expect(await gcpStoreIdentity({ projectID: 'p' }, w.ctx, w.deps)).toBeUndefined();
  expect(await gcpStoreIdentity({ projectID: 'p', auth: {} }, w.ctx, w.deps)).toBeUndefined();
});

test('the provider client is guarded: an identity failure surfaces as itself, not as the SDK wraps it', async () => {
  const w = world();
  let created = 0;
  const inner: SecretsClient = {
    getSecret: () => Promise.reject(new Error('wrapped by the SDK')),
    findSecrets: () => Promise.reject(new Error('wrapped by the SDK')),
    close: async () => undefined,
  };
  const down = { ...env, SECRETSYNC_GCP_STS_ENDPOINT: 'http://127.0.0.1:1' };
  const c = await withGcpIdentity(wiSpec(), w.ctx, { env: down }, async (_s, o) => {
    created++;
    expect(o?.authClient).toBeDefined();
    expect(o?.identity).toBe(`serviceAccount:${GSA}`);
    return inner;
  });
  expect(created).toBe(1);
  // withGcpIdentity uses the shared cache and the real fetch; nothing listens at this STS endpoint,
  // which is reported as unavailable (retryable) with the endpoint named.
  const err = await failure(c.getSecret({ key: 'k' }));
  expect(err.reason).toBe('ProviderUnavailable');
  expect(err.message).toContain('cannot reach Google STS at http://127.0.0.1:1');
});

test('the guarded client keeps every method the provider client has (tagged reads included)', async () => {
  const w = world();
  const reached: string[] = [];
  const inner: SecretsClient = {
    getSecret: async () => new Uint8Array([1]),
    findSecrets: async () => new Map(),
    getSecretWithTag: async () => (
      reached.push('getSecretWithTag'),
      { value: new Uint8Array([1]), tag: '3' }
    ),
    currentVersion: async () => (reached.push('currentVersion'), '3'),
    close: async () => void reached.push('close'),
  };
  const down = { ...env, SECRETSYNC_GCP_STS_ENDPOINT: 'http://127.0.0.1:1' };
  const c = await withGcpIdentity(wiSpec(), w.ctx, { env: down }, async () => inner);
  expect(Object.keys(c).sort()).toEqual(Object.keys(inner).sort());
  // The identity is asked first (and is down here), so the tagged read fails as the identity does.
  const err = await failure(c.getSecretWithTag!({ key: 'k' }));
  expect(err.message).toContain('cannot reach Google STS at http://127.0.0.1:1');
  await c.close();
  expect(reached).toEqual(['close']);
});

describe('service-account key files (auth.secretRef)', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = (o: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(o));
  const good = {
    type: 'service_account',
    client_email: 'k@p.iam.gserviceaccount.com',
    private_key: pem,
    private_key_id: 'abc',
    project_id: 'p',
  };
  const where = 'key "sa.json" of Secret team/gsm-key';

  test('a valid key parses; the store identity is its account', async () => {
    expect(parseServiceAccountKey(key(good), where)).toMatchObject({
      client_email: good.client_email,
      project_id: 'p',
    });
    const w = world();
    const ctx: ProviderContext = { ...w.ctx, readSecretKey: async () => key(good) };
    const id = await gcpStoreIdentity(
      {
        projectID: 'p',
        auth: { secretRef: { secretAccessKeySecretRef: { name: 'gsm-key', key: 'sa.json' } } },
      },
      ctx,
      w.deps,
    );
    expect(id?.identity).toBe('serviceAccount:k@p.iam.gserviceaccount.com');
  });

  test.each([
    [
      'not JSON',
      new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIIB'),
      /is not JSON: it must hold a Google service-account key file/,
    ],
    ['not an object', key(['x'] as never), /must hold a JSON object/],
    [
      'another credential type',
      key({ ...good, type: 'external_account' }),
      /credentials of type "external_account", not a service-account key/,
    ],
    ['no private_key', key({ ...good, private_key: undefined }), /has no private_key/],
    [
      'a broken PEM',
      key({
        ...good,
        private_key: '-----BEGIN PRIVATE KEY-----\nAAAASECRETBYTES\n-----END PRIVATE KEY-----\n',
      }),
      /private_key of k@p.iam.gserviceaccount.com is not a PEM private key/,
    ],
  ])('%s is refused clearly, without quoting the file', (_what, bytes, message) => {
    let err: unknown;
    try {
      parseServiceAccountKey(bytes, where);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(where);
    expect((err as Error).message).not.toMatch(/SECRETBYTES|MIIB/);
  });

  test('a SecretStore key in another namespace breaks the namespace rule', async () => {
    const w = world();
    await expect(
      gcpStoreIdentity(
        {
          projectID: 'p',
          auth: { secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'k', namespace: 'other' } } },
        },
        w.ctx,
        w.deps,
      ),
    ).rejects.toThrow(/may only use ServiceAccounts and Secrets in its own namespace "team"/);
  });
});
