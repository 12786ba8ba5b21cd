// `secretsync status` and `secretsync sync` against the testbed, with the controller running: the
// table shows each ExternalSecret's reason; a forced sync picks up a rotation that the 1h
// refreshInterval would not; an unreachable cluster fails within seconds naming its URL — in
// process and through bin/secretsync.js (the compiled CLI, as a user runs it).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStatus } from '../../../src/cli/status';
import { runSync } from '../../../src/cli/sync';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const repo = join(__dirname, '..', '..', '..');
const project = `cli-${randomBytes(3).toString('hex')}`;
const sm = gcpSecretManager();
const scratch = mkdtempSync(join(tmpdir(), 'ship-cli-'));
let ns: string;
let ctl: TestController | undefined;

function capture(): { lines: string[]; out: (s: string) => void } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(...s.split('\n')) };
}

const kubeconfig = () => process.env.KUBECONFIG!;

beforeAll(async () => {
  await installDeploy();
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  ns = await createNamespace('cli');
  await putGcpVersion(sm, project, 'api-token', 'v1');
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gcp, namespace: ${ns}}
spec:
  provider:
    gcpsm: {projectID: ${project}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gcp}
  data: [{secretKey: token, remoteRef: {key: api-token}}]
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: orphan, namespace: ${ns}}
spec:
  secretStoreRef: {name: nowhere}
  data: [{secretKey: token, remoteRef: {key: api-token}}]
`);
  ctl = await startController(ns);
  await eventually(async () => expect(decoded(await readSecret(ns, 'api')).token).toBe('v1'), {
    timeoutMs: 30_000,
    what: 'first sync',
  });
  await eventually(async () => expect(ready(await readEs(ns, 'orphan')).reason).toBe('StoreNotFound'), {
    timeoutMs: 30_000,
    what: 'StoreNotFound on orphan',
  });
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  await sm.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('status', () => {
  test('one namespace: a row per ExternalSecret with its reason and message', async () => {
    const { lines, out } = capture();
    expect(await runStatus({ namespace: ns, kubeconfig: kubeconfig() }, out)).toBe(0);
    expect(lines[0]).toMatch(/^NAME +STORE +REFRESH +STATUS +READY +LAST SYNC +MESSAGE$/);
    expect(lines[1]).toMatch(/^api +ss\/gcp +1h +SecretSynced +True +\d+s ago +Secret was synced$/);
    expect(lines[2]).toMatch(
      /^orphan +ss\/nowhere +1h0m0s +StoreNotFound +False +<never> +SecretStore nowhere in namespace cli-\w+ not found/,
    );
    expect(lines.at(-1)).toBe('2 ExternalSecrets: 1 ready, 1 not ready');
  });

  test('all namespaces: with a NAMESPACE column', async () => {
    const { lines, out } = capture();
    expect(await runStatus({ kubeconfig: kubeconfig() }, out)).toBe(0);
    expect(lines[0]).toMatch(/^NAMESPACE +NAME +STORE/);
    expect(lines.some((l) => l.startsWith(`${ns} `) && l.includes('SecretSynced'))).toBe(true);
  });

  test('an empty namespace says so', async () => {
    const { lines, out } = capture();
    expect(await runStatus({ namespace: 'kube-public', kubeconfig: kubeconfig() }, out)).toBe(0);
    expect(lines).toEqual(['No ExternalSecrets in namespace kube-public.']);
  });
});

describe('sync', () => {
  test('--wait: a rotation the 1h refreshInterval would not fetch yet is synced now', async () => {
    await putGcpVersion(sm, project, 'api-token', 'v2');
    const before = (await readEs(ns, 'api')).status?.refreshTime;
    const { lines, out } = capture();
    const code = await runSync(`${ns}/api`, { wait: true, timeout: '30s', kubeconfig: kubeconfig() }, out);
    expect(lines[0]).toMatch(
      new RegExp(`^requested a sync of ExternalSecret ${ns}/api \\(external-secrets\\.io/force-sync=\\d{4}-`),
    );
    expect(lines[1]).toMatch(
      /^synced at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: Ready=True SecretSynced: Secret was synced$/,
    );
    expect(code).toBe(0);
    expect(decoded(await readSecret(ns, 'api')).token).toBe('v2');
    const es = await readEs(ns, 'api');
    expect(es.metadata?.annotations?.['external-secrets.io/force-sync']).toBeDefined();
    expect(Date.parse(es.status!.refreshTime!)).toBeGreaterThanOrEqual(
      Date.parse(before ?? '1970-01-01T00:00:00Z'),
    );
  });

  test('without --wait it only makes the request; name with -n works too', async () => {
    const { lines, out } = capture();
    expect(await runSync('api', { namespace: ns, kubeconfig: kubeconfig() }, out)).toBe(0);
    expect(lines).toHaveLength(1);
  });

  test('--wait on an ExternalSecret that keeps failing reports its reason after --timeout, exit 1', async () => {
    const { lines, out } = capture();
    const started = Date.now();
    const code = await runSync(`${ns}/orphan`, { wait: true, timeout: '2s', kubeconfig: kubeconfig() }, out);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines[1]).toMatch(/^no sync within 2s: .* Current Ready=False StoreNotFound: SecretStore nowhere/);
  });

  test('an ExternalSecret that does not exist', async () => {
    await expect(runSync(`${ns}/nope`, { kubeconfig: kubeconfig() }, () => undefined)).rejects.toThrow(
      `ExternalSecret ${ns}/nope: not found`,
    );
  });
});

describe('an unreachable cluster', () => {
  function kubeconfigFor(server: string): string {
    const file = join(scratch, `${randomBytes(3).toString('hex')}.kubeconfig`);
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    return file;
  }

  test('connection refused: fails at once naming the URL', async () => {
    const started = Date.now();
    await expect(
      runStatus({ kubeconfig: kubeconfigFor('https://127.0.0.1:1') }, () => undefined),
    ).rejects.toThrow(/^cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1: /);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  test('no answer: fails within seconds naming the URL', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so either unreachable or silent.
    const started = Date.now();
    await expect(
      runSync('a/b', { kubeconfig: kubeconfigFor('https://192.0.2.1:6443') }, () => undefined),
    ).rejects.toThrow(/^cannot reach the Kubernetes API at https:\/\/192\.0\.2\.1:6443: /);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  const built = existsSync(join(repo, 'dist', 'src', 'main.js'));
  (built ? test : test.skip)('through bin/secretsync.js: one line on stderr, exit 1, no stack trace', () => {
    // Run with whatever `node` a user's shell has; older ones re-execute with node_modules' Node.
    const path = (process.env.PATH ?? '')
      .split(':')
      .filter((d) => !d.includes('node_modules'))
      .join(':');
    const started = Date.now();
    const r = spawnSync(
      'node',
      [join(repo, 'bin', 'secretsync.js'), 'status', '--kubeconfig', kubeconfigFor('https://127.0.0.1:1')],
      { encoding: 'utf8', env: { ...process.env, PATH: path } },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^secretsync: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1: [^\n]+\n$/,
    );
  });

  (built ? test : test.skip)('through bin/secretsync.js: status against the testbed', () => {
    const r = spawnSync('node', [join(repo, 'bin', 'secretsync.js'), 'status', '-n', ns], {
      encoding: 'utf8',
      env: process.env,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^NAME +STORE/);
    expect(r.stdout).toMatch(/\napi +ss\/gcp +1h +SecretSynced +True/);
  });
});
