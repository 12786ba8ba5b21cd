// The emulators and identity fakes listen on 127.0.0.1, which pods cannot reach: a pod's way to the
// host is the node's bridge. `exposeToPods` forwards TCP from an address on the host that pods reach
// (the bridge's, or a link-local one added to the bridge, like the EKS Pod Identity agent's
// 169.254.170.23) to a loopback port, for as long as a test file needs it: nothing else on the
// testbed changes and the forwarders go away with the file. The fakes then see 127.0.0.1 as the
// caller; they identify callers by their tokens, never by address.
import { execFile } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';

export interface Forward {
  /** Where pods connect: an address of the host on the node's bridge, and a port. */
  host: string;
  port: number;
  /** The loopback port it leads to. */
  to: number;
}

export interface Exposed {
  close(): Promise<void>;
}

const ip = (args: string[]) => promisify(execFile)('ip', args);

/**
 * Adds `address`/32 to the bridge for as long as the returned function is not called (the bridge
 * and its addresses go away with the node anyway). Pods reach it through their default route.
 */
export async function addBridgeAddress(bridge: string, address: string): Promise<() => Promise<void>> {
  await ip(['addr', 'add', `${address}/32`, 'dev', bridge]);
  return async () => {
    await ip(['addr', 'del', `${address}/32`, 'dev', bridge]).catch(() => undefined);
  };
}

export async function exposeToPods(forwards: Forward[]): Promise<Exposed> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const exposed: Exposed = {
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
  try {
    for (const f of forwards) {
      const server = createServer((inbound) => {
        track(inbound);
        const outbound = createConnection({ host: '127.0.0.1', port: f.to });
        track(outbound);
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('error', () => outbound.destroy());
        outbound.on('error', () => inbound.destroy());
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(f.port, f.host, () => resolve());
      });
    }
  } catch (err) {
    await exposed.close();
    throw err;
  }
  return exposed;
}
