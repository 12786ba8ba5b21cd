// Import directions of src/ (CONTRIBUTING.md, "Floor plan"), checked by `npm run lint`
// (depcruise). Layers from top to bottom: a module may import its own layer's folder and any
// layer below it, never one above. Folders listed together in one layer are siblings and may not
// import each other (a controller does not reach into another controller, a cloud's provider
// not into another cloud's).
/** @type {string[][]} each entry: the path patterns of one layer, top first */
const LAYERS = [
  ['^src/main\\.ts$'],
  ['^src/cli/'],
  ['^src/controllers/run\\.ts$'],
  [
    '^src/controllers/externalsecret/',
    '^src/controllers/rollout/',
    '^src/controllers/clusterexternalsecret/',
  ],
  ['^src/controllers/secretstore/'],
  ['^src/events/'],
  ['^src/providers/registry\\.ts$'],
  ['^src/providers/gcp/', '^src/providers/aws/', '^src/providers/fake/'],
  ['^src/providers/credentials/'],
  ['^src/providers/core/'],
  ['^src/runtime/'],
  ['^src/kube/'],
  ['^src/observability/'],
  ['^src/config/'],
  ['^src/gocompat/'],
  ['^src/api/', '^src/version\\.ts$'],
];

const name = (pattern) => pattern.replace(/^\^/, '').replace(/\$$/, '').replace(/\\/g, '').replace(/\/$/, '');

const upward = LAYERS.flatMap((layer, i) =>
  (i === 0 ? [] : layer).map((from) => ({
    name: `layer:${name(from)}`,
    comment: `${name(from)} may import only layers below it (CONTRIBUTING.md, "Floor plan")`,
    severity: 'error',
    from: { path: from },
    to: { path: LAYERS.slice(0, i).flat() },
  })),
);

const siblings = LAYERS.flatMap((layer) =>
  (layer.length < 2 ? [] : layer).map((from) => ({
    name: `sibling:${name(from)}`,
    comment: `${name(from)} may not import its siblings (${layer.map(name).join(', ')})`,
    severity: 'error',
    from: { path: from },
    to: { path: layer.filter((p) => p !== from) },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    ...siblings,
    {
      name: 'no-circular',
      comment: 'a cycle makes the layers meaningless',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'product-only-src',
      comment: 'product code never imports development code (dev/, test/): the image ships src/ only',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(dev|test)/' },
    },
    {
      name: 'every-src-folder-has-a-layer',
      comment: 'a new folder under src/ gets a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.flat() },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
