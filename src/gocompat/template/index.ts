// Public API of the template engine that renders ExternalSecret `spec.target.template` the way
// ESO's engine v2 does (Go text/template + Sprig, missingkey=error), with a step budget and an
// output cap. All failures surface as TemplateError, whose message never contains data values.

import { PositionedError, TemplateError, TemplateLimitError } from './errors';
import { Executor, ExecFailure } from './evaluate';
import { checkFunction, SUPPORTED_FUNCTIONS } from './functions';
import { fromBytes } from './gostring';
import { Budget, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_STEP_BUDGET } from './limits';
import { parse } from './parser';
import { markStringMap, mapSet, newMap, type GoMap } from './values';

export { TemplateError, TemplateLimitError, SUPPORTED_FUNCTIONS };
/** A rendered string's exact bytes (templates emit Go byte strings). */
export { toBytes as renderedBytes } from './gostring';
/** A Go string's exact bytes as template text or data (invalid UTF-8 kept byte for byte). */
export { fromBytes as bytesToGoString } from './gostring';

export interface TemplateOptions {
  /** Maximum evaluation steps per execution (default 100,000). */
  stepBudget?: number;
  /** Maximum size of the output, and of any string built on the way (default 1 MiB). */
  maxOutputBytes?: number;
}

export interface CompiledTemplate {
  readonly name: string;
  /** Renders the template (byte values in `data` as Uint8Array); throws TemplateError. */
  execute(data: Record<string, unknown>): string;
}

/** Template source larger than this is rejected before parsing. */
const MAX_SOURCE_LENGTH = 1024 * 1024;

/** Go's "line:col" for an offset: 1-based line, 0-based byte column (as text/template reports). */
function lineCol(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  return `${line}:${Buffer.byteLength(before.slice(lineStart), 'utf8')}`;
}

function positiveInt(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new TemplateError(`${what} must be a positive integer`);
  return v;
}

/** Copies the data into a map of our value model; byte values become Go strings losslessly. */
function prepareData(data: Record<string, unknown>): GoMap {
  const root = newMap();
  let allStrings = true;
  for (const [k, v] of Object.entries(data)) {
    const value = v instanceof Uint8Array ? fromBytes(v) : v;
    if (typeof value !== 'string') allStrings = false;
    mapSet(root, k, value);
  }
  return allStrings ? markStringMap(root) : root;
}

function toTemplateError(e: unknown, name: string, src: string): TemplateError {
  if (e instanceof TemplateLimitError) {
    return e.message.startsWith('template:') ? e : new TemplateLimitError(`template: ${name}: ${e.message}`);
  }
  if (e instanceof TemplateError) {
    return e.message.startsWith('template:') ? e : new TemplateError(`template: ${name}: ${e.message}`);
  }
  if (e instanceof ExecFailure) {
    const where = `template: ${name}:${lineCol(src, e.pos)}`;
    return new TemplateError(
      `${where}: executing ${JSON.stringify(e.templateName)} at <${e.context}>: ${e.message}`,
    );
  }
  if (e instanceof PositionedError)
    return new TemplateError(`template: ${name}:${lineCol(src, e.pos)}: ${e.message}`);
  if (e instanceof RangeError)
    return new TemplateLimitError(`template: ${name}: too deeply nested to evaluate`);
  // Unknown failures may carry values in their messages; report none of it.
  return new TemplateError(`template: ${name}: internal error`);
}

export function compileTemplate(name: string, source: string, opts: TemplateOptions = {}): CompiledTemplate {
  const stepBudget = positiveInt(opts.stepBudget, DEFAULT_STEP_BUDGET, 'stepBudget');
  const maxBytes = positiveInt(opts.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes');
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new TemplateLimitError(
      `template: ${name}: source exceeds the limit of ${MAX_SOURCE_LENGTH} characters`,
    );
  }
  let parsed;
  try {
    parsed = parse(name, source, checkFunction);
  } catch (e) {
    throw toTemplateError(e, name, source);
  }
  const tree = parsed;
  return {
    name,
    execute(data: Record<string, unknown>): string {
      try {
        return new Executor(tree, name, new Budget(stepBudget, maxBytes)).run(prepareData(data));
      } catch (e) {
        throw toTemplateError(e, name, source);
      }
    },
  };
}

export function renderTemplate(
  name: string,
  source: string,
  data: Record<string, unknown>,
  opts?: TemplateOptions,
): string {
  return compileTemplate(name, source, opts).execute(data);
}
