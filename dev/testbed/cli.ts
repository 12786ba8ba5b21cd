// `npm run testbed`: start the testbed in the foreground, print how to use it, stop everything on
// Ctrl-C / SIGTERM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildControllerImage, ensureBaseImage } from './image';
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
import { importImage, tagImage } from './node';
import { repoRoot } from './paths';

/** The image deploy/deployment.yaml names (`secretsync:<version>`; the CRI resolves it in docker.io/library). */
function deployedImage(): string {
  const m = /^\s*image: (\S+)$/m.exec(readFileSync(join(repoRoot, 'deploy', 'deployment.yaml'), 'utf8'));
  if (!m) throw new Error('deploy/deployment.yaml names no image');
  return m[1]!;
}

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
  // --controller-image (implies --node): the image from the Dockerfile (npm run image), imported into
  // the node under deploy/'s name too, so that `kubectl apply -k deploy/` runs it unchanged.
  const withImage = process.argv.includes('--controller-image');
  const tb = await startTestbed({ progress, node: withImage || process.argv.includes('--node') });
  let imageLine = '';
  if (withImage) {
    const image = await buildControllerImage(progress);
    await importImage(tb.root, image.archive);
    await tagImage(tb.root, image.ref, `docker.io/library/${deployedImage()}`);
    imageLine = `  image      ${image.ref}, also ${deployedImage()} (kubectl apply -k deploy/)`;
  }
  console.log(`testbed ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`  apiserver  ${tb.apiserverUrl}`);
  console.log(`  logs       ${tb.root}/logs/`);
  if (tb.node)
    console.log(`  node       ${tb.node.name} (images: ${Object.values(tb.node.images).join(', ')})`);
  if (imageLine) console.log(imageLine);
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
