// Command-line label selectors: Kubernetes' text form and Reloader's legacy spellings.
import { LabelSelectorError, parseLabelSelector } from '../../../src/config/label-selector';
import { labelSelectorQuery } from '../../../src/kube/selector';
import { matchesSelector } from '../../../src/controllers/secretstore/store-access';

test.each([
  ['a=b', 'a in (b)'],
  ['a==b,c!=d', 'a in (b),c notin (d)'],
  ['env in (x, y),tier notin (z)', 'env in (x,y),tier notin (z)'],
  ['has,!not', 'has,!not'],
  ['example.com/team=a', 'example.com/team in (a)'],
  // Reloader's legacy forms.
  ['reloaded:enabled', 'reloaded in (enabled)'],
  ['reloaded:*', 'reloaded'],
  ['reloaded=*', 'reloaded'],
])('%s', (text, asQuery) => {
  expect(labelSelectorQuery(parseLabelSelector(text))).toBe(asQuery);
});

test('empty selects everything; junk is refused', () => {
  expect(parseLabelSelector('')).toBeUndefined();
  expect(parseLabelSelector(undefined)).toBeUndefined();
  for (const bad of ['a=b=c', 'a in b', '=b', 'a b', 'a=(b)', 'a=' + 'x'.repeat(64)])
    expect(() => parseLabelSelector(bad)).toThrow(LabelSelectorError);
});

test('matching, as the apiserver matches', () => {
  const sel = parseLabelSelector('a=b,c!=d,e in (f,g),h,!i')!;
  expect(matchesSelector(sel, { a: 'b', e: 'g', h: '' })).toBe(true);
  expect(matchesSelector(sel, { a: 'b', c: 'x', e: 'f', h: '1' })).toBe(true);
  expect(matchesSelector(sel, { a: 'b', c: 'd', e: 'f', h: '1' })).toBe(false);
  expect(matchesSelector(sel, { a: 'b', e: 'f', h: '1', i: '' })).toBe(false);
  expect(matchesSelector(sel, { a: 'b', e: 'f' })).toBe(false);
});
