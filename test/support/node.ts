// The testbed's node, for the test files that need pods (opt-in per file): the first file that asks
// starts it on the shared testbed (reusing its apiserver); the others find it running. It stops with
// the testbed (global teardown).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeInstalled } from '../../dev/testbed/install';
import { buildControllerImage, controllerImage, type ControllerImage } from '../../dev/testbed/image';
import { importImage, sharedNode, type TestbedNode } from '../../dev/testbed/node';

/**
 * How long a file's `beforeAll(useNode)` may take: a warm start is seconds, but the first run on a
 * machine builds containerd, runc, the kubelet and the images (minutes on 2 CPUs).
 */
export const NODE_START_TIMEOUT_MS = nodeInstalled() ? 3 * 60_000 : 40 * 60_000;

export async function useNode(): Promise<TestbedNode> {
  const root = process.env.SECRETSYNC_TESTBED_ROOT;
  const apiserverUrl = process.env.SECRETSYNC_TESTBED_APISERVER;
  if (!root || !apiserverUrl) throw new Error('the node needs the testbed (jest global setup)');
  const adminToken = readFileSync(join(root, 'pki', 'tokens.csv'), 'utf8').split(',')[0]!;
  return sharedNode(
    { root, apiserverUrl, adminToken },
    (l) => process.stderr.write(`${l}\n`),
    NODE_START_TIMEOUT_MS - 10_000,
  );
}

/**
 * How long building the controller image may take: it is rebuilt (buildah, ~1-5 min here) whenever
 * what the Dockerfile copies changes, and read from the cache otherwise.
 */
export const CONTROLLER_IMAGE_TIMEOUT_MS = controllerImage().cached ? 2 * 60_000 : 20 * 60_000;

/** The controller image built from the Dockerfile (dev/testbed/image.ts), imported into the node. */
export async function useControllerImage(): Promise<ControllerImage> {
  const root = process.env.SECRETSYNC_TESTBED_ROOT;
  if (!root) throw new Error('the controller image needs the testbed (jest global setup)');
  const image = await buildControllerImage((l) => process.stderr.write(`${l}\n`));
  await importImage(root, image.archive);
  return image;
}
