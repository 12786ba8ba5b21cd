// Applies manifests to the testbed as the admin with `kubectl apply --server-side`. (client-node's
// generic object client re-serialises known kinds through its models, which drops fields such as
// x-kubernetes-int-or-string in CRDs; kubectl sends them as written.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run('kubectl', args, { env: process.env, maxBuffer: 32 << 20 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

export async function applyFile(path: string): Promise<void> {
  await kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=secretsync-tests',
    '-f',
    path,
  ]);
}

export async function applyYaml(yaml: string): Promise<string> {
  return kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=secretsync-tests', '-f', '-'],
    yaml,
  );
}
