// Per-store AWS identities against an in-memory apiserver context and a recording STS: web identity
// from a ServiceAccount's role annotation, static keys from Secrets, the role chain (additionalRoles
// then role, externalID with role) — on top of the default chain when there is no auth — caching,
// and the messages STS's refusals become (SDK-shaped errors, as @aws-sdk/client-sts throws them).
import { awsStoreIdentity, withAwsIdentity } from '../../../../src/providers/aws/identity';
import type { StsApi, TemporaryCredentials } from '../../../../src/providers/aws/sts';
import { CredentialCache } from '../../../../src/providers/credentials/cache';
import {
  AuthError,
  ProviderError,
  ThrottledError,
  UnavailableError,
} from '../../../../src/providers/core/errors';
import type { ProviderContext, SecretsClient } from '../../../../src/providers/core/types';
import { ManualClock } from '../../../../src/runtime/clock';

const SA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVz';
const BASE = 'arn:aws:iam::111122223333:role/app';
const HOP = 'arn:aws:iam::111122223333:role/hop';
const FINAL = 'arn:aws:iam::444455556666:role/secrets-reader';
const SUBJECT = 'system:serviceaccount:team:app';

type StsCall = { op: string; input: Record<string, unknown>; by?: string };

function sdkError(name: string, message: string, status: number, fault = 'client') {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

function world(
  opts: {
    annotations?: Record<string, string>;
    web?: () => Error | undefined;
    assume?: () => Error | undefined;
  } = {},
) {
  const calls: StsCall[] = [];
  const tokenRequests: { ref: unknown; audiences: string[] }[] = [];
  const secrets: Record<string, string> = {
    'team/keys/id': 'AKIDSTATIC',
    'team/keys/secret': 'static-secret\n',
    'team/keys/session': 'sess',
  };
  const clock = new ManualClock(Date.now());
  let n = 0;
  const creds = (who: string): TemporaryCredentials => ({
    accessKeyId: `ASIA${who.toUpperCase().replace(/[^A-Z]/g, '')}${++n}`,
    secretAccessKey: `secret-of-${who}`,
    sessionToken: `session-of-${who}`,
    expiration: new Date(clock.now() + 3600_000),
  });
  const sts: StsApi = {
    async assumeRoleWithWebIdentity(input) {
      calls.push({ op: 'AssumeRoleWithWebIdentity', input });
      const e = opts.web?.();
      if (e) throw e;
      return creds(input.RoleArn.split('/').pop()!);
    },
    async assumeRole(input, credentials) {
      calls.push({ op: 'AssumeRole', input, by: credentials?.secretAccessKey ?? 'default-chain' });
      const e = opts.assume?.();
      if (e) throw e;
      return creds(input.RoleArn.split('/').pop()!);
    },
  };
  const ctx: ProviderContext = {
    namespace: 'team',
    store: { kind: 'SecretStore', name: 'sm', namespace: 'team', generation: 1 },
    readSecretKey: async (ref) => {
      const v = secrets[`${ref.namespace}/${ref.name}/${ref.key}`];
      if (v === undefined) throw new Error(`key ${ref.key} of Secret ${ref.namespace}/${ref.name} not found`);
      return new TextEncoder().encode(v);
    },
    requestServiceAccountToken: async (ref, audiences) => {
      tokenRequests.push({ ref, audiences });
      return { token: SA_JWT, expiresAt: clock.now() + 3600_000 };
    },
    readServiceAccount: async () => ({
      annotations: opts.annotations ?? { 'eks.amazonaws.com/role-arn': BASE },
    }),
  };
  const deps = {
    env: { AWS_REGION: 'eu-west-1' },
    sts,
    cache: new CredentialCache(clock),
    now: () => clock.now(),
  };
  return { calls, tokenRequests, ctx, deps, clock, secrets };
}

const jwtSpec = (extra: Record<string, unknown> = {}, saRef: Record<string, unknown> = { name: 'app' }) => ({
  service: 'SecretsManager',
  region: 'eu-west-1',
  auth: { jwt: { serviceAccountRef: saRef } },
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    expect(err.message).not.toContain(SA_JWT);
    return err;
  }
  throw new Error('expected a failure');
}

test('auth.jwt: TokenRequest for sts.amazonaws.com, AssumeRoleWithWebIdentity for the annotated role', async () => {
  const w = world();
  const id = (await awsStoreIdentity(jwtSpec(), w.ctx, w.deps))!;
  expect(id.identity).toBe(BASE);
  const c = await id.credentials();
  expect(c).toMatchObject({ secretAccessKey: 'secret-of-app', sessionToken: 'session-of-app' });
  expect(c.expiration).toBeInstanceOf(Date);
  expect(w.tokenRequests).toEqual([
    { ref: { name: 'app', namespace: 'team' }, audiences: ['sts.amazonaws.com'] },
  ]);
  expect(w.calls).toEqual([
    {
      op: 'AssumeRoleWithWebIdentity',
      input: { RoleArn: BASE, RoleSessionName: 'secretsync-team-app', WebIdentityToken: SA_JWT },
    },
  ]);
});

test('audiences: serviceAccountRef.audiences, else the eks.amazonaws.com/audience annotation', async () => {
  const w = world({
    annotations: { 'eks.amazonaws.com/role-arn': BASE, 'eks.amazonaws.com/audience': 'irsa.example' },
  });
  await (await awsStoreIdentity(jwtSpec(), w.ctx, w.deps))!.ensure();
  await (await awsStoreIdentity(
    jwtSpec({}, { name: 'app', audiences: ['custom'] }),
    w.ctx,
    w.deps,
  ))!.ensure();
  expect(w.tokenRequests.map((t) => t.audiences)).toEqual([['irsa.example'], ['custom']]);
});

test('role chain: additionalRoles then role, each signed by the previous credentials, externalID with role', async () => {
  const w = world();
  const id = (await awsStoreIdentity(
    jwtSpec({ additionalRoles: [HOP], role: FINAL, externalID: 'ext-7' }),
    w.ctx,
    w.deps,
  ))!;
  expect(id.identity).toBe(FINAL);
  expect((await id.credentials()).secretAccessKey).toBe('secret-of-secrets-reader');
  expect(w.calls.map((c) => [c.op, c.input.RoleArn, c.input.ExternalId, c.by])).toEqual([
    ['AssumeRoleWithWebIdentity', BASE, undefined, undefined],
    ['AssumeRole', HOP, undefined, 'secret-of-app'],
    ['AssumeRole', FINAL, 'ext-7', 'secret-of-hop'],
  ]);
});

test('no auth: the default chain as is, or the default chain assuming aws.role', async () => {
  const w = world();
  expect(
    await awsStoreIdentity({ service: 'SecretsManager', region: 'eu-west-1' }, w.ctx, w.deps),
  ).toBeUndefined();
  const id = (await awsStoreIdentity({ service: 'SecretsManager', role: FINAL }, w.ctx, w.deps))!;
  await id.ensure();
  expect(w.calls).toEqual([
    {
      op: 'AssumeRole',
      input: { RoleArn: FINAL, RoleSessionName: 'secretsync-team-sm' },
      by: 'default-chain',
    },
  ]);
  expect(w.tokenRequests).toHaveLength(0);
});

test('auth.secretRef: static keys (trimmed) from the Secrets, read again after 5 minutes', async () => {
  const w = world();
  const spec = {
    service: 'SecretsManager',
    auth: {
      secretRef: {
        accessKeyIDSecretRef: { name: 'keys', key: 'id' },
        secretAccessKeySecretRef: { name: 'keys', key: 'secret' },
        sessionTokenSecretRef: { name: 'keys', key: 'session' },
      },
    },
  };
  const id = (await awsStoreIdentity(spec, w.ctx, w.deps))!;
  expect(await id.credentials()).toMatchObject({
    accessKeyId: 'AKIDSTATIC',
    secretAccessKey: 'static-secret',
    sessionToken: 'sess',
  });
  w.secrets['team/keys/id'] = 'AKIDROTATED';
  w.clock.advance(4 * 60_000);
  expect((await id.credentials()).accessKeyId).toBe('AKIDSTATIC');
  w.clock.advance(6 * 60_000);
  expect((await id.credentials()).accessKeyId).toBe('AKIDROTATED');
  const missing = (await awsStoreIdentity(
    {
      ...spec,
      auth: { secretRef: { ...spec.auth.secretRef, accessKeyIDSecretRef: { name: 'keys', key: 'nope' } } },
    },
    w.ctx,
    w.deps,
  ))!;
  const err = await failure(missing.ensure());
  expect(err.message).toBe(
    'key "nope" of Secret team/keys not found (aws.auth.secretRef.accessKeyIDSecretRef): create the Secret with that key, or fix the reference',
  );
  await expect(
    awsStoreIdentity(
      {
        ...spec,
        auth: {
          secretRef: {
            ...spec.auth.secretRef,
            secretAccessKeySecretRef: { name: 'keys', key: 'secret', namespace: 'kube-system' },
          },
        },
      },
      w.ctx,
      w.deps,
    ),
  ).rejects.toThrow(
    /names namespace "kube-system", but SecretStore team\/sm may only use ServiceAccounts and Secrets in its own namespace/,
  );
});

test('cached until 5 minutes before expiry: one TokenRequest and one STS call for many callers', async () => {
  const w = world();
  const id = (await awsStoreIdentity(jwtSpec({ role: FINAL }), w.ctx, w.deps))!;
  await Promise.all(Array.from({ length: 100 }, () => id.credentials()));
  expect(w.tokenRequests).toHaveLength(1);
  expect(w.calls).toHaveLength(2);
  w.clock.advance(55 * 60_000);
  await id.credentials();
  expect(w.tokenRequests).toHaveLength(2);
});

test('a ServiceAccount without eks.amazonaws.com/role-arn: annotate it, or use the ambient identity', async () => {
  const w = world({ annotations: {} });
  const err = await failure(awsStoreIdentity(jwtSpec(), w.ctx, w.deps));
  expect(err).toBeInstanceOf(AuthError);
  expect(err.message).toBe(
    'ServiceAccount team/app has no eks.amazonaws.com/role-arn annotation: annotate it with the IAM role to assume ' +
      '(eks.amazonaws.com/role-arn: arn:aws:iam::<account>:role/<name>), or remove aws.auth.jwt to use the ' +
      "controller's own identity (IRSA or EKS Pod Identity through the default credential chain)",
  );
  const bad = world({ annotations: { 'eks.amazonaws.com/role-arn': 'my-role' } });
  expect((await failure(awsStoreIdentity(jwtSpec(), bad.ctx, bad.deps))).message).toMatch(
    /is not an IAM role ARN/,
  );
});

test('AccessDenied on AssumeRoleWithWebIdentity names the role, the subject and the trust policy', async () => {
  const w = world({
    web: () => sdkError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403),
  });
  const err = await failure((await awsStoreIdentity(jwtSpec(), w.ctx, w.deps))!.ensure());
  expect(err.message).toContain(`role ${BASE} refused AssumeRoleWithWebIdentity for ${SUBJECT}`);
  expect(err.message).toContain(`the role's trust policy must allow sts:AssumeRoleWithWebIdentity`);
  expect(err.message).toContain(`<issuer>:sub = ${SUBJECT}`);
});

test('InvalidIdentityToken gives the audience/issuer hint; the token is never quoted', async () => {
  const w = world({
    web: () => sdkError('InvalidIdentityTokenException', `Incorrect token audience ${SA_JWT}`, 400),
  });
  const err = await failure((await awsStoreIdentity(jwtSpec(), w.ctx, w.deps))!.ensure());
  expect(err.message).toContain('InvalidIdentityToken');
  expect(err.message).toContain('audience sts.amazonaws.com must be a client ID of the IAM OIDC provider');
  expect(err.message).toContain('[token]');
});

test('AccessDenied on the chained AssumeRole names who may not assume which role, and externalID', async () => {
  const w = world({
    assume: () =>
      sdkError('AccessDenied', 'User: arn:aws:sts::111122223333:assumed-role/app/x is not authorized', 403),
  });
  const err = await failure(
    (await awsStoreIdentity(jwtSpec({ role: FINAL, externalID: 'e' }), w.ctx, w.deps))!.ensure(),
  );
  expect(err.message).toContain(`${SUBJECT} may not assume role ${FINAL}`);
  expect(err.message).toContain('sts:ExternalId');
});

test('throttling and server faults are retryable kinds', async () => {
  const throttled = world({ web: () => sdkError('Throttling', 'Rate exceeded', 400) });
  expect(
    await failure((await awsStoreIdentity(jwtSpec(), throttled.ctx, throttled.deps))!.ensure()),
  ).toBeInstanceOf(ThrottledError);
  const down = world({ web: () => sdkError('InternalFailure', 'oops', 500, 'server') });
  expect(await failure((await awsStoreIdentity(jwtSpec(), down.ctx, down.deps))!.ensure())).toBeInstanceOf(
    UnavailableError,
  );
});

test('an unreachable STS is UnavailableError, not a refusal by the role', async () => {
  // As @aws-sdk/client-sts throws it (checked against a closed port): Node's socket error itself,
  // name "Error", with the errno code on it and the SDK's $metadata added.
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:38483'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    });
  const web = world({ web: refused });
  const webErr = await failure((await awsStoreIdentity(jwtSpec(), web.ctx, web.deps))!.ensure());
  expect(webErr).toBeInstanceOf(UnavailableError);
  expect(webErr.message).toBe(
    'cannot reach AWS STS for AssumeRoleWithWebIdentity (ECONNREFUSED); retrying with backoff',
  );
  const chained = world({ assume: refused });
  const chainedErr = await failure(
    (await awsStoreIdentity(jwtSpec({ role: FINAL }), chained.ctx, chained.deps))!.ensure(),
  );
  expect(chainedErr).toBeInstanceOf(UnavailableError);
  expect(chainedErr.message).toBe(
    'cannot reach AWS STS for AssumeRole (ECONNREFUSED); retrying with backoff',
  );
});

test('spec problems are InvalidProviderConfig', async () => {
  const w = world();
  await expect(awsStoreIdentity({ role: 'not-an-arn' }, w.ctx, w.deps)).rejects.toThrow(
    /is not an IAM role ARN/,
  );
  await expect(awsStoreIdentity({ externalID: 'x' }, w.ctx, w.deps)).rejects.toThrow(
    /aws.externalID is used with aws.role/,
  );
  await expect(awsStoreIdentity({ auth: { jwt: {} } }, w.ctx, w.deps)).rejects.toThrow(
    /aws.auth.jwt.serviceAccountRef is required/,
  );
  await expect(awsStoreIdentity({ auth: { vault: {} } }, w.ctx, w.deps)).rejects.toThrow(
    /names no usable identity/,
  );
});

test('withAwsIdentity hands the provider a credential provider and guards its calls', async () => {
  const w = world({ annotations: {} });
  const inner: SecretsClient = {
    getSecret: async () => new Uint8Array([1]),
    findSecrets: async () => new Map(),
    currentVersion: async () => 'v1',
    close: async () => undefined,
  };
  const noAnnotationYet: ProviderContext = { ...w.ctx, store: undefined };
  const c = await withAwsIdentity(
    jwtSpec(),
    noAnnotationYet,
    { env: { AWS_REGION: 'eu-west-1' } },
    async (_s, o) => {
      expect(typeof o?.credentials).toBe('function');
      return inner;
    },
  );
  expect(c.currentVersion).toBeDefined();
  expect(c.getSecrets).toBeUndefined();
  // (The shared cache and real STS client are not reached: the annotation check fails first.)
  expect((await failure(c.getSecret({ key: 'k' }))).message).toMatch(
    /has no eks.amazonaws.com\/role-arn annotation/,
  );
});

test('withAwsIdentity keeps every method of the provider client (tagged reads, the ListSecrets sweep) and reads the keys before each call', async () => {
  const w = world();
  const reached: string[] = [];
  const inner: Required<SecretsClient> = {
    getSecret: async () => (reached.push('getSecret'), new Uint8Array([1])),
    getSecrets: async () => (reached.push('getSecrets'), new Map()),
    findSecrets: async () => (reached.push('findSecrets'), new Map()),
    getSecretWithTag: async () => (
      reached.push('getSecretWithTag'),
      { value: new Uint8Array([1]), tag: 'v' }
    ),
    currentVersion: async () => (reached.push('currentVersion'), 'v'),
    sweepVersions: async () => (reached.push('sweepVersions'), { calls: 1, tagOf: () => 'v' }),
    // (Resolves to whatever validate() does; nothing looks at it here.)
    validate: async () => (reached.push('validate'), undefined as never),
    close: async () => void reached.push('close'),
  };
  const keys = (key: string) => ({
    service: 'SecretsManager',
    region: 'eu-west-1',
    auth: {
      secretRef: {
        accessKeyIDSecretRef: { name: 'keys', key },
        secretAccessKeySecretRef: { name: 'keys', key: 'secret' },
      },
    },
  });
  const build = (key: string) =>
    withAwsIdentity(keys(key), w.ctx, { env: { AWS_REGION: 'eu-west-1' } }, async () => inner);
  const c = await build('id');
  for (const op of Object.keys(inner) as (keyof SecretsClient)[])
    expect([op, typeof c[op]]).toEqual([op, 'function']);
  expect((await c.getSecretWithTag!({ key: 'k' })).tag).toBe('v');
  expect((await c.sweepVersions!()).tagOf({ key: 'k' })).toBe('v');
  expect(reached).toEqual(['getSecretWithTag', 'sweepVersions']);
  // A missing key Secret: every call but close fails with the identity's message, before the client.
  reached.length = 0;
  const broken = await build('missing');
  for (const op of ['getSecretWithTag', 'sweepVersions', 'currentVersion'] as const) {
    const err = await failure((broken[op] as (r?: unknown) => Promise<unknown>)({ key: 'k' }));
    expect(err.message).toMatch(/key "missing" of Secret team\/keys not found/);
  }
  await broken.close();
  expect(reached).toEqual(['close']);
});
