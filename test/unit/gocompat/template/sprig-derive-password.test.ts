// Sprig's derivePassword (Master Password) against Masterminds/sprig v3.3.0 run with Go 1.26 (ESO
// vendors the same code).
import { render, renderError } from './helpers';

const GO: [string, string][] = [
  ['{{ derivePassword 1 "long" "test-only-master" "alice" "example.com" }}', 'WuhgYala0@Wavv'],
  ['{{ derivePassword 2 "long" "test-only-master" "alice" "example.com" }}', 'Jisa3+LovuBosp'],
  ['{{ derivePassword 1 "maximum" "test-only-master" "alice" "example.com" }}', 'Yayxbo))4wk1jMqbV!4]'],
  ['{{ derivePassword 1 "medium" "pässwörd" "bob" "db.internal" }}', 'Yok1?Sor'],
  ['{{ derivePassword 7 "short" "x" "" "" }}', 'Rir9'],
  ['{{ derivePassword 1 "basic" "test-only-master" "alice" "example.com" }}', 'Ys43zXM5'],
  ['{{ derivePassword 1 "pin" "test-only-master" "alice" "example.com" }}', '5943'],
  [
    '{{ derivePassword 1 "nope" "test-only-master" "alice" "example.com" }}',
    'cannot find password template nope',
  ],
];

test.each(GO)('%s', (src, want) => {
  expect(render(src)).toBe(want);
});

test('a counter outside uint32 is a template error', () => {
  expect(renderError('{{ derivePassword -1 "long" "m" "u" "s" }}').message).toContain('out of range');
});

test('each call is charged as 5 slow KDFs (50,000 steps): a 60,000-step budget allows 1, not 2', () => {
  const call = '{{ derivePassword 1 "pin" "m" "u" "s" }}';
  expect(render(call, {}, { stepBudget: 60_000 })).toHaveLength(4);
  expect(renderError(call.repeat(2), {}, { stepBudget: 60_000 }).message).toContain(
    'exceeded the evaluation budget',
  );
});
