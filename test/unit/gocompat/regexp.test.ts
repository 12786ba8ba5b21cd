// Go's Regexp.ReplaceAllString / ReplaceAllLiteralString (src/gocompat/regexp.ts), checked with the
// vectors of Go's own regexp tests (all_test.go replaceTests / replaceLiteralTests) through the one
// implementation and both of its callers: the templates' regexReplaceAll(Literal) (Sprig calls
// ReplaceAllString) and dataFrom.rewrite.regexp (ESO calls ReplaceAllString).
import { RE2JS } from 're2js';
import { applyRewrites } from '../../../src/controllers/externalsecret/fetch';
import { replaceAll } from '../../../src/gocompat/regexp';
import { renderTemplate } from '../../../src/gocompat/template';

type Vector = [pattern: string, replacement: string, input: string, output: string];

const EXPANDED: Vector[] = [
  // Patterns matching the empty string: no replacement right after a match.
  ['', '', '', ''],
  ['', 'x', '', 'x'],
  ['', '', 'abc', 'abc'],
  ['', 'x', 'abc', 'xaxbxcx'],
  ['b', 'x', 'abc', 'axc'],
  ['y', 'x', 'abc', 'abc'],
  // Whole characters only, never half of one.
  ['[a-c]*', 'x', '\u65e5', 'x\u65e5x'],
  ['[^\u65e5]', 'x', 'abc\u65e5def', 'xxx\u65e5xxx'],
  ['[a-c]*', 'x', '😀', 'x😀x'],
  // ^ and $ anchor to the whole input, not to where the search resumes.
  ['^[a-c]*', 'x', 'abcdabc', 'xdabc'],
  ['[a-c]*$', 'x', 'abcdabc', 'abcdx'],
  ['^[a-c]*$', 'x', 'abcdabc', 'abcdabc'],
  ['^[a-c]*', 'x', 'dabce', 'xdabce'],
  ['[a-c]*$', 'x', 'dabce', 'dabcex'],
  ['^[a-c]+', 'x', 'dabce', 'dabce'],
  ['^[a-c]*', 'x', '', 'x'],
  ['x', 'xXx', 'xxxXxxx', 'xXxxXxxXxXxXxxXxxXx'],
  ['[a-c]*', 'x', 'def', 'xdxexfx'],
  ['[a-c]+', 'x', 'abcbcdcdedef', 'xdxdedef'],
  ['[a-c]*', 'x', 'abcbcdcdedef', 'xdxdxexdxexfx'],
  // $n, ${n}, $name, ${name}, $$.
  ['a+', '($0)', 'banana', 'b(a)n(a)n(a)'],
  ['a+', '(${0})$0', 'banana', 'b(a)an(a)an(a)a'],
  ['hello, (.+)', 'goodbye, ${1}', 'hello, world', 'goodbye, world'],
  ['hello, (.+)', 'goodbye, $1x', 'hello, world', 'goodbye, '],
  ['hello, (.+)', 'goodbye, ${1}x', 'hello, world', 'goodbye, worldx'],
  ['hello, (.+)', '<$0><$1><$2><$3>', 'hello, world', '<hello, world><world><><>'],
  ['hello, (?P<noun>.+)', 'goodbye, $noun!', 'hello, world', 'goodbye, world!'],
  ['hello, (?P<noun>.+)', 'goodbye, ${noun}', 'hello, world', 'goodbye, world'],
  ['(?P<x>hi)|(?P<y>bye)', '$x$y', 'bye', 'bye'],
  ['a+', '${oops', 'aaa', '${oops'],
  ['a+', '$$', 'aaa', '$'],
  ['a+', '$', 'aaa', '$'],
  ['a+', '$$1', 'aaa', '$1'],
  ['a+', '$-', 'aaa', '$-'],
  // A group that did not take part, or does not exist, is empty.
  ['(x)?', '$1', '123', '123'],
  ['abc', '$1', '123', '123'],
  ['(a)(b){0}(c)', '.$1|$3.', 'xacxacx', 'x.a|c.x.a|c.x'],
  ['(a)(b){0}(c)', '.$2|$3.', 'xacxacx', 'x.|c.x.|c.x'],
  // Leading zeros make a name, not a number; up to nine digits are a number.
  ['(a)', '[$01]', 'a', '[]'],
  ['(?P<123456789>a)', '[$123456789]', 'a', '[]'],
  ['(?P<1234567890>a)', '[$1234567890]', 'a', '[a]'],
  // Group names are Unicode letters, digits and _ (a name runs as far as they do).
  ['(?P<k>a)', '$k\u00e9', 'a', ''],
  ['(?P<k>a)', '${k}\u00e9', 'a', 'a\u00e9'],
];

const LITERAL: Vector[] = [
  ['a+', '($0)', 'banana', 'b($0)n($0)n($0)'],
  ['a+', '(${0})$0', 'banana', 'b(${0})$0n(${0})$0n(${0})$0'],
  ['hello, (.+)', 'goodbye, ${1}', 'hello, world', 'goodbye, ${1}'],
  ['hello, (?P<noun>.+)', 'goodbye, $noun!', 'hello, world', 'goodbye, $noun!'],
  ['a+', '$$', 'aaa', '$$'],
  ['', 'x', 'abc', 'xaxbxcx'],
];

describe('replaceAll (gocompat/regexp.ts)', () => {
  test.each(EXPANDED)('ReplaceAllString(%j, %j) over %j is %j', (pattern, repl, input, want) => {
    expect(replaceAll(RE2JS.compile(pattern), input, repl)).toBe(want);
  });
  test.each(LITERAL)('ReplaceAllLiteralString(%j, %j) over %j is %j', (pattern, repl, input, want) => {
    expect(replaceAll(RE2JS.compile(pattern), input, repl, true)).toBe(want);
  });
});

describe("the templates' regexReplaceAll and regexReplaceAllLiteral", () => {
  const render = (fn: string, [re, r, s]: Vector) =>
    renderTemplate('t', `{{ ${fn} .re .s .r }}`, { re, s, r });
  test.each(EXPANDED)('regexReplaceAll %j %j over %j is %j', (...v) => {
    expect(render('regexReplaceAll', v)).toBe(v[3]);
  });
  test.each(LITERAL)('regexReplaceAllLiteral %j %j over %j is %j', (...v) => {
    expect(render('regexReplaceAllLiteral', v)).toBe(v[3]);
  });
});

describe('dataFrom.rewrite.regexp', () => {
  test.each(EXPANDED)('source %j, target %j: key %j becomes %j', (source, target, key, want) => {
    const out = applyRewrites(new Map([[key, new Uint8Array([1])]]), [{ regexp: { source, target } }]);
    expect([...out.keys()]).toEqual([want]);
  });
});
