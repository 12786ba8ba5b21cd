// Where the cluster connection comes from, and that an unreachable API server fails fast with a
// message naming the URL.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { checkReachable, describeCluster, loadKubeConfig } from '../../../src/kube/client';
import { newKubeConfig } from '../../../src/kube/kubeconfig';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));

function kubeconfig(file: string, server: string, context = 'ctx', cluster = 'c'): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${cluster}, cluster: {server: "${server}"}}]`,
      'users: [{name: u, user: {token: t}}]',
      `contexts: [{name: ${context}, context: {cluster: ${cluster}, user: u}}]`,
      `current-context: ${context}`,
    ].join('\n'),
  );
  return path;
}

function configFor(server: string): KubeConfig {
  const kc = newKubeConfig();
  kc.loadFromClusterAndUser({ name: 'c', server, skipTLSVerify: true }, { name: 'u', token: 't' });
  return kc;
}

describe('loadKubeConfig', () => {
  const a = kubeconfig('a.yaml', 'https://a.example:6443', 'a', 'ca');
  const b = kubeconfig('b.yaml', 'https://b.example:6443', 'b', 'cb');

  test('an explicit file wins over KUBECONFIG and in-cluster', () => {
    const kc = loadKubeConfig({ kubeconfig: a, env: { KUBECONFIG: b, KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
    expect(kc && describeCluster(kc)).toBe('https://a.example:6443');
  });

  test('KUBECONFIG is used next; a path list is merged with the first current-context winning', () => {
    expect(describeCluster(loadKubeConfig({ env: { KUBECONFIG: b } })!)).toBe('https://b.example:6443');
    const merged = loadKubeConfig({ env: { KUBECONFIG: [a, b].join(delimiter) } })!;
    expect(describeCluster(merged)).toBe('https://a.example:6443');
    expect(merged.getContexts().map((c) => c.name)).toEqual(['a', 'b']);
  });

  test('without a kubeconfig or KUBERNETES_SERVICE_HOST there is no config: the caller decides', () => {
    expect(loadKubeConfig({ env: {} })).toBeUndefined();
  });

  test('in-cluster when KUBERNETES_SERVICE_HOST is set (IPv6 addresses bracketed)', () => {
    const kc = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
    })!;
    expect(describeCluster(kc)).toBe('https://[fd00::1]:443');
    expect(kc.getCurrentUser()?.authProvider?.name).toBe('tokenFile');
  });

  test('a missing file is an error naming it', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadKubeConfig({ kubeconfig: missing })).toThrow(
      `cannot load kubeconfig ${missing}: ENOENT`,
    );
  });
});

describe('checkReachable', () => {
  let port: number;
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // A port nobody listens on, and a server that accepts connections and never answers.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  test('connection refused fails at once with the URL and the cause', async () => {
    const started = Date.now();
    await expect(checkReachable(configFor(`https://127.0.0.1:${port}`))).rejects.toThrow(
      `cannot reach the Kubernetes API at https://127.0.0.1:${port}: ECONNREFUSED`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('a server that never answers fails after the timeout', async () => {
    const started = Date.now();
    await expect(checkReachable(configFor(`https://127.0.0.1:${silentPort}`), 300)).rejects.toThrow(
      `cannot reach the Kubernetes API at https://127.0.0.1:${silentPort}: no answer within 300 ms`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
