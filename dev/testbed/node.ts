// A node for the testbed: containerd 2.x + runc, CNI (bridge, host-local, loopback, portmap), a
// kubelet and kube-scheduler from the same Kubernetes build as the control plane, and a second
// kube-controller-manager that runs only the controllers nodes need (node lifecycle, the
// kube-root-ca.crt publisher, pod GC, EndpointSlices), and kube-proxy (iptables mode) for the
// Service network — so a testbed without a node runs the same processes as before (its apiserver
// only gains the Node authorizer, a kubelet user and the bridge address as its advertised
// address). Everything
// lives under <instance>/node: containerd's root and state (its network
// namespaces too), the kubelet's root, pod logs, CNI's IP allocations; the pods' cgroups live
// under one cgroup of their own (`secretsync-<instance>`). What is running is recorded in
// node-state.json, so that any process — the jest worker that started the node, the global
// teardown, the next run after a crash — can stop it and reap what it leaves: the pods'
// processes, containerd's shims, mounts, the bridge and the cgroups.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { NODE_NAME, httpsGet, httpsOk, writeKubeconfig } from './controlplane';
import { ensureNode } from './install';
import { freePorts } from './ports';
import { TestbedError, alive, killGroup, spawnManaged, waitReady, type Managed } from './process';

const execFileP = promisify(execFile);
/** Helper commands (ctr, ip, umount) are bounded too: a stuck one fails the start, never hangs it. */
const run = (cmd: string, args: string[]) => execFileP(cmd, args, { timeout: 60_000 });

export { NODE_NAME };

/** What the node needs from the testbed it joins. */
export interface NodeHost {
  /** The testbed's instance directory (.testbed or .testbed/instances/<name>). */
  root: string;
  apiserverUrl: string;
  adminToken: string;
}

/**
 * The node is tainted: only pods that tolerate it run there. Every other test file shares the
 * apiserver and makes workloads whose pods are meant to stay Pending (their images cannot be
 * pulled); on the node they would wait on their image, and the rollout side holds restarts of
 * such workloads (rollout/hold.ts), which those tests do not expect.
 */
export const NODE_TAINT = {
  key: 'secretsync.dev/testbed-node',
  value: 'true',
  effect: 'NoSchedule',
} as const;
export const NODE_TOLERATION = { ...NODE_TAINT, operator: 'Equal' } as const;

export interface TestbedNode {
  name: string;
  /** Images imported into the node's containerd (pull policy: never pulled, no registry). */
  images: { pause: string; secrethash: string };
  logs: string;
  /**
   * Why pods have no Service network (no kube-proxy: the `kubernetes` Service and every other
   * ClusterIP unreachable), or undefined when they have one.
   */
  noServices?: string;
}

interface NodeState extends TestbedNode {
  ready: boolean;
  owner: number;
  processes: { name: string; pid: number; marker: string }[];
  socket: string;
  ctr: string;
  bridge: string;
  cgroup: string;
  podLogs: string;
}

const nodeDir = (root: string) => join(root, 'node');
const stateFile = (root: string) => join(root, 'node-state.json');
const lockFile = (root: string) => join(root, 'node.lock');

/** The kubelet's bearer token (pki/tokens.csv, written by startControlPlane). */
function kubeletToken(root: string): string {
  const line = readFileSync(join(root, 'pki', 'tokens.csv'), 'utf8')
    .split('\n')
    .find((l) => l.includes(`system:node:${NODE_NAME}`));
  if (!line) throw new TestbedError('testbed: no kubelet token in pki/tokens.csv (control plane too old?)');
  return line.split(',')[0]!;
}

function readState(root: string): NodeState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(root), 'utf8')) as NodeState;
  } catch {
    return undefined;
  }
}

/**
 * The node's IP: its bridge's address. The apiserver advertises it (the `kubernetes` Service's
 * endpoint) from its start, before any node exists.
 */
export function nodeAddress(root: string): string {
  return instanceIds(root).gateway;
}

/** The node's bridge interface (pods' default route leads to its address). */
export function nodeBridge(root: string): string {
  return instanceIds(root).bridge;
}

/** Short names derived from the instance directory: interface names are at most 15 bytes. */
function instanceIds(root: string): {
  bridge: string;
  subnet: string;
  gateway: string;
  cgroup: string;
  network: string;
} {
  const h = createHash('sha256').update(root).digest();
  return {
    bridge: `ssbr${h.toString('hex').slice(0, 6)}`,
    // 10.244.<n>.0/24: one /24 per instance, so two testbeds' bridges do not share routes.
    subnet: `10.244.${h[3]! % 250}.0/24`,
    gateway: `10.244.${h[3]! % 250}.1`,
    cgroup: `secretsync-${h.toString('hex').slice(0, 10)}`,
    network: `secretsync-${h.toString('hex').slice(0, 6)}`,
  };
}

/** cgroup v1 hierarchies (one directory per controller), or [''] for a unified (v2) hierarchy. */
function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  if (existsSync(join(base, 'cgroup.controllers'))) return [base];
  // With v1 the kubelet and runc also make cgroups in the unified (v2) hierarchy when it is mounted.
  return readdirSync(base)
    .map((d) => join(base, d))
    .filter((d) => {
      try {
        return lstatSync(d).isDirectory() && existsSync(join(d, 'cgroup.procs'));
      } catch {
        return false;
      }
    });
}

/** Creates the node's cgroup in every hierarchy (the kubelet refuses a cgroupRoot that is missing). */
function makeCgroup(name: string): void {
  for (const h of cgroupHierarchies()) {
    const dir = join(h, name);
    mkdirSync(dir, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes: nothing could run in it.
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, f)) && !readFileSync(join(dir, f), 'utf8').trim())
        writeFileSync(join(dir, f), readFileSync(join(h, f), 'utf8'));
    }
  }
}

function cgroupDirs(name: string): string[] {
  const dirs: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(d, e.name));
    dirs.push(d); // children before parents
  };
  for (const h of cgroupHierarchies()) walk(join(h, name));
  return dirs;
}

/** SIGKILLs every process in the node's cgroups (the pods), then removes the cgroups. */
async function reapCgroup(name: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 50; round++) {
    const pids = new Set<number>();
    for (const d of cgroupDirs(name)) {
      try {
        for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
      } catch {
        /* gone */
      }
    }
    if (!pids.size) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
    await sleep(100);
  }
  for (const d of cgroupDirs(name)) {
    for (let i = 0; i < 20; i++) {
      try {
        rmdirSync(d);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        await sleep(100); // EBUSY while the last task is still exiting
      }
    }
  }
  return killed;
}

/** Processes whose command line contains `needle` (containerd's shims carry our socket path). */
function pidsWithCmdline(needle: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle))
        found.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return found;
}

/** Unmounts everything mounted under `dir`, deepest first (overlay rootfs, tmpfs volumes, netns). */
async function unmountUnder(dir: string): Promise<number> {
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  let count = 0;
  for (let round = 0; round < 5; round++) {
    const points = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => decode(l.split(' ')[4] ?? ''))
      .filter((p) => p.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    if (!points.length) break;
    for (const p of points) {
      await run('umount', [p]).catch(() => run('umount', ['-l', p]).catch(() => undefined));
      count++;
    }
  }
  return count;
}

/**
 * Stops the node of the testbed at `root` and removes what it leaves on the machine. Safe to call
 * from any process and when no node runs (then it only checks); used by stop, and at the next
 * start after a crash.
 */
export async function stopNode(root: string): Promise<string[]> {
  const done: string[] = [];
  const state = readState(root);
  const ids = instanceIds(root);
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return '';
    }
  };
  const procs = state?.processes ?? [];
  // The kubelet and the scheduler first (nothing restarts pods then), containerd last.
  for (const p of procs.filter((p) => p.name !== 'containerd')) {
    if (alive(p.pid) && cmdline(p.pid).includes(p.marker)) {
      await killGroup(p.pid);
      done.push(`${p.name}(${p.pid})`);
    }
  }
  const killed = await reapCgroup(ids.cgroup);
  if (killed) done.push(`${killed} pod processes`);
  const socket = state?.socket ?? join(nodeDir(root), 'containerd', 'containerd.sock');
  const shims = pidsWithCmdline(`containerd-shim-runc-v2 -namespace k8s.io`).filter((pid) =>
    cmdline(pid).includes(socket),
  );
  for (const pid of shims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 60 && shims.some((pid) => alive(pid)); i++) await sleep(50);
  if (shims.length) done.push(`${shims.length} containerd shims`);
  // Shims listen on sockets under a fixed directory and leave them when killed: removed once no
  // shim of any containerd runs on the machine.
  if (!pidsWithCmdline('containerd-shim').length) {
    rmSync('/run/containerd/s', { recursive: true, force: true });
    try {
      rmdirSync('/run/containerd');
    } catch {
      /* not empty (another containerd), or absent */
    }
  }
  for (const p of procs.filter((p) => p.name === 'containerd')) {
    if (alive(p.pid) && cmdline(p.pid).includes(p.marker)) {
      await killGroup(p.pid);
      done.push(`${p.name}(${p.pid})`);
    }
  }
  const mounts = await unmountUnder(nodeDir(root));
  if (mounts) done.push(`${mounts} mounts`);
  if (existsSync(`/sys/class/net/${ids.bridge}`)) {
    await run('ip', ['link', 'del', ids.bridge]).catch(() => undefined);
    done.push(`bridge ${ids.bridge}`);
  }
  // The kubelet links every container's log into /var/log/containers (a fixed path).
  const podLogs = state?.podLogs ?? join(nodeDir(root), 'pod-logs');
  try {
    for (const f of readdirSync('/var/log/containers')) {
      const link = join('/var/log/containers', f);
      try {
        if (readlinkSync(link).startsWith(podLogs)) rmSync(link, { force: true });
      } catch {
        /* not a link */
      }
    }
  } catch {
    /* no such directory */
  }
  // The kubelet's device-plugin socket has a fixed path too; removed when no kubelet is left.
  if (!pidsWithCmdline(' kubelet --config=').length) {
    rmSync('/var/lib/kubelet/device-plugins/kubelet.sock', { force: true });
    for (const d of ['/var/lib/kubelet/device-plugins', '/var/lib/kubelet', '/var/log/containers']) {
      try {
        rmdirSync(d);
      } catch {
        /* not empty, or absent */
      }
    }
  }
  // kube-proxy's and the kubelet's iptables chains have fixed, machine-wide names (KUBE-*): each
  // one's are removed once no process of its kind runs anywhere on the machine (other testbeds').
  const removed = await removeKubeChains({
    proxy: !pidsWithCmdline(PROXY_MARKER).length,
    kubelet: !pidsWithCmdline(' kubelet --config=').length,
  });
  if (removed) done.push(`${removed} iptables chains`);
  rmSync(stateFile(root), { force: true });
  return done;
}

/** Identifies a testbed's kube-proxy on the command line of any process (`controlplane proxy ...`). */
const PROXY_MARKER = ' proxy --proxy-mode=iptables';

/** The kubelet's chains; every other KUBE-* chain is kube-proxy's. */
const KUBELET_CHAINS = new Set(['KUBE-KUBELET-CANARY', 'KUBE-FIREWALL', 'KUBE-IPTABLES-HINT']);

/**
 * Removes KUBE-* chains, and the rules of the built-in chains that jump to them, from the IPv4 and
 * IPv6 tables: kube-proxy's (its Services) and/or the kubelet's (its canaries and KUBE-FIREWALL).
 * The machine runs no other Kubernetes (those chains are the testbeds').
 */
async function removeKubeChains(which: { proxy: boolean; kubelet: boolean }): Promise<number> {
  const ours = (chain: string) => (KUBELET_CHAINS.has(chain) ? which.kubelet : which.proxy);
  if (!which.proxy && !which.kubelet) return 0;
  let removed = 0;
  for (const [save, restore] of [
    ['iptables-save', 'iptables-restore'],
    ['ip6tables-save', 'ip6tables-restore'],
  ] as const) {
    let dump: string;
    try {
      dump = (await run(save, [])).stdout;
    } catch {
      continue; // no such tool or table support
    }
    // One restore per table, without flushing what is not ours: delete the jumps into KUBE-*
    // chains, then flush and delete those chains.
    let script = '';
    for (const block of dump.split(/^\*/m).slice(1)) {
      const table = block.split('\n')[0]!.trim();
      const chains = [...block.matchAll(/^:(KUBE-[^\s]+)/gm)].map((m) => m[1]!).filter(ours);
      if (!chains.length) continue;
      const jumps = [...block.matchAll(/^-A ((?!KUBE-)\S+) (.*-j (KUBE-\S+).*)$/gm)]
        .filter((m) => ours(m[3]!))
        .map((m) => `-D ${m[1]} ${m[2]}`);
      script += `*${table}\n${jumps.join('\n')}${jumps.length ? '\n' : ''}`;
      script += chains.map((c) => `-F ${c}`).join('\n') + '\n';
      script += chains.map((c) => `-X ${c}`).join('\n') + '\nCOMMIT\n';
      removed += chains.length;
    }
    if (!script) continue;
    await new Promise<void>((resolve) => {
      const child = execFile(restore, ['--noflush'], { timeout: 60_000 }, () => resolve());
      child.stdin?.end(script);
    });
  }
  return removed;
}

function containerdConfig(dir: string, cniBin: string, cniConf: string, runc: string, pause: string): string {
  return `version = 3
root = "${dir}/root"
state = "${dir}/state"
temp = "${dir}/tmp"
# NRI would listen on a fixed path under /var/run; the testbed does not use it.
disabled_plugins = ["io.containerd.nri.v1.nri"]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "${dir}/opt"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${pause}"

[plugins.'io.containerd.cri.v1.runtime']
  # Network namespaces under our state dir, not /var/run/netns: reaping finds them there.
  netns_mounts_under_state_dir = true
  # The machine withholds CAP_SYS_RESOURCE: no process may lower its oom_score_adj, and the kubelet
  # asks for -998 for sandboxes (and -997 for Guaranteed pods). Clamped to containerd's own score.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "${runc}"
        # runc's state under ours, not /run/containerd/runc.
        Root = "${dir}/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${cniBin}"]
    conf_dir = "${cniConf}"
`;
}

function cniConfig(network: string, bridge: string, subnet: string, ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: network,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          // No masquerading: pods talk to each other and to the host over the bridge; there is
          // nowhere else to go (no internet), and no iptables rules are left behind.
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: ipamDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

function kubeletConfig(o: {
  address: string;
  socket: string;
  port: number;
  healthzPort: number;
  cgroup: string;
  podLogs: string;
  dir: string;
}): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The machine has cgroup v1 only; Kubernetes 1.35+ refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${o.cgroup}
containerRuntimeEndpoint: unix://${o.socket}
address: ${o.address}
port: ${o.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.healthzPort}
# The kubelet API listens on the node's bridge only (the host and its pods); the apiserver (logs,
# exec) connects without a client certificate, so the kubelet lets anonymous requests through.
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
podLogsDir: ${o.podLogs}
volumePluginDir: ${o.dir}/volume-plugins
failSwapOn: false
# Local images only (nothing can be pulled again) and a shared disk: never collect or evict for disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
shutdownGracePeriod: 0s
# How often the kubelet recomputes its status; it writes it only on a change (or every 5 min), so a
# shorter period costs no apiserver writes. Ready is reported at such a pass: with the default 10 s
# one node start in about a dozen took 21 s to become Ready (cause not identified).
nodeStatusUpdateFrequency: 2s
registerWithTaints: [{key: ${NODE_TAINT.key}, value: "${NODE_TAINT.value}", effect: ${NODE_TAINT.effect}}]
`;
}

/**
 * Starts the node for the testbed at `host.root` and waits until it is Ready. Throws a
 * TestbedError naming the component and its log when something cannot start (after reaping what
 * did start).
 */
export async function startNode(host: NodeHost, progress: (l: string) => void): Promise<TestbedNode> {
  if (process.getuid?.() !== 0)
    throw new TestbedError('testbed: the node needs root (containers, cgroups, network namespaces)');
  const hierarchies = cgroupHierarchies();
  try {
    if (!hierarchies.length) throw new Error('none');
    for (const h of hierarchies) accessSync(h, constants.W_OK);
  } catch {
    throw new TestbedError('testbed: the node needs writable cgroups under /sys/fs/cgroup');
  }
  const { kube, runtime, images, cniBin } = await ensureNode(progress);
  const started = Date.now();
  const phases: string[] = [];
  const mark = (what: string) => phases.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  const { root } = host;
  const reaped = await stopNode(root);
  if (reaped.length) progress(`testbed: stopped leftovers of an earlier node: ${reaped.join(', ')}`);
  const dir = nodeDir(root);
  rmSync(dir, { recursive: true, force: true });
  const logs = join(root, 'logs');
  const ids = instanceIds(root);
  const cd = join(dir, 'containerd');
  const paths = {
    socket: join(cd, 'containerd.sock'),
    cniConf: join(dir, 'cni', 'net.d'),
    kubelet: join(dir, 'kubelet'),
    podLogs: join(dir, 'pod-logs'),
  };
  for (const d of [cd, paths.cniConf, paths.kubelet, paths.podLogs]) mkdirSync(d, { recursive: true });
  makeCgroup(ids.cgroup);
  // The bridge is made here rather than by CNI at the first pod: its address is the node's IP.
  // The kubelet refuses a loopback node IP, and the apiserver reaches the kubelet (logs, exec) at
  // the node's InternalIP.
  for (const args of [
    ['link', 'add', 'name', ids.bridge, 'type', 'bridge'],
    ['addr', 'add', `${ids.gateway}/24`, 'dev', ids.bridge],
    ['link', 'set', ids.bridge, 'up'],
  ]) {
    await run('ip', args).catch((err: Error) => {
      throw new TestbedError(
        `testbed: the node's bridge: ip ${args.join(' ')} failed: ${err.message.split('\n')[0]}`,
      );
    });
  }

  const state: NodeState = {
    name: NODE_NAME,
    images: { pause: images.pause, secrethash: images.secrethash },
    logs,
    ready: false,
    owner: process.pid,
    processes: [],
    socket: paths.socket,
    ctr: runtime.ctr,
    bridge: ids.bridge,
    cgroup: ids.cgroup,
    podLogs: paths.podLogs,
  };
  const save = () => writeFileSync(stateFile(root), JSON.stringify(state, null, 2));
  const start = (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): Managed => {
    const m = spawnManaged({ name, command, args, logFile: join(logs, `${name}.log`), env });
    // The node outlives the jest worker that starts it; it is stopped by pid (stopNode).
    m.child.unref();
    state.processes.push({ name, pid: m.pid, marker: command });
    save();
    return m;
  };

  try {
    writeFileSync(
      join(cd, 'config.toml'),
      containerdConfig(cd, cniBin, paths.cniConf, runtime.runc, images.pause),
    );
    writeFileSync(
      join(paths.cniConf, '10-testbed.conflist'),
      cniConfig(ids.network, ids.bridge, ids.subnet, join(dir, 'cni', 'ipam')),
    );
    const containerd = start('containerd', runtime.containerd, ['--config', join(cd, 'config.toml')], {
      // containerd finds its shim on PATH.
      PATH: `${runtime.dir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    });
    const ctr = (...args: string[]) =>
      run(runtime.ctr, ['--address', paths.socket, '--namespace', 'k8s.io', ...args]);
    await waitReady(
      containerd,
      'containerd',
      containerd.logFile,
      async () => (await ctr('version'), true),
      30000,
    );
    for (const archive of Object.values(images.archives)) {
      await ctr('images', 'import', archive).catch((err: Error) => {
        throw new TestbedError(
          `testbed: importing ${archive} into containerd failed: ${err.message.split('\n')[0]}`,
        );
      });
    }

    const [kubeletPort, healthzPort, schedulerPort, kcmPort, proxyHealthz, proxyMetrics] = (await freePorts(
      6,
    )) as [number, number, number, number, number, number];
    const adminKubeconfig = join(root, 'kubeconfig');
    const kubeletKubeconfig = join(dir, 'kubelet.kubeconfig');
    writeKubeconfig(kubeletKubeconfig, host.apiserverUrl, kubeletToken(root), `system:node:${NODE_NAME}`);
    writeFileSync(
      join(dir, 'kubelet.yaml'),
      kubeletConfig({
        address: ids.gateway,
        socket: paths.socket,
        port: kubeletPort,
        healthzPort,
        cgroup: ids.cgroup,
        podLogs: paths.podLogs,
        dir,
      }),
    );
    const kcm = start('kube-controller-manager-node', kube, [
      'controller-manager',
      `--kubeconfig=${adminKubeconfig}`,
      `--authentication-kubeconfig=${adminKubeconfig}`,
      `--authorization-kubeconfig=${adminKubeconfig}`,
      // Only what a node needs on top of the testbed's controller-manager: the not-ready taint
      // lifted once the node is Ready, the kube-root-ca.crt ConfigMap every service-account
      // token volume mounts, pod GC, EndpointSlices for Services.
      '--controllers=nodelifecycle,root-ca-cert-publisher,podgc,endpointslice',
      `--root-ca-file=${join(root, 'pki', 'serving', 'apiserver.crt')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      `--secure-port=${kcmPort}`,
      '--bind-address=127.0.0.1',
      '--v=1',
    ]);
    const scheduler = start('kube-scheduler', kube, [
      'scheduler',
      `--kubeconfig=${adminKubeconfig}`,
      `--authentication-kubeconfig=${adminKubeconfig}`,
      `--authorization-kubeconfig=${adminKubeconfig}`,
      '--leader-elect=false',
      `--secure-port=${schedulerPort}`,
      '--bind-address=127.0.0.1',
      '--v=1',
    ]);
    const kubelet = start('kubelet', kube, [
      'kubelet',
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--root-dir=${paths.kubelet}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${ids.gateway}`,
      '--v=1',
    ]);
    // kube-proxy's rules are machine-wide (fixed chain names, one Service network): a second one
    // would overwrite them with another apiserver's Services.
    // The node then runs without one — pods, images and Secrets work as before — and says so:
    // tests that need Services report the reason (TestbedNode.noServices).
    const otherProxy = pidsWithCmdline(PROXY_MARKER);
    if (otherProxy.length) {
      state.noServices = `another testbed's kube-proxy (pid ${otherProxy.join(', ')}) holds this machine's Service rules (machine-wide iptables chains), so this node runs without one`;
      progress(`testbed: ${state.noServices}`);
    }
    const proxy = otherProxy.length
      ? undefined
      : start('kube-proxy', kube, [
          // First, so that PROXY_MARKER finds it on the command line.
          'proxy',
          '--proxy-mode=iptables',
          `--kubeconfig=${adminKubeconfig}`,
          `--hostname-override=${NODE_NAME}`,
          `--bind-address=${ids.gateway}`,
          `--cluster-cidr=${ids.subnet}`,
          // Pod → Service → pod on the same bridge: without masquerading the reply would go straight
          // from pod to pod and never be un-DNATed.
          '--masquerade-all',
          // Leave the machine's sysctls alone (route_localnet, conntrack limits and timeouts).
          '--iptables-localhost-nodeports=false',
          // NodePorts (none by default) on the node's address only, not every address of the machine.
          '--nodeport-addresses=primary',
          '--conntrack-max-per-core=0',
          '--conntrack-tcp-timeout-established=0',
          '--conntrack-tcp-timeout-close-wait=0',
          // The machine withholds CAP_SYS_RESOURCE (kube-proxy asks for -999).
          '--oom-score-adj=0',
          `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
          `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
          '--v=1',
        ]);
    mark('containerd and images');
    await Promise.all([
      waitReady(kcm, kcm.name, kcm.logFile, () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`), 60000),
      waitReady(
        scheduler,
        scheduler.name,
        scheduler.logFile,
        () => httpsOk(`https://127.0.0.1:${schedulerPort}/healthz`),
        60000,
      ),
      waitReady(
        kubelet,
        kubelet.name,
        kubelet.logFile,
        async () => (await fetch(`http://127.0.0.1:${healthzPort}/healthz`)).ok,
        60000,
      ),
      // Healthy once it has written the Services' rules.
      proxy &&
        waitReady(
          proxy,
          proxy.name,
          proxy.logFile,
          async () => (await fetch(`http://127.0.0.1:${proxyHealthz}/healthz`)).ok,
          60000,
        ),
    ]);
    // Ready: the kubelet reports Ready (runtime and CNI up) and the node lifecycle controller has
    // lifted the not-ready taint, so the scheduler places pods on it.
    mark('components healthy');
    await waitReady(kubelet, 'kubelet', kubelet.logFile, () => nodeReady(host), 60000);
    state.ready = true;
    save();
    progress(
      `testbed: node ${NODE_NAME} Ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${phases.join(', ')})`,
    );
    return { name: state.name, images: state.images, logs, noServices: state.noServices };
  } catch (err) {
    await stopNode(root);
    throw err;
  }
}

async function nodeReady(host: NodeHost): Promise<boolean> {
  const body = await httpsGet(`${host.apiserverUrl}/api/v1/nodes/${NODE_NAME}`, host.adminToken);
  if (body === undefined) return false;
  const node = JSON.parse(body) as {
    spec?: { taints?: { key: string }[] };
    status?: { conditions?: { type: string; status: string }[] };
  };
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready && !(node.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/not-ready'));
}

/**
 * The node of the testbed at `host.root`, started on first use and shared by every process of the
 * run afterwards (jest workers): one process starts it under an exclusive lock, the others wait for
 * it to be Ready. It runs until the testbed stops (stopNode).
 */
export async function sharedNode(
  host: NodeHost,
  progress: (l: string) => void,
  timeoutMs: number,
): Promise<TestbedNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(host.root);
    if (state?.ready && state.processes.every((p) => alive(p.pid)))
      return { name: state.name, images: state.images, logs: state.logs, noServices: state.noServices };
    let mine = false;
    try {
      writeFileSync(lockFile(host.root), String(process.pid), { flag: 'wx' });
      mine = true;
    } catch {
      const owner = Number(readFileSync(lockFile(host.root), 'utf8')) || 0;
      if (owner > 0 && !alive(owner)) rmSync(lockFile(host.root), { force: true });
    }
    if (mine) {
      try {
        return await startNode(host, progress);
      } finally {
        rmSync(lockFile(host.root), { force: true });
      }
    }
    if (Date.now() > deadline)
      throw new TestbedError(
        `testbed: the node was not Ready within ${Math.round(timeoutMs / 1000)}s (started by another process) — log: ${join(host.root, 'logs', 'kubelet.log')}`,
      );
    await sleep(500);
  }
}

/** Imports an OCI archive into the running node's containerd (pods then use it with pullPolicy Never). */
export async function importImage(root: string, archive: string): Promise<void> {
  const state = readState(root);
  if (!state?.ready) throw new TestbedError('testbed: no node is running');
  await run(state.ctr, ['--address', state.socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
}

/**
 * Gives an image in the node's containerd a second name — e.g. the name `deploy/` uses
 * (`secretsync:0.1.0`), so that manifests run unchanged: the kubelet finds the image present and
 * pulls nothing (pull policy IfNotPresent, the default for a tag other than `latest`).
 */
export async function tagImage(root: string, ref: string, alias: string): Promise<void> {
  const state = readState(root);
  if (!state?.ready) throw new TestbedError('testbed: no node is running');
  await run(state.ctr, [
    '--address',
    state.socket,
    '--namespace',
    'k8s.io',
    'images',
    'tag',
    '--force',
    ref,
    alias,
  ]);
}
