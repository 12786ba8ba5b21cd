// Entry of one sharded controller replica as its own OS process (test/support/replica-process.ts
// bundles and starts it), so that a test can SIGKILL it for real. It runs the controller as the
// given account, acts only on namespaces with the test's prefix (the shared testbed holds other
// files' objects), and prints, besides its JSON log, one line per shard-gate entry and exit:
// {"gate":"enter"|"leave","ns":…,"t":epoch ms}, written synchronously (stdout is a pipe).
import pino from 'pino';
import { buildConfig, type RawFlags } from '../../src/config';
import { runController } from '../../src/controllers/run';
import { newKubeConfig } from '../../src/kube/kubeconfig';

interface ReplicaArgs {
  server: string;
  token: string;
  /** Namespaces this replica may act on start with it. */
  prefix: string;
  flags: RawFlags;
}

async function main(): Promise<void> {
  const a = JSON.parse(process.env.SHARD_REPLICA_ARGS ?? '') as ReplicaArgs;
  const kc = newKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testbed', server: a.server, skipTLSVerify: true }],
    users: [{ name: 'replica', token: a.token }],
    contexts: [{ name: 'replica', cluster: 'testbed', user: 'replica' }],
    currentContext: 'replica',
  });
  const line = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const logger = pino({ level: 'info' }, pino.destination({ fd: 1, sync: true }));
  const running = await runController(kc, buildConfig(a.flags), logger, () => process.exit(1), undefined, {
    clusterWide: false,
    // The leader labels only this test's objects (the shared testbed holds other files').
    shardScope: (ns) => ns.startsWith(a.prefix),
    shardGate: (g) => ({
      mayAct: (ns) => ns.startsWith(a.prefix) && g.mayAct(ns),
      tryEnter: (ns) => {
        if (!ns.startsWith(a.prefix) || !g.tryEnter(ns)) return false;
        line({ gate: 'enter', ns, t: Date.now() });
        return true;
      },
      leave: (ns) => {
        g.leave(ns);
        line({ gate: 'leave', ns, t: Date.now() });
      },
    }),
  });
  line({ replica: 'running', identity: running.identity });
  process.on('SIGTERM', () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`replica failed: ${String(err)}\n`);
  process.exit(1);
});
