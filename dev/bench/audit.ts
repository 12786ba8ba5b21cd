// Counts apiserver writes server-side from the testbed's audit log (JSON lines, Metadata level,
// writes to Secrets, ExternalSecrets (and status), Events and Deployments only; see AUDIT_POLICY in
// dev/testbed/index.ts). Followed by offset; each event is kept in a slim form.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { sleep } from './util';

export interface AuditEntry {
  /** requestReceivedTimestamp, epoch ms. */
  t: number;
  user: string;
  verb: string;
  /** `secrets`, `externalsecrets/status`, `deployments`, `events`. */
  resource: string;
  namespace: string;
  name: string;
  code: number;
  /** The request's fieldManager query parameter, if any (e.g. the sharder's label patches). */
  fieldManager?: string;
}

export interface WriteCounts {
  /** create/update/patch/delete of Secrets. */
  secrets: number;
  /** patch/update of externalsecrets/status. */
  status: number;
  /** patch/update of Deployments (the rollout controller's records and restarts). */
  deployments: number;
  /** create/patch of Events (core or events.k8s.io). */
  events: number;
  /** Of all the above, answered with an error (conflicts, 422…). */
  failed: number;
}

interface RawEvent {
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp?: string;
  requestURI?: string;
}

export class AuditLog {
  private offset = 0;
  private partial = '';
  readonly entries: AuditEntry[] = [];

  constructor(readonly file: string) {}

  /** Reads what the apiserver appended since the last call. */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      const chunk = Buffer.alloc(1 << 20);
      while (this.offset < size) {
        const n = readSync(fd, chunk, 0, chunk.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const text = this.partial + chunk.subarray(0, n).toString('utf8');
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) this.add(line);
      }
    } finally {
      closeSync(fd);
    }
  }

  private add(line: string): void {
    if (!line.trim()) return;
    let e: RawEvent;
    try {
      e = JSON.parse(line) as RawEvent;
    } catch {
      return;
    }
    const ref = e.objectRef ?? {};
    const fieldManager =
      new URL(e.requestURI ?? '/', 'http://x').searchParams.get('fieldManager') ?? undefined;
    this.entries.push({
      t: Date.parse(e.requestReceivedTimestamp ?? ''),
      user: e.user?.username ?? '',
      verb: e.verb ?? '',
      resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : (ref.resource ?? ''),
      namespace: ref.namespace ?? '',
      name: ref.name ?? '',
      code: e.responseStatus?.code ?? 0,
      ...(fieldManager !== undefined && { fieldManager }),
    });
  }

  /** Polls after a short pause, so that requests answered just before `to` are in the file. */
  async settle(): Promise<void> {
    await sleep(500);
    this.poll();
  }

  /** Writes by `user` in `namespace` received in [from, to); `names` narrows to some objects. */
  count(q: { user: string; namespace: string; from: number; to: number; names?: (n: string) => boolean }) {
    const c: WriteCounts = { secrets: 0, status: 0, deployments: 0, events: 0, failed: 0 };
    for (const e of this.entries) {
      if (e.user !== q.user || e.namespace !== q.namespace || e.t < q.from || e.t >= q.to) continue;
      if (q.names && !q.names(e.name)) continue;
      if (e.resource === 'secrets') c.secrets++;
      else if (e.resource === 'externalsecrets/status') c.status++;
      else if (e.resource === 'deployments') c.deployments++;
      else if (e.resource === 'events') c.events++;
      else continue;
      if (e.code >= 400) c.failed++;
    }
    return c;
  }

  /** Drops entries older than `t` (keeps memory flat over a long run). */
  forgetBefore(t: number): void {
    const keep = this.entries.filter((e) => e.t >= t);
    this.entries.length = 0;
    this.entries.push(...keep);
  }
}
