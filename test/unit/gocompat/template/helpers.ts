// Shared helpers for the template engine tests.
import { renderTemplate, TemplateError, type TemplateOptions } from '../../../../src/gocompat/template';

export function render(src: string, data: Record<string, unknown> = {}, opts?: TemplateOptions): string {
  return renderTemplate('t', src, data, opts);
}

/** Renders a template that must fail and returns the TemplateError. */
export function renderError(
  src: string,
  data: Record<string, unknown> = {},
  opts?: TemplateOptions,
): TemplateError {
  try {
    render(src, data, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`);
}
