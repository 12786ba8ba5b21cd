// Keyed digests on a real cluster: a Deployment carrying the previous version's plain SHA-256
// digests is moved to the keyed ones without a new ReplicaSet; a deleted key Secret is created
// again at start and the workloads are re-recorded under the new key without a rollout; replicas
// starting together converge on one key.
import { randomBytes } from 'node:crypto';
import { loadDigestKey } from '../../../src/controllers/rollout/digest-key';
import { digestsHash, keyDigest } from '../../../src/api/hash';
import { controllerKubeConfig, startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import pino from 'pino';
import { Writable } from 'node:stream';
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
  staysAt,
} from './helpers';

const KEYED = /^hmac-sha256:([0-9a-f]{8}):[0-9a-f]{64}$/;
const CONTROL_NS = 'secretsync-system';
let ns: string;
const running: TestController[] = [];
const keySecrets: string[] = [];

beforeAll(async () => {
  ns = await createNamespace('rollout-digest');
});

afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

afterAll(async () => {
  for (const name of keySecrets)
    await core.deleteNamespacedSecret({ name, namespace: CONTROL_NS }).catch(() => undefined);
  await deleteNamespace(ns);
});

/** A key Secret of this test only, so that deleting it touches no other test's controller. */
function ownKeySecret(): string {
  const name = `digest-key-test-${randomBytes(3).toString('hex')}`;
  keySecrets.push(name);
  return name;
}

async function start(digestKeySecret?: string): Promise<TestController> {
  const c = await startController(ns, { ...FLAGS, ...(digestKeySecret ? { digestKeySecret } : {}) });
  running.push(c);
  return c;
}

async function annotations(name: string): Promise<Record<string, string>> {
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  return d.metadata?.annotations ?? {};
}

/** What the previous version recorded for a Deployment reading key `k` of Secret `name` (its encoding, rebuilt by hand). */
function previousVersion(name: string, value: string): Record<string, string> {
  const entries: Array<[string, string]> = [[`Secret/${name}/k`, keyDigest(Buffer.from(value))]];
  const spec = keyDigest(Buffer.from('k|false|true')).slice(0, 8);
  const hash = digestsHash(entries);
  return {
    'secretsync.io/last-reload-hash': hash,
    'secretsync.io/last-reload-objects': `Secret/${name}=${hash.slice(0, 16)}.${spec}`,
  };
}

const AUTO = { 'reloader.stakater.com/auto': 'true' };
const rs = (name: string) => () => replicaSets(ns, name);

async function withPlainDigests(name: string, recordedValue: string): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment(name, {
      annotations: { ...AUTO, ...previousVersion(name, recordedValue) },
      pod: { env: [envKey(name, 'k')] },
    }),
  });
  await reaches(rs(name), 1, `first ReplicaSet of ${name}`);
}

test("the previous version's plain digests become keyed ones, with no new ReplicaSet", async () => {
  await putSecret(ns, 'old', { k: '482913' });
  await withPlainDigests('old', '482913');
  const ctl = await start();
  await eventually(
    async () => expect((await annotations('old'))['secretsync.io/last-reload-hash']).toMatch(KEYED),
    { timeoutMs: ACT_MS, what: 'keyed hash on Deployment old' },
  );
  const a = await annotations('old');
  expect(a['secretsync.io/last-reload-objects']).toMatch(
    /^hmac-sha256:[0-9a-f]{8}:Secret\/old=[0-9a-f]{16}\.[0-9a-f]{8}$/,
  );
  await staysAt(rs('old'), 1);
  expect(ctl.logs.join('')).toMatch(/"why":"migrated"/);
  const d = await apps.readNamespacedDeployment({ name: 'old', namespace: ns });
  expect(d.spec?.template.metadata?.annotations?.['secretsync.io/restartedAt']).toBeUndefined();
});

test('plain digests of a value changed during the upgrade: one rollout, then keyed', async () => {
  await putSecret(ns, 'moved', { k: '111111' });
  await withPlainDigests('moved', '000000');
  await start();
  await reaches(rs('moved'), 2, 'rollout for the value changed during the upgrade');
  expect((await annotations('moved'))['secretsync.io/last-reload-hash']).toMatch(KEYED);
  await staysAt(rs('moved'), 2);
});

test('a deleted key Secret is created again; workloads are re-recorded under the new key, not rolled', async () => {
  const keyName = ownKeySecret();
  await putSecret(ns, 'rekey', { k: '1' });
  const first = await start(keyName);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('rekey', { annotations: AUTO, pod: { env: [envKey('rekey', 'k')] } }),
  });
  const before = KEYED.exec(await recorded(ns, 'Deployment', 'rekey'))![1];
  await reaches(rs('rekey'), 1, 'first ReplicaSet of rekey');
  await first.stop();
  running.splice(running.indexOf(first), 1);

  await core.deleteNamespacedSecret({ name: keyName, namespace: CONTROL_NS });
  const second = await start(keyName);
  const after = await eventually(
    async () => {
      const id = KEYED.exec((await annotations('rekey'))['secretsync.io/last-reload-hash'] ?? '')?.[1];
      expect(id).toBeDefined();
      expect(id).not.toBe(before);
      return id;
    },
    { timeoutMs: ACT_MS, what: 'digests under the new key' },
  );
  await staysAt(rs('rekey'), 1);
  expect(second.logs.join('')).toMatch(/"why":"rekeyed"/);
  expect(second.logs.join('')).toContain(`"keyId":"${after}"`);
  const s = await core.readNamespacedSecret({ name: keyName, namespace: CONTROL_NS });
  expect(Buffer.from(s.data?.key ?? '', 'base64')).toHaveLength(32);
});

test('replicas starting together converge on one key (409 AlreadyExists → read the winner)', async () => {
  const keyName = ownKeySecret();
  const kc = await controllerKubeConfig();
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  const ref = { namespace: CONTROL_NS, name: keyName };
  const keys = await Promise.all(
    Array.from({ length: 8 }, () => loadDigestKey(kc, ref, log, new AbortController().signal)),
  );
  expect(new Set(keys.map((k) => Buffer.from(k.bytes).toString('hex'))).size).toBe(1);
  const text = lines.join('');
  expect(text.match(/created the digest key Secret/g)).toHaveLength(1);
  expect(text.match(/read the digest key Secret/g)).toHaveLength(7);
  // The key never appears in the logs, only its id.
  expect(text).not.toContain(Buffer.from(keys[0]!.bytes).toString('base64'));
  expect(text).not.toContain(Buffer.from(keys[0]!.bytes).toString('hex'));
  console.log(
    `key race: ${(text.match(/another replica created it first/g) ?? []).length} of 8 loads lost the create race (409)`,
  );
});
