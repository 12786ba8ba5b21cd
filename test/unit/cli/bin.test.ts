// bin/secretsync.js from any shell: with a new enough Node it runs dist/src/main.js (or says how to
// build it); with an older Node it re-executes itself with the Node in node_modules, passing the
// arguments and the exit status through. Exercised on a copy of the script in a scratch directory
// with a stub dist/ so that no build is needed.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const repo = join(__dirname, '..', '..', '..');

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function scratch(opts: { dist?: boolean; bundledNode?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'secretsync-bin-'));
  roots.push(root);
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(repo, 'bin', 'secretsync.js'), join(root, 'bin', 'secretsync.js'));
  if (opts.dist) {
    mkdirSync(join(root, 'dist', 'src'), { recursive: true });
    writeFileSync(
      join(root, 'dist', 'src', 'main.js'),
      `exports.runCli = (argv) => {
  console.log(JSON.stringify({ node: process.versions.node, args: argv.slice(2) }));
  if (argv.includes('fail')) process.exitCode = 3;
};\n`,
    );
  }
  if (opts.bundledNode) {
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(process.execPath, join(root, 'node_modules', '.bin', 'node'));
  }
  return root;
}

const older = (v: string) => {
  const [a = 0, b = 0] = v.split('.').map(Number);
  return a < 22 || (a === 22 && b < 19);
};

/** A Node older than 22.19 on this machine's PATH (outside node_modules), if there is one. */
function oldNode(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes('node_modules'));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const node = join(dir, 'node');
    if (!existsSync(node)) continue;
    try {
      const v = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (older(v)) return node;
    } catch {
      // not runnable
    }
  }
  return undefined;
}

const run = (node: string, root: string, args: string[]) =>
  spawnSync(node, [join(root, 'bin', 'secretsync.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SECRETSYNC_REEXEC: '' },
  });

test('this jest runs on a Node the project accepts', () => {
  expect(older(process.versions.node)).toBe(false);
});

test('a new enough Node runs dist/src/main.js with the arguments', () => {
  const root = scratch({ dist: true });
  const r = run(process.execPath, root, ['status', '-n', 'shop']);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ node: process.versions.node, args: ['status', '-n', 'shop'] });
});

test('without dist/ it says how to build, in one line, exit 1', () => {
  const root = scratch({});
  const r = run(process.execPath, root, ['version']);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(
    `secretsync: not built yet: run \`npm run build\` in ${root} (it compiles src/ into dist/)\n`,
  );
});

const old = oldNode();
const withOldNode = old ? test : test.skip;

withOldNode('an older Node re-executes with the Node in node_modules; exit status passes through', () => {
  const root = scratch({ dist: true, bundledNode: true });
  const ok = run(old!, root, ['validate', '-']);
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout)).toEqual({ node: process.versions.node, args: ['validate', '-'] });
  const failed = run(old!, root, ['fail']);
  expect(failed.status).toBe(3);
});

withOldNode('an older Node and no Node in node_modules: one line saying what to do', () => {
  const root = scratch({ dist: true });
  const r = run(old!, root, ['version']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    /^secretsync: needs Node\.js 22\.19\.0 or newer, but this is [\d.]+; run `npm ci` in .+\n$/,
  );
  expect(r.stdout).toBe('');
});
