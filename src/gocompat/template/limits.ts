// Resource accounting shared by the evaluator and the functions, so hostile templates cannot hang
// the controller or exhaust its memory: a step budget, a size cap for every string built and a
// nesting cap for recursive walks over values.

import { TemplateLimitError } from './errors';

export const DEFAULT_STEP_BUDGET = 100_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Maximum depth of nested {{template}} calls. */
export const MAX_TEMPLATE_DEPTH = 100;
/** Maximum nesting of values walked by printing, JSON encoding or comparison. */
export const MAX_VALUE_DEPTH = 1000;
/** Maximum nesting of control structures and parentheses in the template source. */
export const MAX_PARSE_DEPTH = 200;
/** String work charged as one step (per this many UTF-16 units processed). */
export const STRING_UNITS_PER_STEP = 256;
/**
 * Steps charged for one call of a deliberately slow key-derivation function (scrypt, PKCS#12's
 * iterated KDFs, ~0.1-0.2 s each): the default budget then allows 10 per render, not thousands.
 */
export const KDF_CALL_STEPS = 10_000;
/** Writes into a Sink charged as one step (printing large values is not free). */
const WRITES_PER_STEP = 8;

export class Budget {
  private used = 0;

  constructor(
    readonly stepBudget: number,
    readonly maxBytes: number,
  ) {}

  /** Charges n evaluation steps. */
  step(n = 1): void {
    this.used += n;
    if (this.used > this.stepBudget) {
      throw new TemplateLimitError(`exceeded the evaluation budget of ${this.stepBudget} steps`);
    }
  }

  /** Charges the work of processing a string of the given length. */
  stringWork(length: number): void {
    if (length >= STRING_UNITS_PER_STEP) this.step(Math.floor(length / STRING_UNITS_PER_STEP));
  }

  /** Throws if a string of `size` units would exceed the size cap. Call before building it. */
  checkSize(size: number): void {
    if (size > this.maxBytes) {
      throw new TemplateLimitError(`output exceeds the limit of ${this.maxBytes} bytes`);
    }
  }

  checkDepth(depth: number): void {
    if (depth > MAX_VALUE_DEPTH) {
      throw new TemplateLimitError(`value nesting exceeds the limit of ${MAX_VALUE_DEPTH} levels`);
    }
  }
}

/** A string builder that enforces the size cap while it grows. */
export class Sink {
  private readonly parts: string[] = [];
  private size = 0;
  private writes = 0;

  constructor(private readonly budget: Budget) {}

  write(s: string): void {
    if (s.length === 0) return;
    if (++this.writes % WRITES_PER_STEP === 0) this.budget.step();
    this.size += s.length;
    this.budget.checkSize(this.size);
    this.parts.push(s);
  }

  get length(): number {
    return this.size;
  }

  toString(): string {
    return this.parts.join('');
  }
}
