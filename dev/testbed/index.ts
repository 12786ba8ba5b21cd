// The testbed: a real control plane, the cloud emulators and the identity fakes, started by the
// project's own files. `startTestbed()` is used by jest's global setup (one shared instance per
// run), by `npm run testbed` (foreground) and by `npm start` (the demo).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsOk, isOpenApiCacheRace, logOffset, logSince, startControlPlane } from './controlplane';
import { awsIdentityEnv } from './env';
import { stsFront, podIdentityAgent } from './fakes/aws-identity';
import { enforceIam, strictAwsFront } from './fakes/aws-strict';
import type { AwsKeys } from './fakes/sigv4';
import {
  GcpTokens,
  TESTBED_PROJECT,
  iamCredentialsServer,
  metadataServer,
  stsServer,
} from './fakes/gcp-identity';
import type { FakeServer } from './fakes/http';
import { JwksVerifier } from './fakes/jwt';
import { SecretManagerEmulator } from './fakes/secretmanager';
import { ensureControlPlane, ensureMoto, findPubSubEmulator } from './install';
import { nodeAddress, startNode, stopNode, type TestbedNode } from './node';
import { repoRoot } from './paths';
import { freePorts } from './ports';
import { isPortClash, PORT_CLASH_ATTEMPTS } from './port-clash';
import { PidFile, TestbedError, alive, killGroup, spawnManaged, waitReady, type Managed } from './process';

/** A restart of kube-apiserver by the testbed after it crashed on the race it knows. */
export interface ApiserverRespawn {
  /** When the crash was seen (ms since the epoch). */
  at: number;
  cause: 'kube-openapi cache race (see isOpenApiCacheRace in dev/testbed/controlplane.ts)';
}

export { TestbedError } from './process';

export { repoRoot };

export interface TestbedOptions {
  /** `main` is the shared instance in `.testbed/`; others live in `.testbed/instances/<name>`. */
  name?: string;
  progress?: (line: string) => void;
  /** Skip the Java Pub/Sub emulator and moto (faster start for the demo). */
  withPubSub?: boolean;
  withMoto?: boolean;
  /**
   * Enable the apiserver's audit log (Metadata level, writes to Secrets, ExternalSecret status and
   * Deployments only) at `Testbed.auditLog`, for counting writes server-side (npm run bench).
   * `audited-accounts`: only writes by the ServiceAccounts of AUDITED_NAMESPACE (jest's shared
   * testbed: tests that need to know who wrote what run their controllers as those accounts).
   */
  audit?: boolean | 'audited-accounts';
  /**
   * Start a node (containerd, kubelet, kube-scheduler: dev/testbed/node.ts) and wait until it is
   * Ready. Tests ask for it per file instead (test/support/node.ts), on the shared testbed.
   */
  node?: boolean;
}

/**
 * What the audit log records when `audit` is on: who wrote which of the objects we care about
 * (ExternalSecrets themselves too: the sharder's label patches).
 */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete]
    resources:
      - group: ''
        resources: [secrets, events]
      - group: events.k8s.io
        resources: [events]
      - group: external-secrets.io
        resources: [externalsecrets, externalsecrets/status]
      - group: apps
        resources: [deployments]
  - level: None
`;

/** ServiceAccounts of this namespace are the only users `audit: 'audited-accounts'` records. */
export const AUDITED_NAMESPACE = 'secretsync-audited';

/** AUDIT_POLICY narrowed to the ServiceAccounts of AUDITED_NAMESPACE (other writes cost nothing). */
export const AUDITED_ACCOUNTS_POLICY = AUDIT_POLICY.replace(
  '  - level: Metadata\n',
  `  - level: Metadata\n    userGroups: ['system:serviceaccounts:${AUDITED_NAMESPACE}']\n`,
);

export interface Testbed {
  name: string;
  root: string;
  env: Record<string, string>;
  kubeconfig: string;
  apiserverUrl: string;
  adminToken: string;
  issuer: string;
  fakes: Record<string, FakeServer>;
  secretManager: SecretManagerEmulator;
  processes: Managed[];
  /** The node, when started with `node: true`. */
  node?: TestbedNode;
  /** The apiserver's JSON audit log, when started with `audit: true`. */
  auditLog?: string;
  /** The kube-apiserver process now (the last one started). */
  apiserver(): Managed;
  /**
   * Starts kube-apiserver again with the flags, certificates and port of the last one (which must
   * have exited: a test kills it on purpose) and waits until it is ready.
   */
  restartApiserver(): Promise<Managed>;
  /** Restarts the testbed made on its own after a known apiserver crash (isOpenApiCacheRace). */
  apiserverRespawns: ApiserverRespawn[];
  stop(): Promise<void>;
}

/**
 * Takes an instance directory for this process with an exclusive lock file (atomic, so two runs
 * started in the same second cannot both take it). A lock whose owner is dead was left by a
 * crashed run and is taken over; its processes are reaped from pids.json.
 */
function claimInstance(root: string): boolean {
  mkdirSync(root, { recursive: true });
  const lock = join(root, 'owner.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lock, 'utf8')) || 0;
      if (owner === process.pid) return true;
      if (owner > 0 && alive(owner)) return false;
      rmSync(lock, { force: true });
    }
  }
  return false;
}

function rootFor(name: string): string {
  return name === 'main' ? join(repoRoot, '.testbed') : join(repoRoot, '.testbed', 'instances', name);
}

/**
 * Ports are picked free and bound later by other processes, so on a busy machine another process
 * can take one in between; such a start is stopped and tried again on new ports.
 */
export async function startTestbed(opts: TestbedOptions = {}): Promise<Testbed> {
  const progress = opts.progress ?? ((l: string) => console.error(l));
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestbedOnce(opts);
    } catch (err) {
      if (attempt >= PORT_CLASH_ATTEMPTS || !isPortClash(err)) throw err;
      progress(
        `testbed: a port picked for this run was taken by another process; starting again on new ports`,
      );
    }
  }
}

async function startTestbedOnce(opts: TestbedOptions): Promise<Testbed> {
  const progress = opts.progress ?? ((l: string) => console.error(l));
  let name = opts.name ?? 'main';
  if (!claimInstance(rootFor(name))) {
    // Another live run owns this instance (e.g. `npm run testbed` in another terminal): leave it alone.
    name = `run-${process.pid}`;
    progress(
      `testbed: ${rootFor(opts.name ?? 'main')} is in use by another run; this one uses ${rootFor(name)}`,
    );
    claimInstance(rootFor(name));
  }
  const root = rootFor(name);
  const pids = new PidFile(join(root, 'pids.json'));
  // A crashed run's node first: its pods' mounts live under the directories removed below.
  const reaped = [...(await stopNode(root)), ...(await pids.reapStale())];
  if (reaped.length) progress(`testbed: stopped leftovers of a crashed run: ${reaped.join(', ')}`);
  for (const d of ['etcd', 'pki', 'logs', 'pubsub']) rmSync(join(root, d), { recursive: true, force: true });
  const logs = join(root, 'logs');
  mkdirSync(logs, { recursive: true });

  const processes: Managed[] = [];
  const fakes: Record<string, FakeServer> = {};
  const track = (m: Managed) => {
    processes.push(m);
    pids.add({
      name: m.name,
      pid: m.pid,
      marker: m.name === 'pubsub-emulator' ? 'pubsub' : String(m.child.spawnfile),
      owner: process.pid,
    });
  };
  let stopping = false;
  const apiserverRespawns: ApiserverRespawn[] = [];
  const apiserver = () => processes.filter((p) => p.name === 'kube-apiserver').at(-1)!;
  // kube-apiserver v1.36.3 can crash on a race inside kube-openapi when a CRD group-version is
  // registered (isOpenApiCacheRace says why). That crash, and only that one, is repaired here: the
  // apiserver is started again on the same port and etcd, as a kubelet would restart a static pod
  // (at most MAX_RACE_RESTARTS times per testbed). Any other exit (a test's SIGKILL, a stop, another
  // crash) is left alone.
  const MAX_RACE_RESTARTS = 5;
  const raceCrash = (m: Managed, code: number | null | undefined, offset: number): boolean => {
    if (stopping || code !== 2 || !isOpenApiCacheRace(logSince(m.logFile, offset))) return false;
    if (apiserverRespawns.length >= MAX_RACE_RESTARTS) return false;
    apiserverRespawns.push({
      at: Date.now(),
      cause: 'kube-openapi cache race (see isOpenApiCacheRace in dev/testbed/controlplane.ts)',
    });
    progress(
      `testbed: kube-apiserver crashed on the kube-openapi cache race while registering a CRD group-version (a known upstream bug); restarting it — log: ${m.logFile}`,
    );
    return true;
  };
  /** Starts kube-apiserver with the flags of `like`, waits until it is ready, then supervises it. */
  const startApiserver = async (like: Managed): Promise<Managed> => {
    for (let prev = like; ;) {
      const offset = logOffset(prev.logFile);
      const m = spawnManaged({
        name: 'kube-apiserver',
        command: prev.child.spawnfile,
        args: prev.child.spawnargs.slice(1),
        logFile: prev.logFile,
      });
      track(m);
      const port = /--secure-port=(\d+)/.exec(prev.child.spawnargs.join(' '))![1]!;
      try {
        await waitReady(
          m,
          'kube-apiserver',
          m.logFile,
          () => httpsOk(`https://127.0.0.1:${port}/readyz`, adminTokenOf(root)),
          180_000,
        );
      } catch (err) {
        const code = await Promise.race([m.exited, sleep(1000).then(() => undefined)]);
        if (raceCrash(m, code, offset)) {
          prev = m;
          continue;
        }
        throw err;
      }
      supervise(m, offset);
      return m;
    }
  };
  const supervise = (m: Managed, offset: number) => {
    m.exited
      .then(async (code) => {
        if (m !== apiserver() || !raceCrash(m, code, offset)) return;
        await startApiserver(m);
      })
      .catch((err: Error) => progress(`testbed: kube-apiserver did not come back: ${err.message}`));
  };
  const restartApiserver = async (): Promise<Managed> => {
    const old = apiserver();
    if (alive(old.pid)) throw new TestbedError('testbed: kube-apiserver is still running; stop it first');
    return startApiserver(old);
  };
  const stop = async () => {
    stopping = true;
    // The node (started here or by a test worker) before the control plane it reports to.
    await stopNode(root).catch((err: Error) => progress(`testbed: stopping the node: ${err.message}`));
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    await Promise.all([...processes].reverse().map((p) => killGroup(p.pid)));
    pids.clear();
    rmSync(join(root, 'owner.pid'), { force: true });
    if (name.startsWith('run-')) rmSync(root, { recursive: true, force: true });
  };

  try {
    const withPubSub = opts.withPubSub ?? true;
    const withMoto = opts.withMoto ?? true;
    const pubsubBin = withPubSub ? findPubSubEmulator() : undefined;
    const [cpBin, motoBin] = await Promise.all([
      ensureControlPlane(progress),
      withMoto ? ensureMoto(progress) : Promise.resolve(undefined),
    ]);
    const [
      motoPort,
      pubsubPort,
      mdPort,
      stsPort,
      iamPort,
      gsmPort,
      awsStsPort,
      podIdPort,
      strictMotoPort,
      strictFrontPort,
      strictStsPort,
      strictPodIdPort,
    ] = (await freePorts(12)) as number[];

    // Emulators start while the control plane comes up.
    const emulators: Promise<void>[] = [];
    const motoUrl = `http://127.0.0.1:${motoPort}`;
    // A second moto enforces IAM (switching it on is server-wide, and the shared one serves tests
    // whose identities have no IAM users or roles): see fakes/aws-strict.ts.
    const strictMotoUrl = `http://127.0.0.1:${strictMotoPort}`;
    let strictAdmin: AwsKeys | undefined;
    if (motoBin) {
      for (const [name, url] of [
        ['moto', motoUrl],
        ['moto-iam', strictMotoUrl],
      ] as const) {
        const moto = spawnManaged({
          name,
          command: motoBin,
          args: ['-H', '127.0.0.1', '-p', new URL(url).port],
          logFile: join(logs, `${name}.log`),
        });
        track(moto);
        const ready = waitReady(
          moto,
          name,
          moto.logFile,
          async () => (await fetch(`${url}/moto-api/`)).ok,
          60000,
        );
        emulators.push(
          name === 'moto'
            ? ready
            : ready.then(async () => {
                strictAdmin = await enforceIam(strictMotoUrl);
              }),
        );
      }
    }
    if (pubsubBin) {
      const dataDir = join(root, 'pubsub');
      mkdirSync(dataDir, { recursive: true });
      const ps = spawnManaged({
        name: 'pubsub-emulator',
        command: pubsubBin,
        args: [`--host=127.0.0.1`, `--port=${pubsubPort}`, `--dir=${dataDir}`],
        logFile: join(logs, 'pubsub-emulator.log'),
      });
      track(ps);
      emulators.push(
        waitReady(
          ps,
          'pubsub-emulator',
          ps.logFile,
          async () => (await fetch(`http://127.0.0.1:${pubsubPort}/`)).ok,
          90000,
        ),
      );
    }
    let audit: { auditPolicy: string; auditLog: string } | undefined;
    if (opts.audit) {
      audit = { auditPolicy: join(root, 'audit-policy.yaml'), auditLog: join(logs, 'audit.log') };
      writeFileSync(audit.auditPolicy, opts.audit === true ? AUDIT_POLICY : AUDITED_ACCOUNTS_POLICY);
    }
    const cp = await startControlPlane(cpBin, root, logs, track, audit, nodeAddress(root));
    supervise(apiserver(), 0);
    await Promise.all(emulators);

    const verifier = new JwksVerifier(cp.apiserverUrl, cp.adminToken, cp.issuer);
    const tokens = new GcpTokens();
    const secretManager = new SecretManagerEmulator(tokens);
    fakes.metadata = metadataServer(tokens);
    fakes.gcpSts = stsServer(tokens, verifier);
    fakes.iamCredentials = iamCredentialsServer(tokens);
    fakes.secretManager = secretManager.server;
    fakes.awsSts = stsFront(motoUrl, verifier);
    fakes.podIdentity = podIdentityAgent(motoUrl, verifier);
    if (strictAdmin) {
      fakes.awsStrict = strictAwsFront(strictMotoUrl);
      fakes.awsStrictSts = stsFront(strictMotoUrl, verifier, strictAdmin);
      fakes.awsStrictPodIdentity = podIdentityAgent(strictMotoUrl, verifier, strictAdmin);
    }
    await Promise.all([
      fakes.metadata.listen(mdPort!),
      fakes.gcpSts.listen(stsPort!),
      fakes.iamCredentials.listen(iamPort!),
      fakes.secretManager.listen(gsmPort!),
      fakes.awsSts.listen(awsStsPort!),
      fakes.podIdentity.listen(podIdPort!),
      fakes.awsStrict?.listen(strictFrontPort!),
      fakes.awsStrictSts?.listen(strictStsPort!),
      fakes.awsStrictPodIdentity?.listen(strictPodIdPort!),
    ]);

    const env: Record<string, string> = {
      KUBECONFIG: cp.kubeconfig,
      GOOGLE_CLOUD_PROJECT: TESTBED_PROJECT,
      GCE_METADATA_HOST: `127.0.0.1:${mdPort}`,
      SECRETSYNC_GCP_ENDPOINT: `http://127.0.0.1:${gsmPort}`,
      // For setup calls by tests, the demo and the benchmark (roles/secretmanager.admin everywhere);
      // never given to a controller.
      SECRETSYNC_GCP_ADMIN_TOKEN: secretManager.adminToken,
      SECRETSYNC_GCP_STS_ENDPOINT: `http://127.0.0.1:${stsPort}`,
      SECRETSYNC_GCP_IAMCREDENTIALS_ENDPOINT: `http://127.0.0.1:${iamPort}`,
      SECRETSYNC_TESTBED_APISERVER: cp.apiserverUrl,
      SECRETSYNC_TESTBED_ROOT: root,
      ...(audit ? { SECRETSYNC_TESTBED_AUDIT_LOG: audit.auditLog } : {}),
      ...(withPubSub
        ? { PUBSUB_EMULATOR_HOST: `127.0.0.1:${pubsubPort}`, PUBSUB_PROJECT_ID: TESTBED_PROJECT }
        : {}),
      ...(withMoto
        ? awsIdentityEnv(
            motoUrl,
            `http://127.0.0.1:${awsStsPort}`,
            `http://127.0.0.1:${podIdPort}/v1/credentials`,
          )
        : {}),
      ...(strictAdmin
        ? {
            SECRETSYNC_TESTBED_AWS_STRICT_URL: `http://127.0.0.1:${strictFrontPort}`,
            SECRETSYNC_TESTBED_AWS_STRICT_STS_URL: `http://127.0.0.1:${strictStsPort}`,
            SECRETSYNC_TESTBED_AWS_STRICT_POD_IDENTITY_URL: `http://127.0.0.1:${strictPodIdPort}/v1/credentials`,
            SECRETSYNC_TESTBED_AWS_STRICT_ADMIN_KEY_ID: strictAdmin.accessKeyId,
            SECRETSYNC_TESTBED_AWS_STRICT_ADMIN_SECRET: strictAdmin.secretAccessKey,
          }
        : {}),
    };
    const node = opts.node
      ? await startNode({ root, apiserverUrl: cp.apiserverUrl, adminToken: cp.adminToken }, progress)
      : undefined;
    writeFileSync(
      join(root, 'env'),
      Object.entries(env)
        .map(([k, v]) => `export ${k}='${v}'`)
        .join('\n') + '\n',
    );
    return {
      name,
      root,
      env,
      kubeconfig: cp.kubeconfig,
      apiserverUrl: cp.apiserverUrl,
      adminToken: cp.adminToken,
      issuer: cp.issuer,
      fakes,
      secretManager,
      processes,
      ...(node && { node }),
      ...(audit && { auditLog: audit.auditLog }),
      apiserver,
      restartApiserver,
      apiserverRespawns,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The admin token startControlPlane wrote (pki/tokens.csv: token,user,uid,groups). */
function adminTokenOf(root: string): string {
  return readFileSync(join(root, 'pki', 'tokens.csv'), 'utf8').split(',')[0]!;
}

export function testbedEnvFile(name = 'main'): string | undefined {
  const f = join(rootFor(name), 'env');
  return existsSync(f) ? f : undefined;
}
