import { compileTemplate, TemplateError } from '../../../../src/gocompat/template';
import { render, renderError } from './helpers';

describe('template syntax', () => {
  it('passes text through unchanged', () => {
    expect(render('plain text\nwith } and { braces')).toBe('plain text\nwith } and { braces');
    expect(render('')).toBe('');
  });

  it('prints fields of the data', () => {
    expect(render('user={{ .user }} pass={{.pass}}', { user: 'bob', pass: 's3cr3t' })).toBe(
      'user=bob pass=s3cr3t',
    );
  });

  it('trims white space with {{- and -}}', () => {
    expect(render('a  \n\t{{- .x -}}  \n b', { x: 'X' })).toBe('aXb');
    expect(render('a {{- .x }} b', { x: 'X' })).toBe('aX b');
    expect(render('a {{ .x -}} b', { x: 'X' })).toBe('a Xb');
    // Without a space after the minus it is a negative number, not a trim marker.
    expect(render('a {{-3}} b')).toBe('a -3 b');
    expect(render('a {{ 3 -}}\n\n b')).toBe('a 3b');
  });

  it('drops comments, with and without trim markers', () => {
    expect(render('a{{/* a comment */}}b')).toBe('ab');
    expect(render('a {{- /* multi\nline */ -}} b')).toBe('ab');
    expect(renderError('{{/* c */ .x }}').message).toContain('comment ends before closing delimiter');
  });

  it('parses string literals with Go escapes and raw strings', () => {
    expect(render('{{ "a\\tb\\u00e9\\x41\\101\\"" }}')).toBe('a\tbéAA"');
    expect(render('{{ `raw\\n "quoted"` }}')).toBe('raw\\n "quoted"');
    expect(render('{{ `multi\nline` }}')).toBe('multi\nline');
  });

  it('parses numbers, characters, booleans', () => {
    expect(render("{{ 0x1F }} {{ 1_000 }} {{ -5 }} {{ 1.5e3 }} {{ 'a' }} {{ 0o17 }} {{ 017 }}")).toBe(
      '31 1000 -5 1500 97 15 15',
    );
    expect(render('{{ 1.0 }} {{ 2.5 }} {{ 1e6 }} {{ .5 }}')).toBe('1 2.5 1e+06 0.5');
    expect(render('{{ true }} {{ false }}')).toBe('true false');
  });

  it('declares and assigns variables with Go scoping', () => {
    expect(render('{{ $x := "a" }}{{ $x }}{{ $x = "b" }}{{ $x }}')).toBe('ab');
    expect(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}')).toBe('2');
    expect(render('{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}')).toBe('21');
    expect(renderError('{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}').message).toContain(
      'undefined variable "$y"',
    );
    expect(renderError('{{ $z = 1 }}').message).toContain('undefined variable "$z"');
  });

  it('gives $ the root data everywhere', () => {
    expect(render('{{ range (list 1 2) }}{{ $.name }}{{ . }}{{ end }}', { name: 'n' })).toBe('n1n2');
  });

  it('evaluates pipelines, passing the value as the last argument', () => {
    expect(render('{{ "abc" | printf "%s-%s" "x" }}')).toBe('x-abc');
    expect(render('{{ .a | upper | printf "[%s]" }}', { a: 'q' })).toBe('[Q]');
    expect(render('{{ (printf "%s-%s" "a" "b") | upper }}')).toBe('A-B');
  });

  it('accesses fields of parenthesised expressions and variables', () => {
    const data = { cfg: '{"db":{"host":"db.local","port":5432}}' };
    expect(render('{{ (.cfg | fromJson).db.host }}', data)).toBe('db.local');
    expect(render('{{ $c := fromJson .cfg }}{{ $c.db.host }}:{{ $c.db.port }}', data)).toBe('db.local:5432');
  });

  it('allows actions to span lines', () => {
    expect(render('{{ printf "%s-%s"\n  "a"\n  "b" }}')).toBe('a-b');
  });

  it('rejects malformed templates at compile time', () => {
    const cases: [string, string][] = [
      ['{{ .a', 'unclosed action'],
      ['{{ end }}', 'unexpected {{end}}'],
      ['{{ else }}', 'unexpected {{else}}'],
      ['{{ if .a }}x', 'has no matching {{end}}'],
      ['{{ range .a }}{{ else }}{{ else }}{{ end }}', 'expected {{end}}'],
      ['{{ break }}', '{{break}} outside {{range}}'],
      ['{{ }}', 'missing value for command'],
      ['{{ .a | }}', 'missing command after |'],
      ['{{ "x" | "y" }}', 'non executable command in pipeline stage 2'],
      ['{{ "unterminated }}', 'unterminated quoted string'],
      ['{{ (.a }}', 'unclosed left paren'],
      ['{{ .a) }}', 'unexpected right paren'],
      ['{{ 3x }}', 'bad number syntax'],
      ['{{ # }}', 'unrecognized character in action'],
      ['{{ template .name }}', 'unexpected ".name" in template clause'],
      ['{{ "a".b }}', 'unexpected . after term'],
      ['{{ $x := 1 2 := 3 }}', 'unexpected ":=" in operand'],
    ];
    for (const [src, msg] of cases) {
      let err: unknown;
      try {
        compileTemplate('t', src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      expect({ src, message: (err as Error).message }).toEqual({
        src,
        message: expect.stringContaining(msg),
      });
    }
  });

  it('reports positions as Go does (line and byte column)', () => {
    expect(renderError('line1\n  {{ .missing }}').message).toBe(
      'template: t:2:5: executing "t" at <.missing>: map has no entry for key "missing"',
    );
    expect(renderError('{{ nosuchfn }}').message).toMatch(
      /^template: t:1:3: function "nosuchfn" is not supported/,
    );
  });

  it('compiles once and executes many times', () => {
    const tpl = compileTemplate('greeting', 'hello {{ .name }}');
    expect(tpl.name).toBe('greeting');
    expect(tpl.execute({ name: 'a' })).toBe('hello a');
    expect(tpl.execute({ name: 'b' })).toBe('hello b');
  });

  it('does not mutate the caller data', () => {
    const data = { a: 'x' };
    render('{{ $_ := set $ "b" "y" }}{{ .b }}', data);
    expect(data).toEqual({ a: 'x' });
  });
});
