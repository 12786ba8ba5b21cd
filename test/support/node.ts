// The testbed's node, for the test files that need pods (opt-in per file): the first file that asks
// starts it on the shared testbed (reusing its apiserver); the others find it running. It stops with
// the testbed (global teardown).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeInstalled } from '../../dev/testbed/install';
import { sharedNode, type TestbedNode } from '../../dev/testbed/node';

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
