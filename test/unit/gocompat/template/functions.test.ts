import { SUPPORTED_FUNCTIONS, compileTemplate, TemplateError } from '../../../../src/gocompat/template';
import { render, renderError } from './helpers';

describe('string functions', () => {
  it('trim, case and affixes', () => {
    expect(
      render('{{ "  hi \\n" | trim }}|{{ upper "abc" }}|{{ lower "ÀB" }}|{{ title "hello world-foo" }}'),
    ).toBe('hi|ABC|àb|Hello World-Foo');
    expect(
      render('{{ trimPrefix "foo-" "foo-bar" }} {{ trimSuffix ".txt" "a.txt" }} {{ trimAll "$" "$$5.00$" }}'),
    ).toBe('bar a 5.00');
    expect(
      render('{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "x" "hello" }}'),
    ).toBe('true true false');
  });

  it('quote, squote, cat, toString', () => {
    expect(render('{{ quote "a\\"b" 5 nil }}|{{ squote "x" }}|{{ cat "a" 1 nil "b" }}')).toBe(
      `"a\\"b" "5"|'x'|a 1 b`,
    );
    expect(render('{{ toString 5 }} {{ toString 1.5 }} {{ toString (list 1 "a") }}')).toBe('5 1.5 [1 a]');
    expect(render('{{ .a | quote }}', { a: 'tab\there' })).toBe('"tab\\there"');
  });

  it('replace uses Sprig argument order (old new source)', () => {
    expect(render('{{ "aaa" | replace "a" "b" }}|{{ replace "-" "_" .k }}', { k: 'a-b-c' })).toBe(
      'bbb|a_b_c',
    );
    expect(render('{{ replace "" "-" "ab" }}')).toBe('-a-b-');
  });

  it('indent and nindent', () => {
    expect(render('{{ "line1\\nline2" | indent 2 }}')).toBe('  line1\n  line2');
    expect(render('key:{{ .v | nindent 4 }}', { v: 'a\nb' })).toBe('key:\n    a\n    b');
  });

  it('split, splitList, join, sortAlpha', () => {
    expect(render('{{ $p := split "," "a,b,c" }}{{ $p._1 }} {{ split "," "a,b" }}')).toBe('b map[_0:a _1:b]');
    expect(render('{{ splitList "," "a,b,c" | join "-" }}')).toBe('a-b-c');
    expect(render('{{ join ", " (list "a" 1 nil true) }}')).toBe('a, 1, true');
    expect(render('{{ sortAlpha (list "b" "a" "C") }}')).toBe('[C a b]');
  });

  it('trunc, substr, repeat, nospace, abbrev, plural', () => {
    expect(
      render(
        '{{ trunc 3 "abcdef" }} {{ trunc -2 "abcdef" }} {{ substr 1 3 "abcdef" }} {{ repeat 3 "ab" }} {{ nospace " a b\\tc " }}',
      ),
    ).toBe('abc ef bc ababab abc');
    expect(
      render('{{ abbrev 5 "hello world" }} {{ plural "one" "many" 2 }} {{ plural "one" "many" 1 }}'),
    ).toBe('he... many one');
    expect(renderError('{{ substr 5 2 "abc" }}').message).toContain('error calling substr: runtime error');
  });

  it('checks argument types like Go', () => {
    expect(renderError('{{ upper 5 }}').message).toContain('expected string; found 5');
    expect(renderError('{{ upper (list) }}').message).toContain(
      'wrong type for value; expected string; got []interface {}',
    );
    expect(renderError('{{ indent "2" "x" }}').message).toContain('expected integer; found "2"');
    expect(renderError('{{ upper }}').message).toContain('wrong number of args for upper: want 1 got 0');
    expect(renderError('{{ upper .m }}', { m: 1 }).message).toBe(
      'template: t:1:9: executing "t" at <.m>: wrong type for value; expected string; got float64',
    );
  });
});

describe('encoding and hashing', () => {
  it('b64enc / b64dec like Go', () => {
    expect(render('{{ .a | b64enc }}', { a: 'hello' })).toBe('aGVsbG8=');
    expect(render('{{ "héllo" | b64enc }}')).toBe('aMOpbGxv');
    expect(render('{{ .a | b64dec }}', { a: 'aGVs\nbG8=' })).toBe('hello');
    // Sprig returns Go's error text as the result.
    expect(render('{{ b64dec "aGVsbG8" }}')).toBe('illegal base64 data at input byte 4');
    expect(render('{{ b64dec "a!==" }}')).toBe('illegal base64 data at input byte 1');
  });

  it('b32enc / b32dec', () => {
    expect(
      render('{{ b32enc "hello" }} {{ b32enc "a" }} {{ b32dec "NBSWY3DP" }} {{ b32dec "ME======" }}'),
    ).toBe('NBSWY3DP ME====== hello a');
  });

  it('hashes', () => {
    expect(render('{{ sha256sum "abc" }}')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(render('{{ sha1sum "abc" }}')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(render('{{ adler32sum "Wikipedia" }}')).toBe('300286872');
  });

  it('urlquery and html', () => {
    expect(render('{{ urlquery "a b&c=d/é" }}')).toBe('a+b%26c%3Dd%2F%C3%A9');
    expect(render(`{{ html "<a href='x'>&" }}`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });
});

describe('JSON', () => {
  it('toJson formats like encoding/json (sorted keys, no spaces, HTML-safe)', () => {
    expect(render('{{ dict "b" "x" "a" 1 | toJson }}')).toBe('{"a":1,"b":"x"}');
    expect(render('{{ .j | fromJson | toJson }}', { j: '{ "b": [1, 2.5, "x", null, true], "a": {} }' })).toBe(
      '{"a":{},"b":[1,2.5,"x",null,true]}',
    );
    expect(render('{{ "<a&b>" | toJson }}')).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(render('{{ "<a&b>" | toRawJson }}')).toBe('"<a&b>"');
    expect(render('{{ .s | toJson }}', { s: 'q"b\\s\n\t\u0001\u2028' })).toBe(
      '"q\\"b\\\\s\\n\\t\\u0001\\u2028"',
    );
    expect(
      render(
        '{{ fromJson "1e21" | toJson }} {{ fromJson "0.0000001" | toJson }} {{ fromJson "12345678" | toJson }}',
      ),
    ).toBe('1e+21 1e-7 12345678');
  });

  it.each([
    ['0.000001', '0.000001'],
    ['0.000000999', '9.99e-7'],
    ['1e-100', '1e-100'],
    ['5e-324', '5e-324'],
    ['1e20', '100000000000000000000'],
    ['1e21', '1e+21'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['-0', '-0'],
    ['-123456789.125', '-123456789.125'],
  ])('toJson writes the float64 %s as encoding/json does: %s', (json, want) => {
    expect(render('{{ .j | fromJson | toJson }}', { j: json })).toBe(want);
  });

  it('toPrettyJson indents with two spaces', () => {
    expect(render('{{ toPrettyJson (dict "a" (list 1 2) "b" (dict)) }}')).toBe(
      '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}',
    );
  });

  it('fromJson ignores invalid input like Sprig; mustFromJson fails without echoing it', () => {
    expect(render('{{ .bad | fromJson | toJson }}', { bad: '{"a":' })).toBe('null');
    const err = renderError('{{ .bad | mustFromJson }}', { bad: '{"token":"abc' });
    expect(err.message).toContain('error calling mustFromJson: input is not valid JSON');
    expect(err.message).not.toContain('abc');
  });

  it('reads nested values from JSON secrets', () => {
    const data = { cfg: '{"db":{"host":"db.local","port":5432,"ratio":0.25,"big":12345678}}' };
    expect(render('{{ (.cfg | fromJson).db.host }}:{{ (.cfg | fromJson).db.port }}', data)).toBe(
      'db.local:5432',
    );
    // JSON numbers are float64, printed with %v as Go does.
    expect(render('{{ (.cfg | fromJson).db.big }} {{ (.cfg | fromJson).db.ratio }}', data)).toBe(
      '1.2345678e+07 0.25',
    );
  });

  it('swallows encoding errors in toJson but not in mustToJson', () => {
    expect(render('[{{ toJson (float64 "NaN") }}]')).toBe('[]');
    expect(renderError('{{ mustToJson (float64 "NaN") }}').message).toContain('json: unsupported value');
  });
});

describe('YAML', () => {
  it('toYaml writes go-yaml style', () => {
    const j = '{"b":[1,2,{"x":"y"}],"a":"true","s":"a: b","m":"line1\\nline2","n":null,"f":1.5,"i":10}';
    expect(render('{{ toYaml (fromJson .j) }}', { j })).toBe(
      'a: "true"\nb:\n- 1\n- 2\n- x: "y"\nf: 1.5\ni: 10\nm: |-\n  line1\n  line2\n"n": null\ns: \'a: b\'',
    );
    expect(render('{{ toYaml (dict "k10" 1 "k9" 2 "k" 3) }}')).toBe('k: 3\nk9: 2\nk10: 1');
    expect(render('{{ toYaml "plain" }}|{{ toYaml (list) }}')).toBe('plain|[]');
  });

  it('fromYaml reads YAML 1.1 into a map', () => {
    expect(render('{{ fromYaml .y }}', { y: 'a: yes\nb: [1, 2]\nc: 2001-01-01\nd: 0777' })).toBe(
      'map[a:true b:[1 2] c:2001-01-01 d:511]',
    );
    expect(render('{{ (fromYaml .y).db.user }}', { y: 'db:\n  user: admin\n' })).toBe('admin');
    expect(render('{{ fromYaml "" }}')).toBe('map[]');
  });

  it('fromYaml reads the first document of a stream, as Go does', () => {
    expect(render('{{ fromYaml .y }}', { y: 'a: 1\n---\nb: [unclosed\n---\nc: 3\n' })).toBe('map[a:1]');
  });

  it('fromYaml reports errors in the Error key like ESO, without echoing input', () => {
    const out = render('{{ (fromYaml .y).Error }}', { y: 'a: [unclosed-secret' });
    expect(out).toContain('invalid YAML');
    expect(out).not.toContain('unclosed-secret');
    expect(render('{{ (fromYaml "- a").Error }}')).toContain(
      'cannot unmarshal array into Go value of type map',
    );
  });
});

describe('lists and dicts', () => {
  it('list, dict, get, set, unset, hasKey, keys, values', () => {
    expect(render('{{ list 1 "a" 2.5 true nil }}')).toBe('[1 a 2.5 true <nil>]');
    expect(
      render(
        '{{ $d := dict "b" 2 "a" 1 }}{{ $d }} {{ get $d "a" }} [{{ get $d "z" }}] {{ hasKey $d "b" }} {{ keys $d }} {{ values $d }}',
      ),
    ).toBe('map[a:1 b:2] 1 [] true [a b] [1 2]');
    expect(render('{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $_ := unset $d "a" }}{{ $d }}')).toBe(
      'map[b:2]',
    );
    expect(render('{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" }} {{ omit (dict "a" 1 "b" 2) "a" }}')).toBe(
      'map[a:1 c:3] map[b:2]',
    );
    expect(render('{{ hasKey . "k" }} {{ get . "k" }}', { k: 'v' })).toBe('true v');
  });

  it('list helpers', () => {
    expect(
      render(
        '{{ first (list 1 2 3) }} {{ last (list 1 2 3) }} {{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }} {{ append (list 1) 2 }} {{ prepend (list 1) 0 }}',
      ),
    ).toBe('1 3 [2 3] [1 2] [1 2] [0 1]');
    expect(
      render(
        '{{ uniq (list 1 1 "a" "a" 2) }} {{ has 2 (list 1 2) }} {{ without (list 1 2 3) 2 }} {{ concat (list 1) (list 2 3) }} {{ compact (list "" "a" 0 1 nil) }} {{ reverse (list 1 2 3) }}',
      ),
    ).toBe('[1 a 2] true [1 3] [1 2 3] [a 1] [3 2 1]');
    expect(render('{{ slice (list 1 2 3 4) 1 3 }} {{ chunk 2 (list 1 2 3) }}')).toBe('[2 3] [[1 2] [3]]');
    expect(render('{{ mustUniq (list 1 1) }} {{ mustHas 1 (list 1) }}')).toBe('[1] true');
    expect(renderError('{{ first "abc" }}').message).toContain(
      'error calling first: Cannot find first on type string',
    );
  });

  it('dig, merge, mergeOverwrite', () => {
    const j = '{"a":{"b":"x"}}';
    expect(render('{{ dig "a" "b" "def" (fromJson .j) }} {{ dig "a" "z" "def" (fromJson .j) }}', { j })).toBe(
      'x def',
    );
    expect(
      render(
        '{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }} {{ mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3) }}',
      ),
    ).toBe('map[a:1 b:3] map[a:2 b:3]');
  });

  it('index and len', () => {
    expect(render('{{ index (list "a" "b") 1 }} {{ index (fromJson .j) "k" 0 }}', { j: '{"k":["v"]}' })).toBe(
      'b v',
    );
    expect(render('{{ index . "my-key" }}', { 'my-key': 'dash' })).toBe('dash');
    expect(render('{{ len "héllo" }} {{ len (list 1 2) }} {{ len (dict "a" 1) }}')).toBe('6 2 1');
    expect(renderError('{{ index (list 1) 5 }}').message).toContain(
      'error calling index: index out of range',
    );
  });
});

describe('defaults, logic and numbers', () => {
  it('default, empty, coalesce, ternary, all, any', () => {
    expect(render('{{ .a | default "dflt" }}', { a: '' })).toBe('dflt');
    expect(render('{{ .a | default "dflt" }}', { a: 'set' })).toBe('set');
    expect(render('{{ empty "" }} {{ empty "a" }} {{ empty 0 }} {{ empty (list) }}')).toBe(
      'true false true true',
    );
    expect(render('{{ coalesce "" "" "x" "y" }} {{ all "a" 1 }} {{ any "" 0 }}')).toBe('x true false');
    expect(
      render(
        '{{ ternary "yes" "no" true }} {{ true | ternary "yes" "no" }} {{ false | ternary "yes" "no" }}',
      ),
    ).toBe('yes yes no');
  });

  it('integer arithmetic like Sprig (int64, strings cast)', () => {
    expect(
      render(
        '{{ add 1 2 3 }} {{ sub 10 4 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add1 9 }} {{ max 1 5 3 }} {{ min 4 2 8 }}',
      ),
    ).toBe('6 6 24 3 1 10 5 2');
    expect(
      render(
        '{{ add "5" 1 }} {{ atoi "42" }} {{ atoi "x" }} {{ int "12" }} {{ float64 "1.5" }} {{ int64 2.9 }}',
      ),
    ).toBe('6 42 0 12 1.5 2');
    expect(render('{{ until 3 }} {{ untilStep 0 10 3 }} {{ seq 3 }} {{ seq 2 -1 }}')).toBe(
      '[0 1 2] [0 3 6 9] 1 2 3 2 1 0 -1',
    );
    expect(render('{{ floor 1.7 }} {{ ceil 1.2 }} {{ round 3.14159 2 }}')).toBe('1 2 3.14');
    expect(renderError('{{ div 1 0 }}').message).toContain(
      'error calling div: runtime error: integer divide by zero',
    );
  });

  it('reflection helpers', () => {
    expect(
      render(
        '{{ kindOf "a" }} {{ kindOf 1 }} {{ kindOf 1.5 }} {{ kindOf (list) }} {{ kindOf (dict) }} {{ kindIs "map" $ }} {{ typeOf (list) }}',
      ),
    ).toBe('string int float64 slice map true []interface {}');
  });

  it('fail aborts with a literal message', () => {
    expect(renderError('{{ if not .a }}{{ fail "a is required" }}{{ end }}', { a: '' }).message).toContain(
      'error calling fail: a is required',
    );
  });
});

describe('regular expressions', () => {
  it('match, find, replace and split with Go semantics', () => {
    expect(render('{{ regexMatch "^[a-z]+$" "abc" }} {{ regexMatch "(" "x" }}')).toBe('true false');
    expect(render('{{ regexFind "[0-9]+" "ab123cd45" }} {{ regexFindAll "[0-9]+" "a1b22c333" 2 }}')).toBe(
      '123 [1 22]',
    );
    expect(render('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}')).toBe('-W-xxW-');
    expect(render('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}')).toBe('---');
    expect(render('{{ regexReplaceAll "(?P<key>\\\\w+)=(?P<v>\\\\w+)" "a=1 b=2" "$v:$key" }}')).toBe(
      '1:a 2:b',
    );
    expect(render('{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}')).toBe('-${1}-${1}-');
    expect(render('{{ regexReplaceAll "a*" "baaac" "X" }}')).toBe('XbXcX');
    expect(
      render('{{ regexSplit "z+" "pizza" -1 }} {{ regexSplit "" "abc" -1 }} {{ regexQuoteMeta "1.5+x" }}'),
    ).toBe('[pi a] [a b c] 1\\.5\\+x');
    expect(renderError('{{ mustRegexMatch "(" "x" }}').message).toContain('invalid regular expression');
  });
});

describe('ESO engine v1 aliases', () => {
  it('maps v1 names onto v2 functions', () => {
    expect(
      render(
        '{{ base64encode "hi" }} {{ base64decode "aGk=" }} {{ toJSON (list 1) }} {{ (fromJSON "{\\"a\\":1}").a }}',
      ),
    ).toBe('aGk= hi [1] 1');
    expect(renderError('{{ fromJSON "nope" }}').message).toContain('input is not valid JSON');
  });
});

describe('unsupported functions', () => {
  it.each([
    'fromProperties',
    'getSecretKey',
    'env',
    'expandenv',
    'getHostByName',
    'now',
    'randAlphaNum',
    'frobnicate',
  ])('rejects %s at compile time, naming it', (name) => {
    let err: unknown;
    try {
      compileTemplate('t', `{{ ${name} .a }}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    const message = (err as Error).message;
    expect(message).toContain(`function "${name}" is not supported by secretsync`);
    expect(message).toContain('supported: b64enc, b64dec');
    expect(message.length).toBeLessThan(260);
  });

  it('lists the supported functions', () => {
    for (const name of [
      'b64enc',
      'toJson',
      'fromYaml',
      'printf',
      'replace',
      'and',
      'index',
      'base64encode',
      'pkcs12cert',
      'filterPEM',
      'rsaDecrypt',
    ]) {
      expect(SUPPORTED_FUNCTIONS).toContain(name);
    }
    for (const name of ['env', 'expandenv', 'getHostByName', 'getSecretKey', 'call']) {
      expect(SUPPORTED_FUNCTIONS).not.toContain(name);
    }
    expect([...SUPPORTED_FUNCTIONS]).toEqual([...SUPPORTED_FUNCTIONS].sort());
  });
});
