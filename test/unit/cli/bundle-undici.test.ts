// The bundle resolves `undici` to scripts/undici-entry.cjs (scripts/bundle.mjs), which exports only
// what client-node imports. A CommonJS entry's missing export is not a build error (it would be
// `undefined` at run time), so every name client-node imports from undici is checked here, against
// the same objects undici's index exports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..', '..');
const clientNode = join(repo, 'node_modules', '@kubernetes', 'client-node', 'dist');

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

/** Value names client-node imports from 'undici' (import { a, b as c } from 'undici'). */
function importedNames(): Set<string> {
  const names = new Set<string>();
  for (const file of jsFiles(clientNode)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'undici'/g)) {
      for (const part of m[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!;
        if (name !== '' && !name.startsWith('type ')) names.add(name);
      }
    }
    expect(text).not.toMatch(/import\s+\*\s+as\s+\w+\s+from\s*'undici'|require\('undici'\)/);
  }
  return names;
}

test("the bundle's undici entry exports every name client-node imports from undici", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry is CommonJS
  const entry = require(join(repo, 'scripts', 'undici-entry.cjs')) as Record<string, unknown>;
  // Dispatchers keep the request/connect API undici's index gives them (ProxyAgent tunnels with it).
  const agent = entry.Agent as new () => { connect?: unknown; request?: unknown; close(): Promise<void> };
  // Checked before undici's index is loaded here (it would add that API itself).
  const a = new agent();
  expect(typeof a.connect).toBe('function');
  expect(typeof a.request).toBe('function');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- undici's own index, to compare
  const undici = require('undici') as Record<string, unknown>;
  const names = importedNames();
  expect([...names].sort()).toEqual(expect.arrayContaining(['Agent', 'ProxyAgent', 'fetch']));
  for (const name of names) {
    expect(typeof entry[name]).toBe('function');
    // The classes are undici's own; fetch is a function of its own around undici's fetch.
    if (name !== 'fetch') expect(entry[name]).toBe(undici[name]);
  }
  return a.close();
});
