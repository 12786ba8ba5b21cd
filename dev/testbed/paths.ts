// Where the repository is, whether this file runs from dev/testbed (ts-jest) or dist/ (built).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'dev', 'testbed'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the secretsync repository above ${from}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRepoRoot(__dirname);
export const controlPlaneSrc = join(repoRoot, 'dev', 'testbed', 'controlplane');
export const imagesSrc = join(repoRoot, 'dev', 'testbed', 'images');
