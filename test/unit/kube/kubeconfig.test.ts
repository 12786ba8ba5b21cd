// newKubeConfig() connects over HTTP/1.1 even to a server that offers HTTP/2 (see
// src/kube/kubeconfig.ts for why). The server here is a TLS server that offers h2 and HTTP/1.1 and
// records which one each request came in on; client-node as shipped is the control.
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKubeConfig } from '../../../src/kube/kubeconfig';
import { kubeRequest } from '../../../src/kube/request';

const dir = mkdtempSync(join(tmpdir(), 'h2-'));
let server: Http2SecureServer;
let url: string;
const versions: string[] = [];

beforeAll(async () => {
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  server = createSecureServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), allowHTTP1: true },
    (req, res) => {
      versions.push(req.httpVersion);
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('watch=true')) {
        res.end(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } }) + '\n');
      } else {
        res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function load(kc: KubeConfig): KubeConfig {
  kc.loadFromClusterAndUser({ name: 'c', server: url, skipTLSVerify: true }, { name: 'u', token: 't' });
  return kc;
}

async function versionOf(call: () => Promise<unknown>): Promise<string | undefined> {
  versions.length = 0;
  await call();
  return versions[0];
}

function watchOnce(kc: KubeConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    new Watch(kc)
      .watch(
        '/api/v1/namespaces',
        {},
        () => undefined,
        (err: unknown) => (err ? reject(err as Error) : resolve()),
      )
      .catch(reject);
  });
}

test('control: client-node as shipped speaks HTTP/2 to this server', async () => {
  // eslint-disable-next-line no-restricted-syntax -- the control: client-node's own KubeConfig
  const kc = load(new KubeConfig());
  expect(await versionOf(() => kubeRequest(kc, { path: '/api/v1/namespaces' }))).toBe('2.0');
});

test('our raw requests (kubeRequest) are HTTP/1.1', async () => {
  const kc = load(newKubeConfig());
  expect(await versionOf(() => kubeRequest(kc, { path: '/api/v1/namespaces' }))).toBe('1.1');
});

test("client-node's generated clients are HTTP/1.1", async () => {
  const core = load(newKubeConfig()).makeApiClient(CoreV1Api);
  expect(await versionOf(() => core.listNamespace())).toBe('1.1');
});

test("client-node's Watch is HTTP/1.1", async () => {
  const kc = load(newKubeConfig());
  expect(await versionOf(() => watchOnce(kc))).toBe('1.1');
});

test('a cluster with no TLS options of its own also gets an HTTP/1.1-only connection pool', () => {
  const kc = newKubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'c', server: 'https://example.invalid', skipTLSVerify: false },
    { name: 'u', token: 't' },
  );
  const o = kc.createDispatcherOptions(kc.getCurrentCluster(), {});
  expect(o.type).toBe('agent');
  expect(o.type === 'agent' && (o.connect as { allowH2?: boolean }).allowH2).toBe(false);
});
