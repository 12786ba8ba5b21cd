// Sprig functions checked against vectors computed by Go's text/template with Sprig v3.3.0 (see
// fixtures/sprig/README.md): the output, or the error's message after Go's position prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { render, renderError } from './helpers';

function vectors(name: string): [string, string, string][] {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'sprig', `${name}.json`), 'utf8')) as [
    string,
    string,
    string,
  ][];
}

describe.each(['decimal', 'xstrings', 'semver', 'url'])('%s', (name) => {
  test.each(vectors(name))('%s', (template, output, error) => {
    if (error === '') expect(render(template)).toBe(output);
    else expect(renderError(template).message).toContain(error.replace(/^.*error calling \w+: /, ''));
  });
});
