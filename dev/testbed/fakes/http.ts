// Minimal HTTP plumbing shared by the testbed fakes: JSON/form bodies, a request log that tests can
// read back (`GET /_testbed/requests`), and a listener on a loopback port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TokenFacts } from './jwt';

export interface Recorded {
  at: string;
  method: string;
  path: string;
  outcome: number;
  detail?: Record<string, unknown>;
  /** The service-account token the request presented, when the fake verified one. */
  token?: TokenFacts;
}

export type Handler = (req: IncomingMessage, body: Buffer, url: URL) => Promise<Reply> | Reply;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  detail?: Record<string, unknown>;
  token?: TokenFacts;
}

export function json(status: number, body: unknown, detail?: Record<string, unknown>): Reply {
  return { status, body, detail };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function parseForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

export class FakeServer {
  readonly requests: Recorded[] = [];
  private server?: Server;
  port = 0;

  constructor(
    readonly name: string,
    private readonly handler: Handler,
  ) {}

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        // serve() answers every handler failure; this is a reply it could not write (bad status or header).
        process.stderr.write(
          `${this.name}: no reply to ${req.method} ${req.url}: ${(err as Error).message}\n`,
        );
        res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.port = port;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let reply: Reply;
    try {
      const body = await readBody(req);
      if (url.pathname === '/_testbed/requests') {
        reply = json(200, this.requests);
      } else if (url.pathname === '/_testbed/reset' && req.method === 'POST') {
        this.requests.length = 0;
        reply = json(200, {});
      } else {
        reply = await this.handler(req, body, url);
        this.requests.push({
          at: new Date().toISOString(),
          method: req.method ?? 'GET',
          path: url.pathname,
          outcome: reply.status,
          detail: reply.detail,
          ...(reply.token && { token: reply.token }),
        });
      }
    } catch (err) {
      reply = json(500, { error: { code: 500, message: (err as Error).message, status: 'INTERNAL' } });
    }
    const headers = { ...reply.headers };
    let payload: string | Buffer = '';
    if (Buffer.isBuffer(reply.body) || typeof reply.body === 'string') {
      payload = reply.body;
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(reply.status, headers).end(payload);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
