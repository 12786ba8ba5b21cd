// planWrite / planRemoveMergedKeys: whether and how the target Secret is written under each
// creationPolicy. Content (data, type, our labels and annotations) decides, never the data-hash
// annotation, so Secrets that ESO wrote are adopted without a rewrite; a Secret we do not own is
// never overwritten.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { ANNOTATION, LABEL } from '../../../src/api/constants';
import { buildDesired, type DesiredSecret } from '../../../src/controllers/externalsecret/desired';
import type { CreationPolicy } from '../../../src/controllers/externalsecret/spec';
import {
  planRemoveMergedKeys,
  planWrite,
  withWriteLabels,
  type Owner,
  type WritePlan,
} from '../../../src/controllers/externalsecret/write-plan';
import type { ExternalSecretTemplate } from '../../../src/api/generated';
import { asLive, b64, ES_NAME, ES_UID, externalSecret, NS, values } from './helpers';

const OWNER: Owner = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  name: ES_NAME,
  uid: ES_UID,
};
const OUR_REF: V1OwnerReference = { ...OWNER, controller: true, blockOwnerDeletion: true };
const TARGET = 'db-secret';

function desired(
  data: Record<string, string> = { username: 'alice', password: 's3cret' },
  opts: { template?: ExternalSecretTemplate; immutable?: boolean } = {},
): DesiredSecret {
  const es = externalSecret({ target: { template: opts.template, immutable: opts.immutable } });
  return buildDesired(es, TARGET, values(data));
}

function plan(policy: CreationPolicy, d: DesiredSecret, live: V1Secret | undefined): WritePlan {
  return planWrite({ policy, desired: d, live, namespace: NS, owner: OWNER });
}

/** What an Owner create writes, as the apiserver returns it afterwards. */
function ownedLive(d: DesiredSecret = desired()): V1Secret {
  const p = plan('Owner', d, undefined);
  if (p.kind !== 'create') throw new Error(`expected create, got ${p.kind}`);
  return asLive(p.secret);
}

/** A Secret nobody manages, e.g. created by hand or by Helm. */
function foreignLive(data: Record<string, string>, extra: Partial<V1Secret['metadata']> = {}): V1Secret {
  return asLive({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: TARGET,
      namespace: NS,
      labels: { app: 'web' },
      annotations: { note: 'by hand' },
      ...extra,
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  });
}

function decoded(s: V1Secret): Record<string, string> {
  return Object.fromEntries(
    Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

function expectUpdate(p: WritePlan): Extract<WritePlan, { kind: 'update' }> {
  expect(p.kind).toBe('update');
  return p as Extract<WritePlan, { kind: 'update' }>;
}

function expectBlocked(p: WritePlan): Extract<WritePlan, { kind: 'blocked' }> {
  expect(p.kind).toBe('blocked');
  return p as Extract<WritePlan, { kind: 'blocked' }>;
}

describe('creationPolicy Owner', () => {
  test('creates the Secret with a controller ownerReference, managed label, data-hash and base64 data', () => {
    const d = desired();
    const p = plan('Owner', d, undefined);
    expect(p.kind).toBe('create');
    const s = (p as Extract<WritePlan, { kind: 'create' }>).secret;
    expect(s.apiVersion).toBe('v1');
    expect(s.kind).toBe('Secret');
    expect(s.metadata?.name).toBe(TARGET);
    expect(s.metadata?.namespace).toBe(NS);
    expect(s.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: ES_NAME,
        uid: ES_UID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(s.metadata?.labels?.[LABEL.managed]).toBe('true');
    expect(s.metadata?.annotations?.[ANNOTATION.dataHash]).toBe(d.annotations[ANNOTATION.dataHash]);
    expect(s.type).toBe('Opaque');
    expect(s.immutable).toBeFalsy();
    expect(s.data).toEqual({ username: b64('alice'), password: b64('s3cret') });
  });

  test('an immutable target is created immutable', () => {
    const p = plan('Owner', desired(undefined, { immutable: true }), undefined);
    expect(p.kind === 'create' && p.secret.immutable).toBe(true);
  });

  test('the Secret it created, unchanged → none', () => {
    expect(plan('Owner', desired(), ownedLive())).toEqual({ kind: 'none' });
  });

  test('adopts the Secret ESO wrote for the same ExternalSecret: only the hash annotation differs → none', () => {
    // ESO's Secret: same owner UID, same data and type, ESO's own hash value and created-by label,
    // plus what other tools added.
    const live = ownedLive();
    live.metadata!.annotations = {
      [ANNOTATION.dataHash]: '8a1f6c2e5d8b0c7f2f3d0e91c4e2b3a1',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    };
    live.metadata!.labels = { ...live.metadata!.labels, [LABEL.createdBy]: 'f00d', team: 'payments' };
    expect(plan('Owner', desired(), live)).toEqual({ kind: 'none' });
  });

  test('the hash annotation alone never causes a write, even if it is missing', () => {
    const live = ownedLive();
    delete live.metadata!.annotations![ANNOTATION.dataHash];
    expect(plan('Owner', desired(), live)).toEqual({ kind: 'none' });
  });

  test('extra labels and annotations on the live Secret are tolerated (none) and kept on update', () => {
    const live = ownedLive();
    live.metadata!.labels = { ...live.metadata!.labels, 'app.kubernetes.io/part-of': 'shop' };
    live.metadata!.annotations = { ...live.metadata!.annotations, 'argocd.argoproj.io/tracking-id': 'x' };
    expect(plan('Owner', desired(), live)).toEqual({ kind: 'none' });

    const u = expectUpdate(plan('Owner', desired({ username: 'alice', password: 'rotated' }), live));
    expect(u.recreate).toBe(false);
    expect(u.secret.metadata?.labels?.['app.kubernetes.io/part-of']).toBe('shop');
    expect(u.secret.metadata?.annotations?.['argocd.argoproj.io/tracking-id']).toBe('x');
  });

  test('changed data → in-place update with the new data and hash, keeping resourceVersion', () => {
    const live = ownedLive();
    const next = desired({ username: 'alice', password: 'rotated' });
    const u = expectUpdate(plan('Owner', next, live));
    expect(u.recreate).toBe(false);
    expect(decoded(u.secret)).toEqual({ username: 'alice', password: 'rotated' });
    expect(u.secret.metadata?.annotations?.[ANNOTATION.dataHash]).toBe(next.annotations[ANNOTATION.dataHash]);
    expect(u.secret.metadata?.annotations?.[ANNOTATION.dataHash]).not.toBe(
      live.metadata?.annotations?.[ANNOTATION.dataHash],
    );
    expect(u.secret.metadata?.resourceVersion).toBe('4711');
    expect(u.secret.metadata?.uid).toBe('secret-uid-1');
    expect(u.secret.metadata?.ownerReferences).toEqual([OUR_REF]);
  });

  test('a key added by someone else on our Secret is removed by an update', () => {
    const live = ownedLive();
    live.data = { ...live.data, extra: b64('x') };
    const u = expectUpdate(plan('Owner', desired(), live));
    expect(Object.keys(u.secret.data ?? {}).sort()).toEqual(['password', 'username']);
  });

  test('a removed key is dropped by an update', () => {
    const u = expectUpdate(plan('Owner', desired({ username: 'alice' }), ownedLive()));
    expect(decoded(u.secret)).toEqual({ username: 'alice' });
  });

  test('one of our labels or annotations changed or missing → update restores it', () => {
    const template: ExternalSecretTemplate = {
      metadata: { labels: { tier: 'db' }, annotations: { owner: 'team-a' } },
    };
    const d = desired(undefined, { template });
    const changedLabel = ownedLive(d);
    changedLabel.metadata!.labels!.tier = 'cache';
    expect(expectUpdate(plan('Owner', d, changedLabel)).secret.metadata?.labels?.tier).toBe('db');

    const missingAnnotation = ownedLive(d);
    delete missingAnnotation.metadata!.annotations!.owner;
    expect(expectUpdate(plan('Owner', d, missingAnnotation)).secret.metadata?.annotations?.owner).toBe(
      'team-a',
    );

    const missingManaged = ownedLive(d);
    delete missingManaged.metadata!.labels![LABEL.managed];
    expect(expectUpdate(plan('Owner', d, missingManaged)).secret.metadata?.labels?.[LABEL.managed]).toBe(
      'true',
    );
  });

  test('non-controller ownerReferences on the live Secret are kept on update', () => {
    const live = ownedLive();
    const other: V1OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'anchor', uid: 'cm-uid' };
    live.metadata!.ownerReferences = [other, OUR_REF];
    const u = expectUpdate(plan('Owner', desired({ username: 'bob', password: 'x' }), live));
    expect(u.secret.metadata?.ownerReferences).toEqual([other, OUR_REF]);
  });

  test('a Secret controlled by another object → blocked SecretNotOwned naming the controller', () => {
    const live = ownedLive();
    live.metadata!.ownerReferences = [
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: 'other-es',
        uid: 'other-uid',
        controller: true,
      },
    ];
    const b = expectBlocked(plan('Owner', desired(), live));
    expect(b.reason).toBe('SecretNotOwned');
    expect(b.message).toContain(`Secret ${NS}/${TARGET}`);
    expect(b.message).toContain('ExternalSecret other-es');
  });

  test('a pre-existing unowned Secret is never overwritten (blocked), even with the same name and data', () => {
    const b = expectBlocked(plan('Owner', desired(), foreignLive({ username: 'alice', password: 's3cret' })));
    expect(b.reason).toBe('SecretNotOwned');
    expect(b.message).toContain(`Secret ${NS}/${TARGET}`);
    expect(b.message).toMatch(/not managed by this ExternalSecret/);
  });

  test('under Owner, the managed label without our ownerReference is not ownership', () => {
    const live = foreignLive({ username: 'alice' }, { labels: { [LABEL.managed]: 'true' } });
    expect(expectBlocked(plan('Owner', desired(), live)).reason).toBe('SecretNotOwned');
  });

  test('a type change replaces the Secret (recreate) with the new type', () => {
    const live = ownedLive();
    const d = desired(
      { username: 'alice', password: 's3cret' },
      { template: { type: 'kubernetes.io/basic-auth' } },
    );
    const u = expectUpdate(plan('Owner', d, live));
    expect(u.recreate).toBe(true);
    expect(u.secret.type).toBe('kubernetes.io/basic-auth');
    expect(u.secret.metadata?.ownerReferences).toEqual([OUR_REF]);
  });

  test('a live Secret without type counts as Opaque', () => {
    const live = ownedLive();
    delete live.type;
    expect(plan('Owner', desired(), live)).toEqual({ kind: 'none' });
  });

  test('an immutable live Secret with new data is replaced (recreate), not patched', () => {
    const d = desired(undefined, { immutable: true });
    const live = ownedLive(d);
    expect(live.immutable).toBe(true);
    expect(plan('Owner', d, live)).toEqual({ kind: 'none' });
    const u = expectUpdate(
      plan('Owner', desired({ username: 'alice', password: 'new' }, { immutable: true }), live),
    );
    expect(u.recreate).toBe(true);
    expect(u.secret.immutable).toBe(true);
    expect(decoded(u.secret)).toEqual({ username: 'alice', password: 'new' });
  });

  test('immutable live Secret when the spec no longer asks for immutable → recreate', () => {
    const live = ownedLive(desired(undefined, { immutable: true }));
    const u = expectUpdate(plan('Owner', desired(), live));
    expect(u.recreate).toBe(true);
    expect(u.secret.immutable).toBeFalsy();
  });

  test('does not mutate the live object it is given', () => {
    const live = ownedLive();
    const before = structuredClone(live);
    plan('Owner', desired({ a: '1' }), live);
    expect(live).toEqual(before);
  });
});

describe('creationPolicy Orphan', () => {
  test('creates without an ownerReference, with the managed label', () => {
    const p = plan('Orphan', desired(), undefined);
    expect(p.kind).toBe('create');
    const s = (p as Extract<WritePlan, { kind: 'create' }>).secret;
    expect(s.metadata?.ownerReferences).toBeUndefined();
    expect(s.metadata?.labels?.[LABEL.managed]).toBe('true');
  });

  test('the managed label decides ownership: labelled → updated, unlabelled → blocked', () => {
    const labelled = foreignLive({ username: 'old' }, { labels: { [LABEL.managed]: 'true' } });
    const u = expectUpdate(plan('Orphan', desired(), labelled));
    expect(decoded(u.secret)).toEqual({ username: 'alice', password: 's3cret' });
    expect(u.secret.metadata?.ownerReferences).toBeUndefined();

    expect(expectBlocked(plan('Orphan', desired(), foreignLive({ username: 'old' }))).reason).toBe(
      'SecretNotOwned',
    );
    const wrongValue = foreignLive({ username: 'old' }, { labels: { [LABEL.managed]: 'false' } });
    expect(expectBlocked(plan('Orphan', desired(), wrongValue)).reason).toBe('SecretNotOwned');
  });

  test('an orphaned Secret it wrote, unchanged → none', () => {
    const p = plan('Orphan', desired(), undefined);
    expect(p.kind).toBe('create');
    expect(plan('Orphan', desired(), asLive((p as Extract<WritePlan, { kind: 'create' }>).secret))).toEqual({
      kind: 'none',
    });
  });

  test('a labelled Secret controlled by another object is still blocked', () => {
    const live = foreignLive(
      { username: 'x' },
      {
        labels: { [LABEL.managed]: 'true' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true },
        ],
      },
    );
    const b = expectBlocked(plan('Orphan', desired(), live));
    expect(b.message).toContain('Deployment web');
  });
});

describe('creationPolicy Merge', () => {
  test('a missing Secret → blocked SecretMissing (Merge never creates)', () => {
    const b = expectBlocked(plan('Merge', desired(), undefined));
    expect(b.reason).toBe('SecretMissing');
    expect(b.message).toContain(`Secret ${NS}/${TARGET}`);
    expect(b.message).toMatch(/Merge/);
  });

  test("sets only our keys, keeps everyone else's keys, labels and annotations, records the merged keys", () => {
    const live = foreignLive({ 'tls.crt': 'CERT', password: 'old' });
    const u = expectUpdate(plan('Merge', desired(), live));
    expect(u.recreate).toBe(false);
    expect(decoded(u.secret)).toEqual({ 'tls.crt': 'CERT', username: 'alice', password: 's3cret' });
    expect(u.secret.metadata?.annotations?.[ANNOTATION.mergedKeys]).toBe('password,username');
    expect(u.secret.metadata?.annotations?.note).toBe('by hand');
    expect(u.secret.metadata?.labels?.app).toBe('web');
    expect(u.secret.metadata?.resourceVersion).toBe('4711');
    expect(u.secret.type).toBe('Opaque');
  });

  test('merges into a Secret controlled by another object without taking it over', () => {
    const ref: V1OwnerReference = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'd',
      controller: true,
    };
    const live = foreignLive({ other: 'x' }, { ownerReferences: [ref] });
    const u = expectUpdate(plan('Merge', desired(), live));
    expect(u.secret.metadata?.ownerReferences).toEqual([ref]);
    expect(decoded(u.secret).other).toBe('x');
  });

  test('removes keys it merged earlier that are no longer desired, never keys it did not merge', () => {
    const live = foreignLive(
      { 'tls.crt': 'CERT', username: 'alice', password: 's3cret', legacy: 'old' },
      { annotations: { [ANNOTATION.mergedKeys]: 'legacy,password,username' } },
    );
    const u = expectUpdate(plan('Merge', desired({ username: 'alice', password: 's3cret' }), live));
    expect(decoded(u.secret)).toEqual({ 'tls.crt': 'CERT', username: 'alice', password: 's3cret' });
    expect(u.secret.metadata?.annotations?.[ANNOTATION.mergedKeys]).toBe('password,username');

    // 'tls.crt' is not desired but was never merged by us: it stays.
    const u2 = expectUpdate(plan('Merge', desired({ username: 'alice' }), live));
    expect(decoded(u2.secret)).toEqual({ 'tls.crt': 'CERT', username: 'alice' });
  });

  test('unchanged: our keys, merged-keys annotation and labels already in place → none', () => {
    const first = expectUpdate(plan('Merge', desired(), foreignLive({ 'tls.crt': 'CERT' })));
    const live = asLive(first.secret);
    expect(plan('Merge', desired(), live)).toEqual({ kind: 'none' });
    // Someone else's change to their own key is not ours to revert.
    live.data = { ...live.data, 'tls.crt': b64('NEW-CERT') };
    expect(plan('Merge', desired(), live)).toEqual({ kind: 'none' });
    // A change to one of our keys is.
    live.data = { ...live.data, password: b64('tampered') };
    expect(decoded(expectUpdate(plan('Merge', desired(), live)).secret).password).toBe('s3cret');
  });

  test('a different data-hash annotation alone does not make a Merge write', () => {
    const live = asLive(expectUpdate(plan('Merge', desired(), foreignLive({ 'tls.crt': 'CERT' }))).secret);
    live.metadata!.annotations![ANNOTATION.dataHash] = 'something-else';
    expect(plan('Merge', desired(), live)).toEqual({ kind: 'none' });
  });

  test('does not mutate the live object it is given', () => {
    const live = foreignLive({ a: '1' }, { annotations: { [ANNOTATION.mergedKeys]: 'a' } });
    const before = structuredClone(live);
    plan('Merge', desired(), live);
    expect(live).toEqual(before);
  });
});

describe('creationPolicy CreateOrMerge', () => {
  test('creates a missing Secret without an ownerReference', () => {
    const p = plan('CreateOrMerge', desired(), undefined);
    expect(p.kind).toBe('create');
    const s = (p as Extract<WritePlan, { kind: 'create' }>).secret;
    expect(s.metadata?.ownerReferences).toBeUndefined();
    expect(decoded(s)).toEqual({ username: 'alice', password: 's3cret' });
  });

  test('merges into an existing Secret like Merge', () => {
    const u = expectUpdate(plan('CreateOrMerge', desired(), foreignLive({ keep: 'me' })));
    expect(decoded(u.secret)).toEqual({ keep: 'me', username: 'alice', password: 's3cret' });
    expect(u.secret.metadata?.annotations?.[ANNOTATION.mergedKeys]).toBe('password,username');
  });

  // BUG (write-plan.ts, planWrite `!live` branch → fresh()): a Secret created under CreateOrMerge
  // carries no secretsync.io/merged-keys annotation, so the next reconcile with the same values is
  // an `update` (only to add the annotation) instead of `none`.
  test('a Secret it created, with the same values on the next reconcile → none', () => {
    const p = plan('CreateOrMerge', desired(), undefined);
    const live = asLive((p as Extract<WritePlan, { kind: 'create' }>).secret);
    expect(plan('CreateOrMerge', desired(), live)).toEqual({ kind: 'none' });
  });

  // Same root cause: a key that CreateOrMerge created is not recorded as merged, so when the spec
  // stops asking for it, it is never removed (Merge removes such keys).
  test('a key it created and no longer wants is removed', () => {
    const p = plan('CreateOrMerge', desired({ username: 'alice', password: 's3cret' }), undefined);
    const live = asLive((p as Extract<WritePlan, { kind: 'create' }>).secret);
    const u = expectUpdate(plan('CreateOrMerge', desired({ username: 'alice' }), live));
    expect(decoded(u.secret)).toEqual({ username: 'alice' });
  });
});

describe('creationPolicy None', () => {
  test('never writes, whether or not the Secret exists', () => {
    expect(plan('None', desired(), undefined)).toEqual({ kind: 'none' });
    expect(plan('None', desired(), foreignLive({ a: 'b' }))).toEqual({ kind: 'none' });
  });
});

describe('planRemoveMergedKeys (deletionPolicy Merge, remote secret gone)', () => {
  test("removes exactly the merged keys and our bookkeeping annotations, keeps everyone else's", () => {
    const live = foreignLive(
      { 'tls.crt': 'CERT', username: 'alice', password: 's3cret' },
      {
        annotations: {
          note: 'by hand',
          [ANNOTATION.mergedKeys]: 'password,username',
          [ANNOTATION.dataHash]: 'abc',
        },
      },
    );
    const next = planRemoveMergedKeys(live)!;
    expect(decoded(next)).toEqual({ 'tls.crt': 'CERT' });
    expect(next.metadata?.annotations).toEqual({ note: 'by hand' });
    expect(next.metadata?.labels).toEqual({ app: 'web' });
    expect(next.metadata?.resourceVersion).toBe('4711');
    // The input is not modified.
    expect(Object.keys(live.data ?? {})).toHaveLength(3);
    expect(live.metadata?.annotations?.[ANNOTATION.mergedKeys]).toBe('password,username');
  });

  test('nothing was merged → undefined (no write)', () => {
    expect(planRemoveMergedKeys(foreignLive({ a: '1' }))).toBeUndefined();
    expect(
      planRemoveMergedKeys(foreignLive({ a: '1' }, { annotations: { [ANNOTATION.mergedKeys]: '' } })),
    ).toBeUndefined();
  });
});

describe('template.metadata.finalizers (added as ESO does, never removed)', () => {
  const KEEP = 'example.com/keep';
  const withFinalizer = () => desired(undefined, { template: { metadata: { finalizers: [KEEP, KEEP] } } });

  test('a created Secret carries them, each once', () => {
    const p = plan('Owner', withFinalizer(), undefined);
    expect(p.kind === 'create' && p.secret.metadata?.finalizers).toEqual([KEEP]);
    expect(plan('Owner', desired(), undefined)).toMatchObject({
      secret: { metadata: { finalizers: undefined } },
    });
  });

  test("a live Secret without ours gets them added after everyone else's; with them → none", () => {
    const live = asLive(ownedLive(), { finalizers: ['other.io/f'] });
    const p = plan('Owner', withFinalizer(), live);
    expect(p.kind === 'update' && p.secret.metadata?.finalizers).toEqual(['other.io/f', KEEP]);
    expect(plan('Owner', withFinalizer(), asLive(live, { finalizers: ['other.io/f', KEEP] }))).toEqual({
      kind: 'none',
    });
  });

  test('one dropped from the template stays on the Secret (its owner removes it)', () => {
    expect(plan('Owner', desired(), asLive(ownedLive(), { finalizers: [KEEP] }))).toEqual({ kind: 'none' });
  });

  test('a Secret being deleted gets none added (the API refuses them)', () => {
    const live = asLive(ownedLive(), { deletionTimestamp: new Date('2026-01-02T00:00:00Z') });
    expect(plan('Owner', withFinalizer(), live)).toEqual({ kind: 'none' });
  });

  test('Merge adds them to a Secret it does not own', () => {
    const p = plan('Merge', withFinalizer(), foreignLive({ other: 'x' }));
    expect(p.kind === 'update' && p.secret.metadata?.finalizers).toEqual([KEEP]);
  });
});

describe('withWriteLabels (--sharding: the writer’s shard label)', () => {
  const SHARD = { 'shard.secretsync.io/secretsync': 'pod-a_1f2e' };

  test('a create and an update carry the label, beside the desired ones', () => {
    const created = withWriteLabels(plan('Owner', desired(), undefined), SHARD);
    expect(created.kind === 'create' && created.secret.metadata?.labels).toEqual({
      [LABEL.managed]: 'true',
      ...SHARD,
    });
    const updated = withWriteLabels(plan('Owner', desired({ username: 'bob' }), ownedLive()), SHARD);
    expect(updated.kind === 'update' && updated.secret.metadata?.labels).toEqual({
      [LABEL.managed]: 'true',
      ...SHARD,
    });
  });

  test('is never a reason to write: a Secret without it (or with another replica’s) stays as it is', () => {
    expect(withWriteLabels(plan('Owner', desired(), ownedLive()), SHARD)).toEqual({ kind: 'none' });
    const other = ownedLive();
    other.metadata!.labels = { ...other.metadata!.labels, 'shard.secretsync.io/secretsync': 'pod-b_9c8d' };
    expect(withWriteLabels(plan('Owner', desired(), other), SHARD)).toEqual({ kind: 'none' });
  });

  test('without sharding: the plan as it was', () => {
    const p = plan('Owner', desired(), undefined);
    expect(withWriteLabels(p, undefined)).toBe(p);
  });
});
