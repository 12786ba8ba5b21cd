// Where the machine's CPU went during a scenario: busy time of all cores (/proc/stat) and CPU
// time per component (/proc/<pid>/stat of every process, labelled by its command line), so that a
// converge bounded by the machine rather than by the controller shows as such.
import { readdirSync, readFileSync } from 'node:fs';

const USER_HZ = 100;

export interface CpuSnapshot {
  at: number;
  busyS: number;
  byPid: Map<number, { label: string; cpuS: number }>;
}

export interface CpuUse {
  wallS: number;
  /** Busy CPU seconds of the whole machine per wall second (at most the number of cores). */
  busyCores: number;
  /** CPU seconds per component, largest first. */
  byComponent: Array<[string, number]>;
}

function machineBusyS(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const f = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return (total - idle) / USER_HZ;
}

function pidCpuS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Names a process by its command line (`undefined`: count it as "other"). */
export type Labeller = (pid: number, cmdline: string) => string | undefined;

export function testbedLabels(named: Record<number, string>): Labeller {
  return (pid, cmd) => {
    if (named[pid]) return named[pid];
    if (/controlplane apiserver/.test(cmd)) return 'kube-apiserver';
    if (/controlplane etcd/.test(cmd)) return 'etcd';
    if (/controlplane controller-manager/.test(cmd)) return 'kube-controller-manager';
    if (/pubsub-emulator/.test(cmd)) return 'Pub/Sub emulator';
    if (/moto_server/.test(cmd)) return 'moto';
    return undefined;
  };
}

export function snapshotCpu(label: Labeller): CpuSnapshot {
  const byPid = new Map<number, { label: string; cpuS: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const cpuS = pidCpuS(pid);
    if (cpuS !== undefined) byPid.set(pid, { label: label(pid, cmd) ?? 'other processes', cpuS });
  }
  return { at: Date.now(), busyS: machineBusyS(), byPid };
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wallS = (b.at - a.at) / 1000;
  const byComponent = new Map<string, number>();
  for (const [pid, now] of b.byPid) {
    const used = now.cpuS - (a.byPid.get(pid)?.cpuS ?? 0);
    byComponent.set(now.label, (byComponent.get(now.label) ?? 0) + used);
  }
  return {
    wallS,
    busyCores: wallS > 0 ? (b.busyS - a.busyS) / wallS : 0,
    byComponent: [...byComponent].filter(([, s]) => s >= 0.05).sort((x, y) => y[1] - x[1]),
  };
}
