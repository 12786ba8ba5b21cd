// sweepVersions against the testbed's moto, counted on the wire by the benchmark's counting proxy
// (every secretsmanager.* request the provider sends, SDK retries included) and by a middleware on
// the provider's own SDK client (commands): for M = 120 secrets one sweep is 2 ListSecrets calls
// (pages of 100), and tagOf equals currentVersion (DescribeSecret) for every key — by name through
// the store prefix, by ARN, for AWSCURRENT, AWSPREVIOUS, a custom stage and uuid/ — before and after
// a PutSecretValue rotation and UpdateSecretVersionStage moves; a secret scheduled for deletion has
// no tag. moto's state is shared by parallel test files: the store prefix (this run's unique base)
// narrows the listing to this file's secrets.
import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AwsCountingProxy } from '../../../dev/bench/providers';
import { createAwsClient } from '../../../src/providers/aws';
import { NoSecretError } from '../../../src/providers/core/errors';
import type { RemoteKey, SecretsClient, VersionSweep } from '../../../src/providers/core/types';

const M = 120;
const base = `ss-sweep-${randomBytes(4).toString('hex')}`;
const sm = new SecretsManagerClient({});
const proxy = new AwsCountingProxy(process.env.AWS_ENDPOINT_URL!);
const commands: Record<string, number> = {};
let c: SecretsClient;
const names = Array.from({ length: M }, (_, i) => `s${String(i).padStart(3, '0')}`);
const arns = new Map<string, string>();
/** VersionId each secret was created with. */
const created = new Map<string, string>();

/** Requests the provider sent through the proxy, by method, since the last clear. */
function wire(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const call of proxy.log.calls) out[call.method] = (out[call.method] ?? 0) + 1;
  return out;
}

function clear(): void {
  proxy.log.clear();
  for (const k of Object.keys(commands)) delete commands[k];
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const put = async (name: string, stages?: string[]) =>
  (
    await sm.send(
      new PutSecretValueCommand({
        SecretId: `${base}/${name}`,
        SecretString: randomBytes(8).toString('hex'),
        ...(stages && { VersionStages: stages }),
      }),
    )
  ).VersionId!;

const move = (name: string, stage: string, to: string, from?: string) =>
  sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: `${base}/${name}`,
      VersionStage: stage,
      MoveToVersionId: to,
      ...(from !== undefined && { RemoveFromVersionId: from }),
    }),
  );

/** The refs an idle refresh asks about: every key by name, some by ARN, stages and uuid/. */
function refs(extra: RemoteKey[] = []): RemoteKey[] {
  return [
    ...names.map((key) => ({ key })),
    ...['s000', 's001', 's002'].map((n) => ({ key: arns.get(n)! })),
    { key: 's000', version: 'AWSPREVIOUS' },
    { key: 's001', version: 'AWSCURRENT' },
    { key: 's001', version: 'AWSPREVIOUS' },
    { key: 's002', version: 'blue' },
    { key: arns.get('s002')!, version: 'blue' },
    ...extra,
  ];
}

/** For every ref, the sweep's tag and currentVersion's answer (tag or error class). */
async function compare(sweep: VersionSweep, list: RemoteKey[]) {
  const tags: (string | undefined)[] = [];
  const described: string[] = [];
  for (const ref of list) {
    tags.push(sweep.tagOf(ref));
    described.push(
      await c.currentVersion!(ref).catch((err: unknown) => `error:${(err as Error).constructor.name}`),
    );
  }
  return { tags, described };
}

beforeAll(async () => {
  await proxy.start();
  await pool(names, 8, async (n) => {
    const res = await sm.send(
      new CreateSecretCommand({ Name: `${base}/${n}`, SecretString: randomBytes(8).toString('hex') }),
    );
    arns.set(n, res.ARN!);
    created.set(n, res.VersionId!);
  });
  // A secret outside the prefix: not listed by this store's sweep.
  await sm.send(new CreateSecretCommand({ Name: `${base}-outside/x`, SecretString: 'x' }));
  c = await createAwsClient(
    { service: 'SecretsManager', prefix: `${base}/` },
    {
      endpoint: proxy.url,
      instrument: (client) =>
        client.middlewareStack.add(
          (next, context) => (args) => {
            const name = (context.commandName ?? '?').replace(/Command$/, '');
            commands[name] = (commands[name] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize', name: 'countCommands' },
        ),
    },
  );
}, 180_000);

afterAll(async () => {
  await c?.close();
  await proxy.stop();
  sm.destroy();
});

test(`M=${M}: one sweep is 2 ListSecrets calls and tagOf equals currentVersion, before and after rotations`, async () => {
  // Versions before: s000 rotated once (AWSPREVIOUS), s001 rotated once, s002 with a custom stage.
  const s000v2 = await put('s000');
  const s001v2 = await put('s001');
  const blue1 = await put('s002', ['blue']);

  clear();
  const before = await c.sweepVersions!();
  expect(before.calls).toBe(2);
  expect(wire()).toEqual({ ListSecrets: 2 });
  expect(commands).toEqual({ ListSecrets: 2 });
  const uuidRef = { key: 's000', version: `uuid/${s000v2}` };
  const b = await compare(before, refs([uuidRef]));
  expect(b.tags).toEqual(b.described);
  expect(b.tags.every((t) => t !== undefined)).toBe(true);
  expect(before.tagOf({ key: 's000' })).toBe(s000v2);
  expect(before.tagOf({ key: 's001' })).toBe(s001v2);
  expect(before.tagOf({ key: 's001', version: 'AWSPREVIOUS' })).toBe(created.get('s001'));
  expect(before.tagOf({ key: 's002', version: 'blue' })).toBe(blue1);
  expect(before.tagOf({ key: `${base}-outside/x` })).toBeUndefined();
  expect(before.tagOf({ key: 's000', version: 'green' })).toBeUndefined();
  expect(wire()).toEqual({ ListSecrets: 2, DescribeSecret: refs().length });

  // Rotation, a rollback of AWSCURRENT and a custom stage moved, then a deletion.
  const s000v3 = await put('s000');
  const s001v1 = created.get('s001')!;
  await move('s001', 'AWSCURRENT', s001v1, s001v2);
  const blue2 = await put('s002');
  await move('s002', 'blue', blue2, blue1);
  await sm.send(new DeleteSecretCommand({ SecretId: `${base}/s119`, RecoveryWindowInDays: 7 }));

  clear();
  const after = await c.sweepVersions!();
  expect(after.calls).toBe(2);
  expect(wire()).toEqual({ ListSecrets: 2 });
  const a = await compare(after, refs([uuidRef, { key: 's000', version: `uuid/${s000v3}` }]));
  const deleted = names.indexOf('s119');
  expect(a.tags[deleted]).toBeUndefined();
  expect(a.described[deleted]).toBe(`error:${NoSecretError.name}`);
  a.tags.splice(deleted, 1);
  a.described.splice(deleted, 1);
  expect(a.tags).toEqual(a.described);
  expect(a.tags.every((t) => t !== undefined)).toBe(true);
  expect(after.tagOf({ key: 's000' })).toBe(s000v3);
  expect(after.tagOf({ key: 's000', version: 'AWSPREVIOUS' })).toBe(s000v2);
  expect(after.tagOf({ key: 's001' })).toBe(s001v1);
  expect(after.tagOf({ key: 's001', version: 'AWSPREVIOUS' })).toBe(s001v2);
  expect(after.tagOf({ key: arns.get('s002')!, version: 'blue' })).toBe(blue2);
  // The untouched keys kept their tags.
  for (const n of names.slice(3, 119)) expect(after.tagOf({ key: n })).toBe(before.tagOf({ key: n }));
  // Cost: 2 calls for 120 secrets (≤ M/20 = 6), against one DescribeSecret per key.
  expect(after.calls).toBeLessThanOrEqual(M / 20);
});
