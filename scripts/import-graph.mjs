// Prints the import graph of src/ between folders (one line per edge: from -> to, with the number
// of imports), then the lines of TypeScript per folder. Run: node scripts/import-graph.mjs
//   --depth N   folder depth under src/ that counts as one node (default 2, e.g. providers/gcp)
//   --cycles    also list the folder pairs that import each other
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const depthArg = args.indexOf('--depth');
const depth = depthArg >= 0 ? Number(args[depthArg + 1]) : 2;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** The folder of a file under the repository, cut to `depth` levels under src/. */
function node(file) {
  const rel = relative(root, file).split('/');
  if (rel[0] !== 'src') return rel.slice(0, 2).join('/');
  const dirs = rel.slice(1, -1).slice(0, depth);
  return dirs.length ? dirs.join('/') : '(src)';
}

const edges = new Map();
const lines = new Map();
const importRe = /^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
for (const file of files(join(root, 'src'))) {
  const text = readFileSync(file, 'utf8');
  const from = node(file);
  lines.set(from, (lines.get(from) ?? 0) + text.split('\n').length - 1);
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, ''));
    const isDir = (() => {
      try {
        return statSync(target).isDirectory();
      } catch {
        return false;
      }
    })();
    const to = node(isDir ? join(target, 'index.ts') : `${target}.ts`);
    if (to === from) continue;
    const key = `${from} -> ${to}`;
    edges.set(key, (edges.get(key) ?? 0) + 1);
  }
}
console.log('# imports between folders (count)');
for (const [k, n] of [...edges].sort()) console.log(`${k} (${n})`);
if (args.includes('--cycles')) {
  console.log('# folders that import each other');
  for (const k of edges.keys()) {
    const [a, b] = k.split(' -> ');
    if (a < b && edges.has(`${b} -> ${a}`)) console.log(`${a} <-> ${b}`);
  }
}
console.log('# lines per folder');
for (const [k, n] of [...lines].sort()) console.log(`${k} ${n}`);
