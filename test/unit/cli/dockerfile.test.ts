// There is no Docker engine here, so the image is checked by reading: the Dockerfile's runtime stage
// must agree with deploy/deployment.yaml (user, port, entrypoint, first argument, image name), copy
// only what exists and is not excluded by .dockerignore, and the code it runs (dist/bundle, bundled
// from src/main.ts by scripts/bundle.mjs) must not statically import anything outside src/ (the
// image ships no test/ code).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const repo = join(__dirname, '..', '..', '..');

interface Instruction {
  op: string;
  args: string;
}

/**
 * Dockerfile instructions (continuation lines joined, comments dropped), split into stages; the
 * instructions before the first FROM (global ARGs) go to `globals`.
 */
function parseDockerfile(text: string, globals: Instruction[] = []): Instruction[][] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    if (ins.op === 'FROM') stages.push([]);
    (stages[stages.length - 1] ?? globals).push(ins);
  }
  return stages;
}

const globals: Instruction[] = [];
const dockerfile = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'), globals);
const runtime = dockerfile[dockerfile.length - 1]!;
const one = (stage: Instruction[], op: string) => {
  const found = stage.filter((i) => i.op === op);
  expect(found).toHaveLength(1);
  return found[0]!.args;
};

const docs = parseAllDocuments(readFileSync(join(repo, 'deploy', 'deployment.yaml'), 'utf8')).map(
  (d) => d.toJS() as { kind: string; spec: Record<string, unknown> },
);
type Container = {
  image: string;
  args: string[];
  ports: { containerPort: number }[];
  securityContext?: { runAsUser?: number; readOnlyRootFilesystem?: boolean };
};
type PodSpec = {
  securityContext: { runAsUser: number; runAsGroup: number; runAsNonRoot: boolean };
  containers: Container[];
};
const deployment = docs.find((d) => d.kind === 'Deployment')!;
const pod = (deployment.spec.template as { spec: PodSpec }).spec;
const container = pod.containers[0]!;

test('two stages from node:24-bookworm-slim; the runtime stage installs production dependencies only', () => {
  // The base is a build argument (the testbed builds on a locally made base: dev/testbed/image.ts);
  // by default it is the public image users pull.
  expect(globals).toEqual([{ op: 'ARG', args: 'BASE=node:24-bookworm-slim' }]);
  expect(dockerfile).toHaveLength(2);
  expect(dockerfile[0]![0]!.args).toBe('${BASE} AS build');
  expect(runtime[0]!.args).toBe('${BASE} AS runtime');
  expect(dockerfile[0]!.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
  expect(dockerfile[0]!.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);
  expect(dockerfile[0]!.some((i) => i.op === 'RUN' && /\bnpm run build:bundle\b/.test(i.args))).toBe(true);
  const install = runtime.filter((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  expect(install).toHaveLength(1);
  expect(install[0]!.args).toMatch(/--omit=dev/);
  // The runtime gets the bundle from the build stage, not the sources.
  expect(runtime.filter((i) => i.op === 'COPY' && i.args.includes('--from=build'))).toEqual([
    { op: 'COPY', args: '--from=build /app/dist/bundle ./dist/bundle' },
  ]);
});

test('the user is the numeric non-root user the Deployment runs as', () => {
  const user = one(runtime, 'USER');
  const [uid, gid] = user.split(':').map(Number);
  expect(uid).toBe(pod.securityContext.runAsUser);
  expect(gid).toBe(pod.securityContext.runAsGroup);
  expect(uid).not.toBe(0);
  expect(pod.securityContext.runAsNonRoot).toBe(true);
  // USER comes before nothing but the compile-cache run, so nothing runs as root at start-up.
  const userAt = runtime.findIndex((i) => i.op === 'USER');
  expect(runtime.slice(userAt).filter((i) => i.op === 'RUN')).toEqual([compileCacheRun()]);
});

/** The RUN that fills V8's compile cache: it loads the bundle as the ENTRYPOINT does. */
function compileCacheRun(): Instruction {
  const runs = runtime.filter((i) => i.op === 'RUN' && i.args.includes('dist/bundle/main.js'));
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

test("the compile cache is made by the container's user, with its node flags, where Node looks", () => {
  // Node keys the cache directory by uid and V8 flags: made otherwise, the controller would miss it.
  const run = compileCacheRun();
  const at = runtime.indexOf(run);
  const userAt = runtime.findIndex((i) => i.op === 'USER');
  expect(at).toBeGreaterThan(userAt);
  const entry = JSON.parse(one(runtime, 'ENTRYPOINT')) as string[];
  expect(run.args).toBe(`${entry.join(' ')} version`);
  const env = runtime.slice(0, at).filter((i) => i.op === 'ENV');
  const dir = env.map((i) => /^NODE_COMPILE_CACHE=(\S+)$/.exec(i.args)?.[1]).find(Boolean);
  expect(dir).toBe('/app/.compile-cache');
  // Made before USER and owned by that user, so the unprivileged RUN can write into it.
  expect(
    runtime
      .slice(0, userAt)
      .some((i) => i.op === 'RUN' && i.args.includes(`chown ${one(runtime, 'USER')} .compile-cache`)),
  ).toBe(true);
  expect(one(runtime, 'WORKDIR')).toBe('/app');
});

test('the exposed port is the container port and the --metrics-port argument', () => {
  const port = Number(one(runtime, 'EXPOSE'));
  expect(container.ports.map((p) => p.containerPort)).toEqual([port]);
  expect(container.args).toContain(`--metrics-port=${port}`);
});

test('entrypoint runs the bundled CLI; CMD is the subcommand the Deployment passes first', () => {
  // V8 flags (dev/bench/controller.ts reads them from here, so the benchmark runs what ships).
  expect(JSON.parse(one(runtime, 'ENTRYPOINT'))).toEqual([
    'node',
    '--max-semi-space-size=2',
    '--optimize-for-size',
    'dist/bundle/main.js',
  ]);
  const cmd = JSON.parse(one(runtime, 'CMD')) as string[];
  expect(cmd).toEqual(['controller']);
  expect(container.args[0]).toBe(cmd[0]);
  // dist/bundle/main.js is what npm run build:bundle (scripts/bundle.mjs) makes of src/main.ts.
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts['build:bundle']).toBe('node scripts/bundle.mjs');
  const bundle = readFileSync(join(repo, 'scripts', 'bundle.mjs'), 'utf8');
  expect(bundle).toContain("'src/main.ts'");
  expect(bundle).toContain("'dist/bundle/main.js'");
  expect(existsSync(join(repo, 'src', 'main.ts'))).toBe(true);
});

test('the Deployment runs the image this Dockerfile builds', () => {
  const [name, tag] = container.image.split(':');
  expect(name).toBe('secretsync');
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  expect(name).toBe(pkg.name);
  expect(tag).toBe(pkg.version);
  expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
});

test('what the Dockerfile copies from the context exists and is not excluded by .dockerignore', () => {
  const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  // Docker's rule: the last matching pattern wins; `!` re-includes. Patterns here are simple paths.
  const excluded = (path: string) => {
    let out = false;
    for (const p of ignore) {
      const neg = p.startsWith('!');
      const pat = neg ? p.slice(1) : p;
      const re = new RegExp(
        `^${pat
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?')
          .replace(/\*/g, '[^/]*')}(/.*)?$`,
      );
      if (re.test(path)) out = !neg;
    }
    return out;
  };
  const sources = dockerfile
    .flat()
    .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  expect(sources.length).toBeGreaterThan(3);
  for (const src of sources) {
    expect({ src, exists: existsSync(join(repo, src)) }).toEqual({ src, exists: true });
    expect({ src, excluded: excluded(src) }).toEqual({ src, excluded: false });
  }
  for (const heavy of ['node_modules', 'dist', '.git', '.testbed', 'test/integration/ship'])
    expect({ heavy, excluded: excluded(heavy) }).toEqual({ heavy, excluded: true });
});

test('nothing the image runs imports code outside src/ at load time', () => {
  const src = join(repo, 'src');
  const seen = new Set<string>();
  const resolveTs = (from: string, spec: string): string | undefined => {
    const base = resolve(dirname(from), spec);
    for (const c of [`${base}.ts`, join(base, 'index.ts')])
      if (existsSync(c) && statSync(c).isFile()) return c;
    return undefined;
  };
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static value imports only: `import type` is erased and `await import()` loads on demand.
    for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)) {
      const target = resolveTs(file, m[1]!);
      if (target) visit(target);
    }
  };
  visit(join(src, 'main.ts'));
  const outside = [...seen].filter((f) => relative(src, f).startsWith('..')).map((f) => relative(repo, f));
  expect(outside).toEqual([]);
  expect(seen.size).toBeGreaterThan(20);
  // Sanity: the walk does see through to the CLI commands.
  expect([...seen].some((f) => f.endsWith(join('cli', 'validate.ts')))).toBe(true);
  expect(readdirSync(join(repo, 'crds')).some((f) => f.endsWith('.yaml'))).toBe(true);
});
