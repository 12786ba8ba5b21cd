import fc from 'fast-check';

import { renderTemplate, TemplateError } from '../../../../src/gocompat/template';

const CANARY = 'CANARY-5f3a';

// Every value carries the canary, in every shape a template might parse it into.
const data: Record<string, string> = {
  password: CANARY,
  json: `{"token":"${CANARY}","n":1}`,
  badJson: `{"token":"${CANARY}"`,
  yaml: `token: [${CANARY}`,
  b64: Buffer.from(CANARY).toString('base64'),
  num: '7',
  pattern: `(${CANARY}`,
  list: `["${CANARY}"]`,
  [`key-${CANARY}`]: CANARY,
};

const failing = [
  '{{ .password.field }}',
  '{{ $x := .password }}{{ $x.field.deeper }}',
  '{{ (fromJson .json).token.field }}',
  '{{ (fromJson .json).missing }}',
  '{{ mustFromJson .badJson }}',
  '{{ fromJSON .badJson }}',
  '{{ fail .password }}',
  '{{ printf "%s" .password | fail }}',
  '{{ mustRegexMatch .pattern "x" }}',
  '{{ regexFind .pattern "x" }}',
  '{{ index (list 1) (atoi .num) }}',
  '{{ index (fromJson .list) 5 }}',
  '{{ index .password 99 }}',
  '{{ index .password "k" }}',
  '{{ upper (fromJson .json) }}',
  '{{ eq .password 1 }}',
  '{{ lt .password (fromJson .list) }}',
  '{{ eq (fromJson .list) (fromJson .list) }}',
  '{{ range .password }}{{ end }}',
  '{{ get .password "k" }}',
  '{{ len (fromJson "null") }}',
  '{{ .password | .json }}',
  '{{ div (len .password) 0 }}',
  '{{ .b64 | b64dec | mustFromJson }}',
  '{{ mustToJson (float64 .password) | fail }}',
  '{{ substr 100 200 .password }}',
  '{{ repeat -1 .password }}',
  '{{ first .password }}',
  '{{ dig "a" "b" .password }}',
  '{{ concat .password }}',
  '{{ template "nope" .password }}',
  '{{ nosuchfunction .password }}',
  '{{ env .password }}',
  '{{ pkcs12cert .password }}',
  '{{ .password | indent }}',
  '{{ (index . "key-CANARY-5f3a") | mustFromJson }}',
  '{{ $m := fromYaml .yaml }}{{ $m.Error.x }}',
  '{{ range $k, $v := . }}{{ $v.x }}{{ end }}',
  '{{ range $i := until (len .password) }}{{ $i.x }}{{ end }}',
  '{{ range until 200000 }}{{ $.password }}{{ end }}',
  '{{ repeat 100000000 .password }}',
  '{{ $d := dict .password .password }}{{ $d.missing }}',
  '{{ mustToRawJson (dict "x" (float64 "NaN") .password .password) }}',
];

describe('secret values never appear in errors', () => {
  it.each(failing)('%s', (src) => {
    let err: unknown;
    try {
      renderTemplate('tpl', src, data);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    const e = err as TemplateError;
    expect(e.message).not.toContain(CANARY);
    expect(e.message).not.toContain('5f3a');
    expect(String(e.stack)).not.toContain(CANARY);
    expect(e.cause).toBeUndefined();
  });

  it('holds for randomly assembled templates', () => {
    const fragments = [
      '{{',
      '}}',
      '{{-',
      '-}}',
      ' ',
      '.password',
      '.json',
      '.yaml',
      '.list',
      '.nope',
      '$',
      '$x',
      '$x :=',
      '|',
      '(',
      ')',
      '"a"',
      '1',
      '1.5',
      'nil',
      'range',
      'if',
      'with',
      'else',
      'end',
      'upper',
      'fromJson',
      'mustFromJson',
      'toJson',
      'index',
      'printf',
      '"%d %s %v"',
      'fail',
      'len',
      'eq',
      'lt',
      'get',
      'first',
      'b64dec',
      'toYaml',
      'fromYaml',
      'regexFind',
      'atoi',
      'until',
      'split',
      '.field',
      'text',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 25 }), (parts) => {
        const src = parts.join(' ');
        try {
          renderTemplate('fuzz', src, data, { stepBudget: 5000 });
        } catch (e) {
          if (!(e instanceof TemplateError)) throw e;
          if (e.message.includes(CANARY)) throw new Error(`canary leaked by ${src}: ${e.message}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
