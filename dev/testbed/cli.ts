// `npm run testbed`: start the testbed in the foreground, print how to use it, stop everything on
// Ctrl-C / SIGTERM.
import { ensureBaseImage } from './image';
import { startTestbed } from './index';
import {
  ensureControlPlane,
  ensureGlua,
  ensureHelm,
  ensureMoto,
  ensureNode,
  ensurePrometheus,
  findPubSubEmulator,
} from './install';

async function main(): Promise<void> {
  const progress = (l: string) => console.error(l);
  if (process.argv.includes('--install-only')) {
    findPubSubEmulator();
    // Helm, Prometheus and glua are used by the chart, monitoring and GitOps tests only; built here too so that
    // a cold CI run builds everything before the tests start.
    await Promise.all([
      ensureControlPlane(progress),
      ensureMoto(progress),
      ensureHelm(progress),
      ensurePrometheus(progress),
      ensureGlua(progress),
    ]);
    // The node's packages, runtime and images too (apt-get when missing: needs root).
    await ensureNode(progress);
    // The controller image's locally made base (the image itself depends on the sources).
    await ensureBaseImage(progress);
    console.log('testbed: installed');
    return;
  }
  const started = Date.now();
  const tb = await startTestbed({ progress, node: process.argv.includes('--node') });
  console.log(`testbed ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`  apiserver  ${tb.apiserverUrl}`);
  console.log(`  logs       ${tb.root}/logs/`);
  if (tb.node)
    console.log(`  node       ${tb.node.name} (images: ${Object.values(tb.node.images).join(', ')})`);
  console.log(`  env        source ${tb.root}/env`);
  console.log('Ctrl-C stops every process it started.');
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${sig}: stopping testbed…`);
    await tb.stop();
    process.exit(0);
  };
  const onSignal = (sig: string) => {
    stop(sig).catch((err: Error) => {
      console.error(`testbed: stop failed: ${err.message}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
