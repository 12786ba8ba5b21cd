// etcd + kube-apiserver + kube-controller-manager, one process each from the testbed's Go binary.
// The apiserver signs service-account tokens with a key generated here (TokenRequest and the
// OIDC discovery/JWKS endpoints work), authenticates an admin by static token, and authorizes
// with RBAC so that the controller under test can run with exactly deploy/'s permissions.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { freePorts } from './ports';
import { spawnManaged, waitReady, type Managed } from './process';

/** The one node a testbed can have (dev/testbed/node.ts); its kubelet's user is in tokens.csv. */
export const NODE_NAME = 'secretsync-node';

export interface ControlPlane {
  apiserverUrl: string;
  adminToken: string;
  issuer: string;
  kubeconfig: string;
  processes: Managed[];
}

const insecure = new Agent({ rejectUnauthorized: false });

export function httpsOk(url: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent: insecure, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The body of a 200 answer over TLS without verification (the testbed's self-signed certs). */
export function httpsGet(url: string, token?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent: insecure, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.status === 200;
}

export function writeKubeconfig(file: string, server: string, token: string, user = 'admin'): void {
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: testbed`,
      `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
      'users:',
      `- name: ${user}`,
      `  user: {token: "${token}"}`,
      'contexts:',
      `- name: ${user}@testbed`,
      `  context: {cluster: testbed, user: ${user}}`,
      `current-context: ${user}@testbed`,
      '',
    ].join('\n'),
  );
}

/** The apiserver's audit log (the benchmark counts writes server-side from it). */
export interface AuditOptions {
  /** An audit.k8s.io/v1 Policy file. */
  auditPolicy: string;
  /** Where the apiserver writes JSON audit events (one per line, never rotated). */
  auditLog: string;
}

export async function startControlPlane(
  bin: string,
  root: string,
  logs: string,
  track: (m: Managed) => void,
  audit?: AuditOptions,
  /**
   * The node's bridge address (dev/testbed/node.ts): the `kubernetes` Service's endpoint, so that
   * pods reach the apiserver through kube-proxy. Known before the node exists (derived from the
   * instance directory), so a node started later by a test worker finds the apiserver ready.
   */
  advertiseAddress?: string,
): Promise<ControlPlane> {
  const [etcdPort, peerPort, apiPort, kcmPort] = (await freePorts(4)) as [number, number, number, number];
  const pki = join(root, 'pki');
  mkdirSync(pki, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(pki, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const adminToken = randomBytes(24).toString('hex');
  // The second user is the node's kubelet (dev/testbed/node.ts), authorized by the Node authorizer
  // as real clusters do; unused unless a node is started.
  writeFileSync(
    join(pki, 'tokens.csv'),
    `${adminToken},admin,admin-uid,"system:masters"\n` +
      `${randomBytes(24).toString('hex')},system:node:${NODE_NAME},kubelet-uid,"system:nodes"\n`,
  );

  const start = (name: string, args: string[]) => {
    const m = spawnManaged({ name, command: bin, args, logFile: join(logs, `${name}.log`) });
    track(m);
    return m;
  };

  const etcd = start('etcd', [
    'etcd',
    `--data-dir=${join(root, 'etcd')}`,
    `--listen-client-url=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-url=http://127.0.0.1:${peerPort}`,
  ]);
  await waitReady(etcd, 'etcd', etcd.logFile, () => httpOk(`http://127.0.0.1:${etcdPort}/health`), 30000);

  const apiserverUrl = `https://127.0.0.1:${apiPort}`;
  const apiserver = start('kube-apiserver', [
    'apiserver',
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--cert-dir=${join(pki, 'serving')}`,
    `--secure-port=${apiPort}`,
    // Pods reach the apiserver at the bridge address, which exists only once a node starts: the
    // apiserver listens on every address (the port is random; every request is authenticated).
    // Its self-signed serving cert covers the advertised address and the Service IP 10.0.0.1.
    ...(advertiseAddress
      ? ['--bind-address=0.0.0.0', `--advertise-address=${advertiseAddress}`]
      : ['--bind-address=127.0.0.1']),
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    // The node registers its bridge address as its InternalIP; its hostname resolves nowhere.
    '--kubelet-preferred-address-types=InternalIP',
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    `--service-account-issuer=${apiserverUrl}`,
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    ...(audit
      ? [
          `--audit-policy-file=${audit.auditPolicy}`,
          `--audit-log-path=${audit.auditLog}`,
          // 0 = one plain file, never rotated, so that a reader can follow it by offset.
          '--audit-log-maxsize=0',
          '--audit-log-format=json',
          '--audit-log-mode=blocking',
        ]
      : []),
    '--v=1',
  ]);
  await waitReady(
    apiserver,
    'kube-apiserver',
    apiserver.logFile,
    () => httpsOk(`${apiserverUrl}/readyz`, adminToken),
    180000,
  );

  const kubeconfig = join(root, 'kubeconfig');
  writeKubeconfig(kubeconfig, apiserverUrl, adminToken);
  const kcm = start('kube-controller-manager', [
    'controller-manager',
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--controllers=deployment,replicaset,statefulset,daemonset,garbagecollector,namespace,serviceaccount',
    '--leader-elect=false',
    '--use-service-account-credentials=false',
    // Every test file shares this controller-manager: at its default 20 requests/s one file's 200
    // Deployment rollouts (rollout/pacing.test.ts) starved the others' ReplicaSets in CI.
    '--kube-api-qps=100',
    '--kube-api-burst=200',
    `--secure-port=${kcmPort}`,
    '--bind-address=127.0.0.1',
    '--v=1',
  ]);
  await waitReady(
    kcm,
    'kube-controller-manager',
    kcm.logFile,
    () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`),
    60000,
  );
  return { apiserverUrl, adminToken, issuer: apiserverUrl, kubeconfig, processes: [etcd, apiserver, kcm] };
}

/**
 * The one kube-apiserver crash the testbed knows the cause of. In k8s.io/kube-openapi (the version
 * v1.36.3 is built with), handler3.OpenAPIService.UpdateGroupVersionLazy publishes a new
 * group-version in its discovery cache *before* storing that group-version's spec; the aggregator
 * re-reads the apiextensions server's /openapi/v3 discovery every second (an internal request, not
 * a client's), and a read that lands between the two statements dereferences the empty cache in a
 * goroutine of kube-openapi's cache merger — a panic nothing recovers, so the process exits 2.
 * The window opens only when a CRD group-version is new to the process: when the first CRD of a
 * group-version is established on a fresh instance, and on every apiserver start with CRDs in etcd.
 * It is microseconds wide, so it is hit rarely, and more often on a loaded machine (the writer is
 * preempted inside it). No client request can cause or avoid it, so the testbed restarts the
 * apiserver when — and only when — its log shows exactly this crash.
 */
export function isOpenApiCacheRace(logTail: string): boolean {
  return (
    /panic: runtime error: invalid memory address or nil pointer dereference/.test(logTail) &&
    /kube-openapi\/pkg\/cached\.\(\*(?:Atomic|LastSuccess)\[/.test(logTail) &&
    /kube-openapi\/pkg\/cached\.\(\*listMerger\[/.test(logTail)
  );
}

/** Size of a log file now (where a process started after this point begins writing). */
export function logOffset(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** What a log file holds from `offset` on (at most the last 64 KiB of it). */
export function logSince(file: string, offset: number): string {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const start = Math.max(offset, size - 65536);
    const buf = Buffer.alloc(Math.max(0, size - start));
    fd = openSync(file, 'r');
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
