// /healthz (process alive), /readyz (informers synced), /metrics on one small HTTP server.
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics';

export interface HealthState {
  ready(): boolean;
}

export function startHealthServer(
  port: number,
  host: string,
  state: HealthState,
  metrics: Metrics,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200).end('ok');
    } else if (path === '/readyz') {
      const ok = state.ready();
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'not ready');
    } else if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
