// Nothing readable without Secret access lets a guess at a secret value be checked. A 6-digit PIN
// is planted in a Secret that a Deployment consumes and then rotated (first sight, then a
// rollout: every annotation, Event and log line the rollout side writes). Everything a user who
// may not read Secrets can read — the Deployment, its ReplicaSets and pods, the namespace's
// Events — plus the controller's logs and /metrics is searched for digest-looking strings, and
// all 10⁶ PINs are tried against them in the previous version's plain encodings. A control shows
// that the same search finds the PIN in the previous version's annotations.
import { hash, randomInt } from 'node:crypto';
import { digestsHash, keyDigest } from '../../../src/api/hash';
import { startController, type TestController } from '../../support/controller';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import { serviceAccountKubeConfig } from '../../resilience/support/cluster';
import { eventually } from '../../support/eventually';
import {
  ACT_MS,
  apps,
  core,
  deployment,
  envKey,
  FLAGS,
  putSecret,
  reaches,
  recorded,
  replicaSets,
} from './helpers';

let ns: string;
let ctl: TestController;

beforeAll(async () => {
  ns = await createNamespace('rollout-oracle');
  ctl = await startController(ns, FLAGS);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

/**
 * A user of the namespace who may read workloads, ReplicaSets, pods and Events but not Secrets:
 * what Kubernetes' `view` role grants for these (spelled out, since `view` is filled in by an
 * aggregation controller).
 */
async function viewer() {
  const { rbac } = clients();
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'viewer' } } });
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'viewer' },
      rules: [
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: [''], resources: ['pods', 'events', 'configmaps'], verbs: ['get', 'list', 'watch'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    },
  });
  const view = clients(await serviceAccountKubeConfig('viewer', ns));
  // The binding reaches the authorizer's cache shortly after it is created.
  await eventually(() => view.apps.listNamespacedDeployment({ namespace: ns }), {
    timeoutMs: ACT_MS,
    what: 'viewer may list Deployments',
  });
  return view;
}

const sha = (s: string | Buffer) => hash('sha256', s);

/** The previous version's workload hash for one consumed key (util/hash digestsHash, inlined for speed). */
function plainWorkloadHasher(id: string): (digest: string) => string {
  const name = Buffer.from(id);
  const buf = Buffer.alloc(1 + 4 + name.length + 4 + 64);
  buf[0] = 0x03;
  buf.writeUInt32BE(name.length, 1);
  name.copy(buf, 5);
  buf.writeUInt32BE(64, 5 + name.length);
  const at = 9 + name.length;
  return (digest) => {
    buf.write(digest, at, 'latin1');
    return sha(buf);
  };
}

/** Every 12-hex-digit window of every hex run of 12 or more digits: what a digest prefix could be. */
function digestWindows(text: string): Set<string> {
  const out = new Set<string>();
  for (const [run] of text.toLowerCase().matchAll(/[0-9a-f]{12,}/g))
    for (let i = 0; i + 12 <= run.length; i++) out.add(run.slice(i, i + 12));
  return out;
}

/**
 * One pass over all 10⁶ PINs: for each text, the PINs whose plain digests (raw SHA-256 of the
 * value, or the previous version's workload/object hash) occur in it.
 */
function bruteForce(texts: Record<string, string>, id: string): Record<string, string[]> {
  const where = new Map<string, string[]>();
  for (const [name, text] of Object.entries(texts))
    for (const w of digestWindows(text)) where.set(w, [...(where.get(w) ?? []), name]);
  const found: Record<string, string[]> = Object.fromEntries(Object.keys(texts).map((k) => [k, []]));
  const workloadHash = plainWorkloadHasher(id);
  for (let n = 0; n < 1_000_000; n++) {
    const pin = String(n).padStart(6, '0');
    const d = sha(pin);
    const hits = [...(where.get(d.slice(0, 12)) ?? []), ...(where.get(workloadHash(d).slice(0, 12)) ?? [])];
    for (const name of new Set(hits)) found[name]?.push(pin);
  }
  return found;
}

test('a 6-digit PIN cannot be checked against anything a user without Secret access reads', async () => {
  const id = 'Secret/pin/code';
  // The inlined encoding is the previous version's (util/hash digestsHash over keyDigest).
  expect(plainWorkloadHasher(id)(sha('000000'))).toBe(digestsHash([[id, keyDigest(Buffer.from('000000'))]]));

  const pin1 = String(randomInt(1_000_000)).padStart(6, '0');
  const pin2 = String((Number(pin1) + 1 + randomInt(999_999)) % 1_000_000).padStart(6, '0');
  await putSecret(ns, 'pin', { code: pin1 });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('app', {
      annotations: { 'reloader.stakater.com/auto': 'true' },
      pod: { env: [envKey('pin', 'code')] },
    }),
  });
  const hash1 = await recorded(ns, 'Deployment', 'app');
  await reaches(() => replicaSets(ns, 'app'), 1, 'first ReplicaSet');
  await putSecret(ns, 'pin', { code: pin2 });
  await reaches(() => replicaSets(ns, 'app'), 2, 'rollout for the new PIN');
  const hash2 = await recorded(ns, 'Deployment', 'app');
  expect(hash2).not.toBe(hash1); // the digest follows the value, so the search below has targets

  const view = await viewer();
  await expect(view.core.readNamespacedSecret({ name: 'pin', namespace: ns })).rejects.toMatchObject({
    code: 403,
  });
  const readable = [
    JSON.stringify(await view.apps.listNamespacedDeployment({ namespace: ns })),
    JSON.stringify(await view.apps.listNamespacedReplicaSet({ namespace: ns })),
    JSON.stringify(await view.core.listNamespacedEvent({ namespace: ns })),
    JSON.stringify(await view.core.listNamespacedPod({ namespace: ns })),
    ctl.logs.join(''),
    await (await fetch(`http://127.0.0.1:${ctl.metricsPort}/metrics`)).text(),
  ].join('\n');
  expect(readable).toContain(hash2); // the keyed digests are among what is searched
  expect(readable).toContain('content hash '); // and so is the rollout Event

  // Control: the previous version's annotations for pin2, searched the same way, give pin2 away.
  const previous = plainWorkloadHasher(id)(sha(pin2));
  const control = `${previous} Secret/pin=${previous.slice(0, 16)}.01234567`;
  const started = Date.now();
  const found = bruteForce({ readable, control }, id);
  const ms = Date.now() - started;
  expect(found).toEqual({ readable: [], control: [pin2] });
  console.log(
    `oracle: ${digestWindows(readable).size} digest windows searched; 10^6 PINs x 2 plain encodings in ${ms} ms`,
  );
});
