import { compileTemplate, TemplateLimitError } from '../../../../src/gocompat/template';
import { render, renderError } from './helpers';

function expectLimit(src: string, data: Record<string, unknown> = {}, opts = {}): string {
  const started = Date.now();
  const err = renderError(src, data, opts);
  expect(err).toBeInstanceOf(TemplateLimitError);
  // Limits must trip quickly, not after the work is done.
  expect(Date.now() - started).toBeLessThan(5000);
  return err.message;
}

describe('resource limits', () => {
  it('stops long loops with the step budget', () => {
    expect(expectLimit('{{ range $i := until 1000000 }}{{ $i }}{{ end }}')).toContain(
      'exceeded the evaluation budget of 100000 steps',
    );
    expect(
      expectLimit('{{ range $i := until 1000 }}{{ range $j := until 1000 }}{{ end }}{{ end }}'),
    ).toContain('evaluation budget');
    expect(expectLimit('{{ range 100000000 }}{{ end }}')).toContain('evaluation budget');
    expect(expectLimit('{{ until 2000000000 }}')).toContain('evaluation budget');
  });

  it('honours a custom step budget', () => {
    expect(render('{{ range until 10 }}x{{ end }}', {}, { stepBudget: 1000 })).toBe('xxxxxxxxxx');
    expect(expectLimit('{{ range until 500 }}x{{ end }}', {}, { stepBudget: 1000 })).toContain('1000 steps');
  });

  it('charges YAML parsing by its size before parsing, however few values it yields', () => {
    const big = `a: "${'x'.repeat(16_000)}"`; // one value, 16,000 characters to parse
    expect(expectLimit('{{ fromYaml .y }}', { y: big }, { stepBudget: 1000 })).toContain('1000 steps');
    expect(render('{{ len (fromYaml .y).a }}', { y: big })).toBe('16000');
  });

  it('refuses YAML nested deeper than the value walk allows before parsing it', () => {
    const deep = `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(render('{{ (fromYaml .y).Error }}', { y: deep })).toContain('nesting deeper than 1000 levels');
    const ok = `a: ${'['.repeat(100)}${']'.repeat(100)}`;
    expect(render('{{ len (fromYaml .y).a }}', { y: ok })).toBe('1');
  });

  it('caps the output size', () => {
    const big = 'x'.repeat(1024);
    expect(expectLimit('{{ range until 2000 }}{{ $.big }}{{ end }}', { big })).toContain(
      'template: t: output exceeds the limit of 1048576 bytes',
    );
    expect(expectLimit('{{ .a }}{{ .a }}', { a: 'abcdef' }, { maxOutputBytes: 10 })).toContain(
      'limit of 10 bytes',
    );
    expect(render('{{ .a }}', { a: 'abcdef' }, { maxOutputBytes: 10 })).toBe('abcdef');
  });

  it('caps strings built by functions before building them', () => {
    expect(expectLimit('{{ repeat 1000000000 "abc" }}')).toContain('exceeds the limit');
    expect(expectLimit('{{ $s := repeat 1000000 "a" }}{{ $t := replace "a" $s $s }}')).toContain(
      'exceeds the limit',
    );
    expect(expectLimit('{{ indent 100000000 "a\\nb" }}')).toContain('exceeds the limit');
    expect(expectLimit('{{ printf "%999999d%999999d" 1 2 }}', {}, { maxOutputBytes: 1000 })).toContain(
      'exceeds the limit',
    );
  });

  it('survives values that grow exponentially or refer to themselves', () => {
    expect(
      expectLimit('{{ $a := list "x" }}{{ range until 60 }}{{ $a = list $a $a }}{{ end }}{{ toJson $a }}'),
    ).toMatch(/exceeds the limit|evaluation budget/);
    expect(
      expectLimit('{{ $a := list "x" }}{{ range until 60 }}{{ $a = list $a $a }}{{ end }}{{ $a }}'),
    ).toMatch(/exceeds the limit|evaluation budget/);
    const cyclic = '{{ $d := dict }}{{ $_ := set $d "self" $d }}';
    expect(expectLimit(`${cyclic}{{ $d }}`)).toMatch(/exceeds the limit|nesting|evaluation budget/);
    expect(expectLimit(`${cyclic}{{ toJson $d }}`)).toMatch(/exceeds the limit|nesting|evaluation budget/);
    expect(expectLimit(`${cyclic}{{ deepEqual $d $d }}`)).toMatch(/budget|nesting/);
  });

  it('limits recursive template calls', () => {
    expect(expectLimit('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}')).toContain(
      'template calls nest deeper than the limit of 100',
    );
  });

  it('limits nesting in the template source', () => {
    let err: unknown;
    try {
      compileTemplate('t', '{{ if true }}'.repeat(5000));
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('nesting exceeds the limit');
    try {
      compileTemplate('t', `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('nesting exceeds the limit');
  });

  it('rejects invalid options', () => {
    expect(() => compileTemplate('t', 'x', { stepBudget: 0 })).toThrow(
      'stepBudget must be a positive integer',
    );
    expect(() => compileTemplate('t', 'x', { maxOutputBytes: -1 })).toThrow(
      'maxOutputBytes must be a positive integer',
    );
  });
});
