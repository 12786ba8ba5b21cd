import fc from 'fast-check';

import { renderTemplate, SUPPORTED_FUNCTIONS, TemplateError } from '../../../../src/gocompat/template';

const data = { a: 'x', j: '{"k":[1,{"z":null}],"s":"v","f":1.5}', y: 'a: 1\nb: [x]', n: '5', e: '' };

// Random pipelines over every supported function: whatever the arguments, a template either renders
// or fails with a TemplateError that describes the problem (never an "internal error", which would
// mean a function threw something unexpected).
describe('robustness', () => {
  it('never fails with anything but a descriptive TemplateError', () => {
    const fns = SUPPORTED_FUNCTIONS.filter((f) => f !== 'fail');
    const literal = fc.constantFrom(
      '"a"',
      '"%d %s %v"',
      '"a*"',
      '"$1x"',
      '1',
      '0',
      '-1',
      '2.5',
      'nil',
      'true',
      '.a',
      '.j',
      '.n',
      '.e',
      '$',
      '.',
      '"{\\"q\\":1}"',
      '`x: [1]`',
      '"a,b"',
    );
    const { cmd } = fc.letrec<{ cmd: string; arg: string }>((tie) => ({
      cmd: fc
        .tuple(fc.constantFrom(...fns), fc.array(tie('arg'), { maxLength: 4 }))
        .map(([f, args]) => [f, ...args].join(' ')),
      arg: fc.oneof(
        { depthSize: 'small' },
        literal,
        literal,
        literal,
        tie('cmd').map((c) => `(${c})`),
      ),
    }));
    const pipeline = fc.array(cmd, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(' | '));
    fc.assert(
      fc.property(pipeline, (p) => {
        for (const src of [`{{ ${p} }}`, `{{ range $k, $v := ${p} }}{{ $k }}={{ $v }}{{ end }}`]) {
          try {
            renderTemplate('fuzz', src, data, { stepBudget: 20_000, maxOutputBytes: 100_000 });
          } catch (e) {
            expect(e).toBeInstanceOf(TemplateError);
            expect((e as Error).message).not.toMatch(/internal error|too deeply nested/);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
