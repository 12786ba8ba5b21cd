// Error types for the template engine. TemplateError is the only error that escapes the public
// API; the others are internal signals that carry a source offset or a value-free message.
//
// Invariant: no message built anywhere in this engine may contain a data value (or anything derived
// from one). Messages may name keys taken from the template source, functions, types and positions.

/** The single error type thrown by compileTemplate / execute. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A resource limit (step budget, output size, nesting depth) was exceeded. */
export class TemplateLimitError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateLimitError';
  }
}

/** Internal: a syntax or evaluation failure at a byte offset of the template source. */
export class PositionedError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/**
 * Internal: thrown by function implementations. The evaluator wraps it as
 * `error calling NAME: MESSAGE`, so the message must be value-free.
 */
export class FuncError extends Error {}
