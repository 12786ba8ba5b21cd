// node-forge (~300 KB of bundled JS) loads on the first PKCS#12 / certificate function a template
// calls, not with the controller: most installations never call one, and loading it cost every
// process its module set-up (scripts/bundle.mjs, BENCHMARKS.md "RSS floor").
import type Forge from 'node-forge';

let loaded: typeof Forge | undefined;

/** node-forge, required on first use (one module object for the process, as an import gives). */
export function nodeForge(): typeof Forge {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see header)
  loaded ??= require('node-forge') as typeof Forge;
  return loaded;
}
