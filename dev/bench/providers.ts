// Provider traffic counted server-side, never from the controller's own metrics:
// - GCP: the testbed's Secret Manager emulator runs in this process; every call it serves is
//   timestamped through its `onCall` hook (per project, so each variant counts only its own).
// - AWS: a counting HTTP proxy in front of moto; the controller's AWS_ENDPOINT_URL points at it and
//   each request is counted by its X-Amz-Target header (secretsmanager.* only).
// Also the benchmark's own writes to the clouds (creating and rotating secrets), which bypass both.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createServer, request, type Server } from 'node:http';
import { CONTROLLER_GSA } from '../testbed/fakes/gcp-identity';
import type { SecretManagerEmulator } from '../testbed/fakes/secretmanager';
import { pool } from './util';

export interface Call {
  t: number;
  method: string;
}

/** Calls the controller made to a provider, by time; the writes the benchmark made are excluded. */
export class CallLog {
  readonly calls: Call[] = [];

  record(method: string): void {
    this.calls.push({ t: Date.now(), method });
  }

  between(from: number, to: number): Call[] {
    return this.calls.filter((c) => c.t >= from && c.t < to);
  }

  clear(): void {
    this.calls.length = 0;
  }
}

/** Methods that read payloads (the expensive, billed-per-access kind). */
export const PAYLOAD_METHODS = new Set(['AccessSecretVersion', 'GetSecretValue', 'BatchGetSecretValue']);
/** Methods the benchmark itself uses to set up and rotate; never counted as controller traffic. */
const SETUP_METHODS = new Set(['CreateSecret', 'AddSecretVersion', 'PutSecretValue', 'DeleteSecret']);

export interface CallSummary {
  total: number;
  payload: number;
  metadata: number;
  byMethod: Record<string, number>;
}

export function summarize(calls: readonly Call[]): CallSummary {
  const byMethod: Record<string, number> = {};
  let payload = 0;
  for (const c of calls) {
    byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
    if (PAYLOAD_METHODS.has(c.method)) payload++;
  }
  return { total: calls.length, payload, metadata: calls.length - payload, byMethod };
}

// ---------------------------------------------------------------- GCP

export class GcpBench {
  /** Controller calls per project (set up with track()). */
  private readonly logs = new Map<string, CallLog>();

  constructor(
    private readonly emulator: SecretManagerEmulator,
    private readonly endpoint: string,
  ) {
    emulator.onCall = (method, project) => {
      if (SETUP_METHODS.has(method)) return;
      this.logs.get(project)?.record(method);
    };
  }

  /**
   * Counts the controller's calls for `project`, and grants its ambient identity what the measured
   * paths use there: payloads (secretAccessor) and version metadata for change checks (viewer).
   */
  track(project: string): CallLog {
    const log = new CallLog();
    this.logs.set(project, log);
    for (const role of ['roles/secretmanager.viewer', 'roles/secretmanager.secretAccessor'])
      this.emulator.iam.grant(`projects/${project}`, `serviceAccount:${CONTROLLER_GSA}`, role);
    return log;
  }

  untrack(project: string): void {
    this.logs.delete(project);
  }

  close(): void {
    this.emulator.onCall = undefined;
  }

  /** Setup calls are made as the testbed's admin, not as the controller. */
  private bearer(): string {
    return this.emulator.adminToken;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.endpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.bearer()}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok && res.status !== 409) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return json;
  }

  async addVersion(project: string, id: string, value: string): Promise<void> {
    await this.call('POST', `/v1/projects/${project}/secrets/${id}:addVersion`, {
      payload: { data: Buffer.from(value).toString('base64') },
    });
  }

  async put(project: string, id: string, value: string): Promise<void> {
    await this.call('POST', `/v1/projects/${project}/secrets?secretId=${encodeURIComponent(id)}`, {
      replication: { automatic: {} },
    });
    await this.addVersion(project, id, value);
  }

  async putAll(project: string, entries: readonly [string, string][], width = 16): Promise<void> {
    await pool(entries, width, ([id, v]) => this.put(project, id, v));
  }
}

// ---------------------------------------------------------------- AWS

/** A counting reverse proxy in front of moto. */
export class AwsCountingProxy {
  readonly log = new CallLog();
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    const upstream = new URL(this.target);
    this.server = createServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.startsWith('secretsmanager.')) {
        const method = target.slice('secretsmanager.'.length);
        if (!SETUP_METHODS.has(method)) this.log.record(method);
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(err));
      });
      req.pipe(out);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Creates secrets in moto directly (not through the proxy), with the SDK the controller uses. */
export class AwsBench {
  private readonly client: SecretsManagerClient;

  constructor(motoUrl: string) {
    this.client = new SecretsManagerClient({
      endpoint: motoUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }

  async put(name: string, value: string): Promise<void> {
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceExistsException') throw err;
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    }
  }

  async putAll(entries: readonly [string, string][], width = 16): Promise<void> {
    await pool(entries, width, ([n, v]) => this.put(n, v));
  }

  close(): void {
    this.client.destroy();
  }
}
