import { render, renderError } from './helpers';

describe('control structures', () => {
  it('if / else if / else', () => {
    const tpl = '{{ if eq .a "x" }}ex{{ else if eq .a "y" }}why{{ else }}other{{ end }}';
    expect(render(tpl, { a: 'x' })).toBe('ex');
    expect(render(tpl, { a: 'y' })).toBe('why');
    expect(render(tpl, { a: 'z' })).toBe('other');
  });

  it('uses Go truthiness', () => {
    const truthy = (expr: string, data: Record<string, unknown> = {}): string =>
      render(`{{ if ${expr} }}T{{ else }}F{{ end }}`, data);
    expect(truthy('.s', { s: '' })).toBe('F');
    expect(truthy('.s', { s: '0' })).toBe('T'); // a non-empty string
    expect(truthy('0')).toBe('F');
    expect(truthy('1')).toBe('T');
    expect(truthy('0.0')).toBe('F');
    expect(truthy('(fromJson "0")')).toBe('F');
    expect(truthy('(fromJson "null")')).toBe('F');
    expect(truthy('(fromJson "false")')).toBe('F');
    expect(truthy('(fromJson "[]")')).toBe('F');
    expect(truthy('(fromJson "{}")')).toBe('F');
    expect(truthy('(fromJson "[0]")')).toBe('T');
    expect(truthy('list')).toBe('F');
    expect(truthy('dict')).toBe('F');
    expect(truthy('(dict "a" "")')).toBe('T');
    expect(renderError('{{ if nil }}{{ end }}').message).toContain('nil is not a command');
  });

  it('with sets dot and has else / else with branches', () => {
    expect(render('{{ with .a }}<{{ . }}>{{ else }}none{{ end }}', { a: 'A' })).toBe('<A>');
    expect(render('{{ with .a }}<{{ . }}>{{ else }}none{{ end }}', { a: '' })).toBe('none');
    expect(
      render('{{ with .a }}a{{ else with .b }}b={{ . }}{{ else }}none{{ end }}', { a: '', b: 'B' }),
    ).toBe('b=B');
    expect(render('{{ with $x := .a }}{{ $x }}{{ . }}{{ end }}', { a: 'A' })).toBe('AA');
  });

  it('ranges over lists with index, element and else', () => {
    expect(render('{{ range list "a" "b" }}[{{ . }}]{{ end }}')).toBe('[a][b]');
    expect(render('{{ range $i, $e := list "a" "b" }}{{ $i }}={{ $e }};{{ end }}')).toBe('0=a;1=b;');
    expect(render('{{ range $e := list "a" "b" }}{{ $e }}{{ end }}')).toBe('ab');
    expect(render('{{ range list }}x{{ else }}empty{{ end }}')).toBe('empty');
    expect(render('{{ range (fromJson "null") }}x{{ else }}nil{{ end }}')).toBe('nil');
  });

  it('ranges over maps in sorted key order', () => {
    const data = { zeta: '3', alpha: '1', Mid: '2', b10: 'x', b9: 'y' };
    expect(render('{{- range $k, $v := . }}{{ $k }}={{ $v }}\n{{ end }}', data)).toBe(
      'Mid=2\nalpha=1\nb10=x\nb9=y\nzeta=3\n',
    );
    expect(render('{{ range . }}{{ . }}{{ end }}', { b: '2', a: '1' })).toBe('12');
    expect(
      render('{{ range $k, $v := fromJson .j }}{{ $k }}:{{ $v }} {{ end }}', {
        j: '{"y":[1],"x":{"n":true}}',
      }),
    ).toBe('x:map[n:true] y:[1] ');
  });

  it('ranges over an integer (Go 1.22)', () => {
    expect(render('{{ range 3 }}{{ . }}{{ end }}')).toBe('012');
    expect(render('{{ range $i := 3 }}{{ $i }}{{ end }}')).toBe('012');
    expect(render('{{ range 0 }}x{{ else }}none{{ end }}')).toBe('none');
  });

  it('supports break and continue', () => {
    expect(render('{{ range $i := until 10 }}{{ if eq $i 4 }}{{ break }}{{ end }}{{ $i }}{{ end }}')).toBe(
      '0123',
    );
    expect(
      render('{{ range $i := until 5 }}{{ if eq (mod $i 2) 0 }}{{ continue }}{{ end }}{{ $i }}{{ end }}'),
    ).toBe('13');
    expect(
      render(
        '{{ range $i := until 3 }}{{ range $j := until 3 }}{{ if eq $j 1 }}{{ break }}{{ end }}{{ $i }}{{ $j }} {{ end }}{{ end }}',
      ),
    ).toBe('00 10 20 ');
  });

  it('assigns range variables with =', () => {
    expect(
      render('{{ $k := "" }}{{ $v := "" }}{{ range $k, $v = .m | fromJson }}{{ end }}{{ $k }}{{ $v }}', {
        m: '{"a":1,"b":2}',
      }),
    ).toBe('b2');
  });

  it('cannot range over a string', () => {
    expect(renderError('{{ range .s }}{{ end }}', { s: 'abc' }).message).toContain(
      "range can't iterate over a value of type string",
    );
  });

  it('define, template and block', () => {
    expect(
      render('{{ define "greet" }}Hello {{ . }}!{{ end }}{{ template "greet" .name }}', { name: 'bob' }),
    ).toBe('Hello bob!');
    expect(render('{{ define "x" }}[{{ $ }}]{{ end }}{{ template "x" }}')).toBe('[<no value>]');
    expect(render('{{ block "b" .name }}<{{ . }}>{{ end }}', { name: 'n' })).toBe('<n>');
    expect(
      render(
        '{{ define "item" }}{{ .k }}={{ .v }};{{ end }}{{ range $k, $v := . }}{{ template "item" dict "k" $k "v" $v }}{{ end }}',
        {
          b: '2',
          a: '1',
        },
      ),
    ).toBe('a=1;b=2;');
    expect(renderError('{{ template "nope" }}').message).toContain('no such template "nope"');
    expect(renderError('{{ define "a" }}1{{ end }}{{ define "a" }}2{{ end }}').message).toContain(
      'multiple definition of template "a"',
    );
  });

  it('and / or short-circuit and return an operand', () => {
    expect(render('{{ and "a" "b" }}|{{ and "" "b" }}|{{ or "" "x" }}|{{ or "" "" }}|')).toBe('b||x||');
    expect(render('{{ and "" (fail "not evaluated") }}')).toBe('');
    expect(render('{{ or "yes" (fail "not evaluated") }}')).toBe('yes');
    expect(render('{{ "piped" | and "x" }}')).toBe('piped');
    expect(render('{{ not "" }} {{ not "a" }}')).toBe('true false');
  });

  it('compares with Go rules', () => {
    expect(render('{{ eq .a "x" }} {{ ne .a "x" }} {{ eq .a "y" "z" "x" }}', { a: 'x' })).toBe(
      'true false true',
    );
    expect(render('{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}')).toBe(
      'true true true false',
    );
    expect(render('{{ eq (len .a) 3 }}', { a: 'abc' })).toBe('true');
    expect(render('{{ eq (fromJson "1") 1.0 }}')).toBe('true');
    expect(render('{{ eq nil nil }} {{ eq .a nil }}', { a: 'x' })).toBe('true false');
    // JSON numbers are float64 and integer literals are int: Go refuses to compare them.
    expect(renderError('{{ eq (fromJson "5432") 5432 }}').message).toContain(
      'incompatible types for comparison',
    );
    expect(renderError('{{ lt "a" 1 }}').message).toContain('incompatible types for comparison');
    expect(renderError('{{ lt true false }}').message).toContain('invalid type for comparison');
    expect(renderError('{{ eq (list 1) (list 1) }}').message).toContain('non-comparable');
  });

  it('errors on a missing key (missingkey=error), naming the key', () => {
    expect(renderError('{{ .nope }}', { a: 'x' }).message).toContain('map has no entry for key "nope"');
    expect(renderError('{{ (fromJson .j).b.c }}', { j: '{"b":{}}' }).message).toContain(
      'map has no entry for key "c"',
    );
    expect(renderError('{{ (fromJson .j).b.c }}', { j: '{"b":null}' }).message).toContain(
      'nil pointer evaluating interface {}.c',
    );
    expect(renderError('{{ .a.b }}', { a: 'x' }).message).toContain("can't evaluate field b in type string");
    expect(renderError('{{ if .nope }}{{ end }}').message).toContain('map has no entry for key "nope"');
    // index and hasKey are the ways to probe for optional keys.
    expect(render('[{{ index . "nope" }}]{{ if hasKey $ "nope" }}x{{ end }}')).toBe('[]');
  });

  it('prints <no value> for nil results', () => {
    expect(render('{{ (fromJson .j).a }}', { j: '{"a":null}' })).toBe('<no value>');
    expect(render('{{ index (fromJson .j) "missing" }}', { j: '{}' })).toBe('<no value>');
    expect(render('{{ print nil }}')).toBe('<nil>');
  });

  it('rejects arguments to non-functions', () => {
    expect(renderError('{{ "x" | .a }}', { a: 'y' }).message).toContain(
      'a is not a method but has arguments',
    );
    expect(renderError('{{ $x := 1 }}{{ "a" | $x }}').message).toContain(
      "can't give argument to non-function $x",
    );
    expect(renderError('{{ nil }}').message).toContain('nil is not a command');
  });
});
