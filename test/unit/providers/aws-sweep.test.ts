// AwsClient.sweepVersions against a fake Secrets Manager behind the narrow SmApi: one paged
// ListSecrets yields every secret's SecretVersionsToStages, and tagOf must answer exactly what
// currentVersion (DescribeSecret) answers for the same state — for names, the store prefix, full
// ARNs, stages and uuid/ selectors — or undefined where the listing cannot say (not listed, partial
// ARN, scheduled for deletion, stage or VersionId not listed). A refused listing rejects with the
// typed error. The same behaviour against moto: test/integration/providers/aws-sweep.test.ts.
import type {
  BatchGetSecretValueRequest,
  DescribeSecretRequest,
  ListSecretsRequest,
  ListSecretsResponse,
  SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { AwsClient, type AwsClientDeps, type SmApi } from '../../../src/providers/aws/client';
import { AuthError, ThrottledError, UnavailableError } from '../../../src/providers/core/errors';
import type { RemoteKey, SecretsClient, VersionSweep } from '../../../src/providers/core/types';

const region = 'eu-west-1';
const account = '123456789012';

interface FakeSecret {
  name: string;
  arn: string;
  /** VersionId → stages. */
  versions: Record<string, string[]>;
  deleted?: Date;
}

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

const arnOf = (name: string, r = region) =>
  `arn:aws:secretsmanager:${r}:${account}:secret:${name}-${Buffer.from(name).toString('hex').slice(0, 6)}`;

/** A Secrets Manager store with AWS's semantics for DescribeSecret and ListSecrets; records calls. */
class FakeSm implements SmApi {
  readonly secrets = new Map<string, FakeSecret>();
  readonly lists: ListSecretsRequest[] = [];
  readonly describes: string[] = [];
  /** Fails ListSecrets with this error. */
  listError?: Error;
  /** Rewrites a page before it is returned (to model AWS quirks). */
  pageHook?: (page: ListSecretsResponse, req: ListSecretsRequest) => ListSecretsResponse;
  private seq = 0;

  add(name: string, stages: string[] = ['AWSCURRENT']): string {
    const id = this.versionId();
    this.secrets.set(name, { name, arn: arnOf(name), versions: { [id]: stages } });
    return id;
  }

  /** PutSecretValue: the new version takes AWSCURRENT, the old current becomes AWSPREVIOUS. */
  put(name: string, stages: string[] = ['AWSCURRENT']): string {
    const s = this.secrets.get(name)!;
    const id = this.versionId();
    if (stages.includes('AWSCURRENT')) {
      for (const st of Object.values(s.versions)) {
        const i = st.indexOf('AWSPREVIOUS');
        if (i >= 0) st.splice(i, 1);
      }
      for (const st of Object.values(s.versions)) {
        const i = st.indexOf('AWSCURRENT');
        if (i >= 0) st.splice(i, 1, 'AWSPREVIOUS');
      }
    }
    for (const st of Object.values(s.versions)) {
      for (const label of stages) if (st.includes(label)) st.splice(st.indexOf(label), 1);
    }
    s.versions[id] = [...stages];
    for (const [v, st] of Object.entries(s.versions)) if (st.length === 0) delete s.versions[v];
    return id;
  }

  private versionId(): string {
    return `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
  }

  private resolve(id: string): FakeSecret | undefined {
    if (id.startsWith('arn:')) {
      // AWS also accepts a partial ARN (without the random suffix).
      return [...this.secrets.values()].find((s) => s.arn === id || s.arn.slice(0, -7) === id);
    }
    return this.secrets.get(id);
  }

  async describeSecret({ SecretId }: DescribeSecretRequest) {
    this.describes.push(SecretId!);
    const s = this.resolve(SecretId!);
    if (!s) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      Name: s.name,
      ARN: s.arn,
      VersionIdsToStages: structuredClone(s.versions),
      ...(s.deleted && { DeletedDate: s.deleted }),
    };
  }

  async listSecrets(req: ListSecretsRequest): Promise<ListSecretsResponse> {
    this.lists.push(structuredClone(req));
    if (this.listError) throw this.listError;
    const max = req.MaxResults ?? 100;
    if (max < 1 || max > 100) throw awsError('InvalidParameterException', 'MaxResults out of range');
    const name = req.Filters?.find((f) => f.Key === 'name')?.Values?.[0];
    const all = [...this.secrets.values()]
      .filter((s) => req.IncludePlannedDeletion === true || s.deleted === undefined)
      .filter((s) => name === undefined || s.name.toLowerCase().startsWith(name.toLowerCase()))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const start = Number(req.NextToken ?? '0');
    const SecretList: SecretListEntry[] = all.slice(start, start + max).map((s) => ({
      Name: s.name,
      ARN: s.arn,
      SecretVersionsToStages: structuredClone(s.versions),
      ...(s.deleted && { DeletedDate: s.deleted }),
    }));
    const page = { SecretList, ...(start + max < all.length && { NextToken: String(start + max) }) };
    return this.pageHook ? this.pageHook(page, req) : page;
  }

  async getSecretValue(): Promise<never> {
    throw new Error('unexpected GetSecretValue');
  }

  /** AWSCURRENT values for find: a fixed string per name (never a real payload). */
  async batchGetSecretValue({ SecretIdList }: BatchGetSecretValueRequest) {
    return { SecretValues: SecretIdList!.map((Name) => ({ Name, SecretString: `v-${Name}` })) };
  }

  destroy(): void {}
}

function client(sm: FakeSm, deps: Partial<AwsClientDeps> = {}): AwsClient {
  return new AwsClient(sm, { region, prefix: '', storeCredentials: false, ...deps });
}

/** What currentVersion says for a ref: its tag, or the error's class name. */
async function described(c: SecretsClient, ref: RemoteKey): Promise<string> {
  try {
    return await c.currentVersion!(ref);
  } catch (err) {
    return `error:${(err as Error).constructor.name}`;
  }
}

/** Every listed tag equals currentVersion's; returns tagOf for each ref (undefined kept). */
async function agree(c: SecretsClient, sweep: VersionSweep, refs: RemoteKey[]) {
  const out: (string | undefined)[] = [];
  for (const ref of refs) {
    const tag = sweep.tagOf(ref);
    if (tag !== undefined) expect([ref, tag]).toEqual([ref, await described(c, ref)]);
    out.push(tag);
  }
  return out;
}

test('names: the default stage, AWSCURRENT, AWSPREVIOUS and a custom stage, as DescribeSecret says', async () => {
  const sm = new FakeSm();
  const v1 = sm.add('app/db');
  const v2 = sm.put('app/db');
  const blue = sm.put('app/db', ['blue']);
  const only = sm.add('app/api');
  const c = client(sm);
  const sweep = await c.sweepVersions();
  expect(sweep.calls).toBe(1);
  const refs: RemoteKey[] = [
    { key: 'app/db' },
    { key: 'app/db', version: '' },
    { key: 'app/db', version: 'AWSCURRENT' },
    { key: 'app/db', version: 'AWSPREVIOUS' },
    { key: 'app/db', version: 'blue' },
    { key: 'app/db', version: 'green' },
    { key: 'app/api' },
    { key: 'app/api', version: 'AWSPREVIOUS' },
    { key: 'App/db' }, // names are case-sensitive
    { key: 'app/missing' },
  ];
  expect(await agree(c, sweep, refs)).toEqual([
    v2,
    v2,
    v2,
    v1,
    blue,
    undefined,
    only,
    undefined,
    undefined,
    undefined,
  ]);
  // Where the listing cannot say, currentVersion reports precisely.
  expect(await described(c, { key: 'app/db', version: 'green' })).toBe('error:NoSecretError');
  expect(await described(c, { key: 'app/missing' })).toBe('error:NoSecretError');
  expect(sm.lists).toEqual([{ MaxResults: 100 }]);
});

test('uuid/<VersionId>: its own tag when the listing shows the version, else undefined', async () => {
  const sm = new FakeSm();
  const v1 = sm.add('db');
  const v2 = sm.put('db');
  const v3 = sm.put('db'); // v1 loses its last stage: no longer listed
  const c = client(sm);
  const sweep = await c.sweepVersions();
  expect(
    await agree(c, sweep, [
      { key: 'db', version: `uuid/${v2}` },
      { key: 'db', version: `uuid/${v3}` },
      { key: 'db', version: `uuid/${v1}` },
      { key: 'db', version: 'uuid/' },
      { key: 'nope', version: `uuid/${v3}` },
    ]),
  ).toEqual([v2, v3, undefined, undefined, undefined]);
});

test('ARNs: a full ARN is looked up as written (no prefix); a partial or foreign ARN is not listed', async () => {
  const sm = new FakeSm();
  sm.add('team/db');
  const other = sm.add('other/x');
  const arn = sm.secrets.get('team/db')!.arn;
  const otherArn = sm.secrets.get('other/x')!.arn;
  const plain = client(sm);
  const prefixed = client(sm, { prefix: 'team/' });
  const [s1, s2] = [await plain.sweepVersions(), await prefixed.sweepVersions()];
  const refs: RemoteKey[] = [
    { key: arn },
    { key: arn, version: 'AWSPREVIOUS' },
    { key: arn.slice(0, -7) }, // partial ARN: DescribeSecret resolves it, the listing cannot
    { key: arnOf('team/db', 'us-east-1') },
    { key: otherArn },
    { key: 'db' },
  ];
  const current = await described(plain, { key: arn });
  expect(await agree(plain, s1, refs)).toEqual([current, undefined, undefined, undefined, other, undefined]);
  // With the prefix the listing is narrowed to it: an ARN outside it is not listed (asked per key).
  expect(await agree(prefixed, s2, refs)).toEqual([
    current,
    undefined,
    undefined,
    undefined,
    undefined,
    current,
  ]);
  expect(await described(prefixed, { key: otherArn })).toBe(other);
});

test('the store prefix applies to names and narrows the listing with a name filter', async () => {
  const sm = new FakeSm();
  const a = sm.add('team/a');
  sm.add('TEAM/b'); // AWS's name filter is case-insensitive: listed, but not what team/b names
  sm.add('teamx/a');
  const c = client(sm, { prefix: 'team/' });
  const sweep = await c.sweepVersions();
  expect(sm.lists).toEqual([{ MaxResults: 100, Filters: [{ Key: 'name', Values: ['team/'] }] }]);
  expect(await agree(c, sweep, [{ key: 'a' }, { key: 'b' }, { key: 'team/a' }, { key: '' }])).toEqual([
    a,
    undefined,
    undefined,
    undefined,
  ]);
  // A prefix AWS would reject as a filter value (or read as a negation) lists everything instead.
  const odd = client(sm, { prefix: '!team/' });
  sm.add('!team/z');
  const z = sm.secrets.get('!team/z')!;
  const s2 = await odd.sweepVersions();
  expect(sm.lists[1]).toEqual({ MaxResults: 100 });
  expect(s2.tagOf({ key: 'z' })).toBe(Object.keys(z.versions)[0]);
});

test('a secret scheduled for deletion is no tag: currentVersion reports it', async () => {
  const sm = new FakeSm();
  sm.add('gone');
  sm.secrets.get('gone')!.deleted = new Date();
  const c = client(sm);
  const sweep = await c.sweepVersions();
  expect(sweep.tagOf({ key: 'gone' })).toBeUndefined();
  expect(await described(c, { key: 'gone' })).toBe('error:NoSecretError');
  // Even if a listing showed it (IncludePlannedDeletion is never asked for, but whatever comes).
  sm.pageHook = (page) => ({
    ...page,
    SecretList: withDeleted(sm),
  });
  const listed = await c.sweepVersions();
  expect(sm.lists.every((r) => r.IncludePlannedDeletion === undefined)).toBe(true);
  expect(listed.tagOf({ key: 'gone' })).toBeUndefined();
  expect(listed.tagOf({ key: sm.secrets.get('gone')!.arn })).toBeUndefined();
});

/** Every secret as ListSecrets with IncludePlannedDeletion would show it. */
function withDeleted(sm: FakeSm): SecretListEntry[] {
  return [...sm.secrets.values()].map((s) => ({
    Name: s.name,
    ARN: s.arn,
    SecretVersionsToStages: s.versions,
    ...(s.deleted && { DeletedDate: s.deleted }),
  }));
}

test('paging: 250 secrets in 3 calls of 100, tokens chained; page size and an empty store', async () => {
  const sm = new FakeSm();
  const ids = new Map<string, string>();
  for (let i = 0; i < 250; i++)
    ids.set(`s${String(i).padStart(3, '0')}`, sm.add(`s${String(i).padStart(3, '0')}`));
  const c = client(sm);
  const sweep = await c.sweepVersions();
  expect(sweep.calls).toBe(3);
  expect(sm.lists).toEqual([
    { MaxResults: 100 },
    { MaxResults: 100, NextToken: '100' },
    { MaxResults: 100, NextToken: '200' },
  ]);
  for (const [name, id] of ids) expect(sweep.tagOf({ key: name })).toBe(id);
  expect(sm.describes).toEqual([]);
  expect((await client(sm, { listPageSize: 25 }).sweepVersions()).calls).toBe(10);
  const empty = await client(new FakeSm()).sweepVersions();
  expect(empty.calls).toBe(1);
  expect(empty.tagOf({ key: 's000' })).toBeUndefined();
});

test('paging under concurrent changes: a secret listed twice differently is no tag; a looping token fails', async () => {
  const sm = new FakeSm();
  sm.add('a');
  sm.add('b');
  const c = client(sm, { listPageSize: 1 });
  let n = 0;
  sm.pageHook = (page) => {
    // The second page shows "a" again, rotated meanwhile (AWS's listing is not a snapshot).
    if (n++ === 1) {
      return { ...page, SecretList: [{ ...page.SecretList![0]!, Name: 'a', ARN: sm.secrets.get('a')!.arn }] };
    }
    return page;
  };
  const sweep = await c.sweepVersions();
  const [aTag] = Object.keys(sm.secrets.get('a')!.versions);
  // Same Name and ARN, different versions → cannot say.
  expect(sweep.tagOf({ key: 'a' })).toBeUndefined();
  expect(await described(c, { key: 'a' })).toBe(aTag);
  // Listed twice the same: still a tag.
  sm.pageHook = (page) => ({ ...page, SecretList: [...page.SecretList!, ...page.SecretList!] });
  expect((await c.sweepVersions()).tagOf({ key: 'a' })).toBe(aTag);
  sm.pageHook = (page) => ({ ...page, NextToken: 'same' });
  await expect(c.sweepVersions()).rejects.toThrow(
    new UnavailableError('ListSecrets returned the same NextToken twice'),
  );
});

test('a refused listing rejects with the typed error (AuthError for AccessDenied), so the caller falls back', async () => {
  const sm = new FakeSm();
  sm.add('db');
  const c = client(sm, { identity: `arn:aws:iam::${account}:role/eso` });
  sm.listError = awsError(
    'AccessDeniedException',
    `User: arn:aws:sts::${account}:assumed-role/eso/x is not authorized to perform: secretsmanager:ListSecrets ` +
      'because no identity-based policy allows the secretsmanager:ListSecrets action',
  );
  const e = await c.sweepVersions().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AuthError);
  expect((e as Error).message).toBe(
    `access denied in ${region}: grant secretsmanager:ListSecrets (resource "*", used to detect changes of ` +
      'many secrets in a few calls; without it each secret costs a DescribeSecret) to ' +
      `arn:aws:sts::${account}:assumed-role/eso/x (AWS says: no identity-based policy allows the ` +
      'secretsmanager:ListSecrets action)',
  );
  // moto's IAM denial: an XML 403 the SDK cannot parse.
  sm.listError = Object.assign(new Error('Unexpected token <'), {
    name: 'SyntaxError',
    $metadata: { httpStatusCode: 403 },
  });
  await expect(c.sweepVersions()).rejects.toBeInstanceOf(AuthError);
  sm.listError = awsError('ThrottlingException', 'Rate exceeded');
  await expect(c.sweepVersions()).rejects.toBeInstanceOf(ThrottledError);
  // currentVersion still works per key.
  expect(await described(c, { key: 'db' })).toMatch(/^00000000-/);
  // find keeps its own advice.
  sm.listError = awsError('AccessDeniedException', 'denied');
  await expect(c.findSecrets({ path: 'x' })).rejects.toThrow(/needed by dataFrom\.find/);
});

test('findSecrets still pages through the shared ListSecrets helper', async () => {
  const sm = new FakeSm();
  for (let i = 0; i < 5; i++) sm.add(`f/${i}`);
  const c = client(sm, { listPageSize: 2 });
  const out = await c.findSecrets({ path: 'f/' });
  expect([...out.keys()]).toEqual(['f/0', 'f/1', 'f/2', 'f/3', 'f/4']);
  expect(sm.lists.map((r) => r.NextToken)).toEqual([undefined, '2', '4']);
});

test('validate: a denied ListSecrets is a note (aws-permissions.test.ts); other refusals reject typed', async () => {
  const sm = new FakeSm();
  const c = client(sm);
  await expect(c.validate()).resolves.toEqual([]);
  sm.listError = awsError('AccessDeniedException', 'denied');
  await expect(c.validate()).resolves.toEqual([expect.stringMatching(/ListSecrets is not granted/)]);
  sm.listError = awsError(
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
  );
  await expect(c.validate()).rejects.toBeInstanceOf(AuthError);
});
