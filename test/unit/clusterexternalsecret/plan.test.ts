import { desiredExternalSecret, isOwnedBy } from '../../../src/controllers/clusterexternalsecret/desired';
import { planFanOut, type FanOutPlan } from '../../../src/controllers/clusterexternalsecret/plan';
import type { ExternalSecret } from '../../../src/api/generated';
import { ces, foreign, ownedBy } from './helpers';

function plan(c = ces(), targets: string[], existing: ExternalSecret[]): FanOutPlan {
  const byKey = new Map(existing.map((e) => [`${e.metadata?.namespace}/${e.metadata?.name}`, e]));
  return planFanOut(c, {
    targets,
    existing: (ns, name) => byKey.get(`${ns}/${name}`),
    owned: existing.filter((e) => isOwnedBy(e.metadata, c)),
  });
}

const kinds = (p: FanOutPlan) => p.actions.map((a) => `${a.kind} ${a.namespace}`);

describe('planFanOut', () => {
  it('creates the ExternalSecret where it is missing, owned by the ClusterExternalSecret', () => {
    const c = ces({ externalSecretMetadata: { labels: { app: 'x' }, annotations: { note: 'y' } } });
    const p = plan(c, ['a', 'b'], []);
    expect(kinds(p)).toEqual(['create a', 'create b']);
    expect(p.actions[0]).toMatchObject({
      object: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: {
          name: 'pull',
          namespace: 'a',
          labels: { app: 'x' },
          annotations: { note: 'y' },
          ownerReferences: [
            {
              apiVersion: 'external-secrets.io/v1',
              kind: 'ClusterExternalSecret',
              name: 'pull',
              uid: 'uid-ces',
              controller: true,
            },
          ],
        },
        spec: c.spec.externalSecretSpec,
      },
    });
  });

  it('names them externalSecretName when set', () => {
    const p = plan(ces({ externalSecretName: 'registry' }), ['a'], []);
    expect(p.actions[0]).toMatchObject({ kind: 'create', object: { metadata: { name: 'registry' } } });
  });

  it('leaves alone an ExternalSecret that is as specified', () => {
    const c = ces();
    const p = plan(c, ['a'], [ownedBy(c, 'a')]);
    expect(p).toEqual({ actions: [], unchanged: ['a'], clashes: [] });
  });

  it('adopts as they are the ExternalSecrets ESO created for it (its owner reference, any served version)', () => {
    const c = ces();
    const byEso = ownedBy(c, 'a');
    byEso.metadata!.ownerReferences = [
      {
        apiVersion: 'external-secrets.io/v1beta1',
        kind: 'ClusterExternalSecret',
        name: 'pull',
        uid: 'uid-ces',
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    expect(plan(c, ['a'], [byEso])).toEqual({ actions: [], unchanged: ['a'], clashes: [] });
  });

  it('puts back a changed spec or metadata, keeping the rest of the object', () => {
    const c = ces({ externalSecretMetadata: { labels: { app: 'x' } } });
    const drifted = ownedBy(c, 'a');
    drifted.spec = { ...drifted.spec, refreshInterval: '5m' };
    drifted.metadata = { ...drifted.metadata, labels: { app: 'x', extra: '1' } };
    const p = plan(c, ['a'], [drifted]);
    expect(kinds(p)).toEqual(['update a']);
    const obj = (p.actions[0] as { object: ExternalSecret }).object;
    expect(obj.spec).toEqual(c.spec.externalSecretSpec);
    expect(obj.metadata).toMatchObject({
      labels: { app: 'x' },
      resourceVersion: '7',
      finalizers: ['keep.me/please'],
    });
  });

  it('takes the shard label (--sharding) for no drift, and keeps it when it puts the rest back', () => {
    const c = ces({ externalSecretMetadata: { labels: { app: 'x' } } });
    const shard = { 'shard.secretsync.io/secretsync': 'pod-a_1f2e' };
    const labelled = ownedBy(c, 'a');
    labelled.metadata = { ...labelled.metadata, labels: { app: 'x', ...shard } };
    expect(plan(c, ['a'], [labelled])).toEqual({ actions: [], unchanged: ['a'], clashes: [] });
    labelled.metadata.labels = { ...labelled.metadata.labels, extra: '1' };
    const p = plan(c, ['a'], [labelled]);
    expect((p.actions[0] as { object: ExternalSecret }).object.metadata?.labels).toEqual({
      app: 'x',
      ...shard,
    });
  });

  it('copies the force-sync annotation of the ClusterExternalSecret to its ExternalSecrets', () => {
    const before = ces();
    const after = ces({}, { annotations: { 'external-secrets.io/force-sync': '1700000000' } });
    const p = plan(after, ['a'], [ownedBy(before, 'a')]);
    expect(kinds(p)).toEqual(['update a']);
    expect(p.actions[0]).toMatchObject({
      object: { metadata: { annotations: { 'external-secrets.io/force-sync': '1700000000' } } },
    });
  });

  it('deletes its ExternalSecret where the namespace no longer matches', () => {
    const c = ces();
    const p = plan(c, ['a'], [ownedBy(c, 'a'), ownedBy(c, 'b')]);
    expect(p.actions).toEqual([{ kind: 'delete', namespace: 'b', name: 'pull', uid: 'uid-b-pull' }]);
    expect(p.unchanged).toEqual(['a']);
  });

  it('replaces the ExternalSecrets of the old name when externalSecretName changes', () => {
    const old = ces();
    const renamed = ces({ externalSecretName: 'registry' });
    const p = plan(renamed, ['a'], [ownedBy(old, 'a')]);
    expect(kinds(p)).toEqual(['delete a', 'create a']);
  });

  it('never touches an ExternalSecret it does not own: a clash, not an overwrite or a delete', () => {
    const c = ces();
    const p = plan(c, ['a', 'b'], [foreign('a', 'pull')]);
    expect(kinds(p)).toEqual(['create b']);
    expect(p.clashes).toEqual([
      {
        namespace: 'a',
        reason: expect.stringContaining(
          'an ExternalSecret named pull already exists in this namespace and is not owned by ClusterExternalSecret pull',
        ),
      },
    ]);
  });

  it('treats an ExternalSecret of another ClusterExternalSecret (or an earlier one of the same name) as a clash', () => {
    const c = ces();
    const earlier = ces({}, { uid: 'uid-earlier' });
    const p = plan(c, ['a'], [ownedBy(earlier, 'a')]);
    expect(p.actions).toEqual([]);
    expect(p.clashes.map((x) => x.namespace)).toEqual(['a']);
  });

  it('builds one desired object per namespace', () => {
    const c = ces();
    expect(desiredExternalSecret(c, 'a').metadata?.namespace).toBe('a');
    expect(desiredExternalSecret(c, 'b').metadata?.namespace).toBe('b');
  });
});
