// A store whose validation failed during an outage recovers its Ready condition when its
// ExternalSecrets do — as soon as its client answers again — not at the next periodic validation
// (5 minutes). The Secret Manager endpoint sits behind a switch that resets every connection, then
// forwards them; the port stays ours throughout.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { applyYaml } from '../../support/apply';
import { gcpSecretManager, grantGcp, putGcpVersion } from '../../support/cloud';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readSecret, storeCondition } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const run = randomBytes(3).toString('hex');
const project = `rec-${run}`;
const saved = process.env.SECRETSYNC_GCP_ENDPOINT;
const sm = gcpSecretManager();
// Validation, a sync and a status write each take well under a second on a quiet machine; the
// ExternalSecret's backoff after the outage (doubling from 1 s) is at most twice the outage.
const SYNC_MS = 30_000;
// A recheck is one validation call and one status write after the first answered read.
const RECHECK_MS = 15_000;
let ns: string;
let ctl: TestController | undefined;
let server: Server;
let forwarding = false;
const sockets = new Set<Socket>();

beforeAll(async () => {
  await putGcpVersion(sm, project, 'k', 'v1');
  await grantGcp(project, 'roles/secretmanager.secretAccessor');
  const upstream = new URL(saved!);
  server = createServer((socket) => {
    if (!forwarding) {
      socket.resetAndDestroy();
      return;
    }
    const up = connect(Number(upstream.port), upstream.hostname);
    sockets.add(socket).add(up);
    socket.pipe(up).pipe(socket);
    for (const s of [socket, up]) {
      s.on('error', () => [socket, up].forEach((x) => x.destroy()));
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  // The in-process controller reads the endpoint when it builds a store's client.
  process.env.SECRETSYNC_GCP_ENDPOINT = `http://127.0.0.1:${port}`;
  ns = await createNamespace('store-rec');
  await installDeploy();
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: gsm, namespace: ${ns}}
spec: {provider: {gcpsm: {projectID: ${project}}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: gsm, kind: SecretStore}
  data: [{secretKey: v, remoteRef: {key: k}}]
`);
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  process.env.SECRETSYNC_GCP_ENDPOINT = saved;
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  await deleteNamespace(ns);
  await sm.close();
});

test('the store is Ready again with its ExternalSecret, not at the next periodic validation', async () => {
  await eventually(
    async () =>
      expect(await storeCondition(ns, 'gsm')).toMatchObject({ status: 'False', reason: 'ValidationFailed' }),
    { timeoutMs: SYNC_MS, what: 'store ValidationFailed during the outage' },
  );
  forwarding = true;
  await eventually(async () => expect(decoded(await readSecret(ns, 'app')).v).toBe('v1'), {
    timeoutMs: SYNC_MS,
    what: 'ExternalSecret synced after the outage',
  });
  const cond = await eventually(
    async () => {
      const c = await storeCondition(ns, 'gsm');
      expect(c).toMatchObject({ status: 'True', reason: 'Valid' });
      return c!;
    },
    { timeoutMs: RECHECK_MS, what: 'store Ready again' },
  );
  // Accessor only: usable, with the note on what it could not check.
  expect(cond.message).toMatch(/^store validated; .*secretmanager\.secrets\.list/);
});
