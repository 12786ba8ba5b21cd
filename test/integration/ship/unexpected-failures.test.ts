// The process policy for failures nobody handled (docs/reference.md, "Unexpected failures"), on the
// built controller as its own process (`node dist/src/main.js controller`; run `npm run build`
// first). A preload plants, on SIGUSR2, a rejection nobody handles or an exception nobody catches,
// each carrying a canary value in a field, as SDK errors carry response bodies. Checked: after the
// rejection the controller keeps serving (a new ExternalSecret syncs), counts it in
// secretsync_unexpected_rejections_total and logs name, message and stack; after the exception it
// logs the same way and exits 1. The canary appears in neither output.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { controllerKubeConfig, installDeploy } from '../../support/controller';
import { createObject, decoded, readSecret } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';
import { writeKubeConfigFile } from '../../resilience/support/cluster';
import { startControllerProcess, type ControllerProcess } from '../../resilience/support/process-controller';

jest.setTimeout(120_000);

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'secretsync-unexpected-'));
const preload = join(dir, 'plant.cjs');
let ns: string;
let kubeconfig: string;
const procs: ControllerProcess[] = [];

beforeAll(async () => {
  writeFileSync(
    preload,
    `process.on('SIGUSR2', () => {
  const err = Object.assign(new Error('planted by the test'), { response: { body: process.env.PLANT_CANARY } });
  if (process.env.PLANT === 'exception') setImmediate(() => { throw err; });
  else Promise.reject(err);
});
`,
  );
  await installDeploy();
  ns = await createNamespace('unexpected');
  kubeconfig = writeKubeConfigFile(await controllerKubeConfig(), join(dir, 'kubeconfig'));
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'k', value: 'v1' }] } } },
  });
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await deleteNamespace(ns);
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, plant: 'rejection' | 'exception'): Promise<ControllerProcess> {
  const p = await startControllerProcess({
    name,
    kubeconfig,
    namespace: ns,
    leaseId: `unexpected-${name}`,
    flags: ['--no-leader-elect'],
    env: { NODE_OPTIONS: `--require ${preload}`, PLANT: plant, PLANT_CANARY: CANARY },
  });
  procs.push(p);
  await p.waitForLog(/leading: starting workers/);
  return p;
}

async function synced(name: string): Promise<void> {
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
    },
  });
  await eventually(async () => expect(decoded(await readSecret(ns, name))).toEqual({ v: 'v1' }), {
    timeoutMs: 20_000,
    what: `Secret ${name}`,
  });
}

const rejections = async (p: ControllerProcess) => {
  const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  return /^secretsync_unexpected_rejections_total (\d+)$/m.exec(text)?.[1];
};

test('an unhandled rejection is logged without the values it carries, counted, and the controller keeps serving', async () => {
  const p = await start('rejection', 'rejection');
  await synced('before');
  expect(await rejections(p)).toBe('0');
  const from = p.logs.length;
  p.kill('SIGUSR2');
  // Without the policy the process dies here (Node's default), printing the error's fields.
  const line = await p.waitForLog(/unhandled promise rejection/, { from, timeoutMs: 10_000 });
  expect(line).toMatchObject({ level: 50, err: { name: 'Error', message: 'planted by the test' } });
  expect(String((line.err as { stack?: string }).stack)).toContain('plant.cjs');
  expect(await rejections(p)).toBe('1');
  await synced('after');
  expect((await fetch(`http://127.0.0.1:${p.metricsPort}/healthz`)).status).toBe(200);
  expect(p.text()).not.toContain(CANARY);
});

test('an uncaught exception is logged without the values it carries, and the process exits 1', async () => {
  await procs.pop()?.stop();
  const p = await start('exception', 'exception');
  const from = p.logs.length;
  p.kill('SIGUSR2');
  expect(await p.exited).toBe(1);
  const line = p.logs.slice(from).find((l) => /uncaught exception/.test(String(l.msg)));
  expect(line).toMatchObject({ level: 60, err: { name: 'Error', message: 'planted by the test' } });
  expect(p.text()).not.toContain(CANARY);
});
