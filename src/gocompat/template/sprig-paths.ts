// Sprig's path functions (Go's path package: base, dir, clean, ext, isAbs) and their os* forms
// (path/filepath, the same on Linux, where the controller runs). '/' and '.' are ASCII, so working
// on the engine's strings is working on Go's bytes.
import { fn, type FuncTable } from './funcdef';

/** path.Clean */
export function clean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** path.Base */
export function base(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** path.Dir */
export function dir(p: string): string {
  return clean(p.slice(0, p.lastIndexOf('/') + 1));
}

/** path.Ext */
export function ext(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

const s = (v: unknown): string => v as string;
const table = {
  base: fn(['string'], ([p]) => base(s(p))),
  dir: fn(['string'], ([p]) => dir(s(p))),
  clean: fn(['string'], ([p]) => clean(s(p))),
  ext: fn(['string'], ([p]) => ext(s(p))),
  isAbs: fn(['string'], ([p]) => s(p).startsWith('/')),
};

export const SPRIG_PATH_FUNCTIONS: FuncTable = {
  ...table,
  osBase: table.base,
  osDir: table.dir,
  osClean: table.clean,
  osExt: table.ext,
  osIsAbs: table.isAbs,
};
