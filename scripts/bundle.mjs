// The production build: one file, dist/bundle/main.js, that the Dockerfile runs and the benchmark
// measures. Why bundle: @kubernetes/client-node's index loads its whole generated API (hundreds of
// model and API classes, ~80 MB of RSS once required); bundled and tree-shaken, only KubeConfig,
// Watch and the HTTP pieces the controller uses are left. The provider SDKs and google-auth-library
// stay external: src/ requires them lazily, when a store or an event source first needs them, and
// the image's node_modules keeps them for that.
//   node scripts/bundle.mjs            (npm run build:bundle)
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIENT_NODE = join('node_modules', '@kubernetes', 'client-node');

/** Loaded on demand (require/import inside a function), so never part of the start-up bundle. */
const LAZY = [
  '@google-cloud/secret-manager',
  '@google-cloud/pubsub',
  '@aws-sdk/*',
  'google-auth-library',
  // ESM only, imported by `secretsync validate` when it evaluates CEL rules.
  '@marcbachmann/cel-js',
];

/**
 * client-node's package declares no `sideEffects`, so a bundler must keep every module its index
 * re-exports. Its modules only define classes, functions and constants (none calls anything at
 * the top level), so they are marked side-effect free and the unused ones are dropped.
 */
const clientNodePure = {
  name: 'client-node-pure',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      if (!args.path.startsWith('@kubernetes/client-node') && !args.importer.includes(CLIENT_NODE)) {
        return undefined;
      }
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (r.errors.length > 0 || r.external || !r.path.includes(CLIENT_NODE)) return r;
      return { ...r, sideEffects: false };
    });
  },
};

/**
 * `undici` resolves to scripts/undici-entry.cjs: the three exports client-node uses, without the
 * rest of undici's index (measured: see the commit that added it and BENCHMARKS.md).
 */
const undiciEntry = {
  name: 'undici-entry',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: join(root, 'scripts', 'undici-entry.cjs') }));
  },
};

// BUNDLE_META=1 also writes dist/bundle/meta.json (esbuild's metafile: what each input adds).
const result = await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(root, 'dist/bundle/main.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: LAZY,
  plugins: [undiciEntry, clientNodePure],
  sourcemap: true,
  // Minified: ~5 MB less V8 heap at start than unminified. keepNames keeps functions' and
  // classes' names (stack traces, errors' constructor names); the source map maps the rest.
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: process.env.BUNDLE_META === '1',
});
if (result.metafile) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(root, 'dist/bundle/meta.json'), JSON.stringify(result.metafile));
}
