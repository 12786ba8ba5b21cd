import { render } from './helpers';

describe('printf', () => {
  it.each([
    ['{{ printf "%s:%d" .user 5 }}', 'bob:5'],
    ['{{ printf "%v" (list 1 "a" nil) }}', '[1 a <nil>]'],
    ['{{ printf "%q" "hi\\n" }}', '"hi\\n"'],
    ['{{ printf "%q" "é\\x01" }}', '"é\\x01"'],
    ['{{ printf "%+q" "é" }}', '"\\u00e9"'],
    ['{{ printf "%x %X %#x %o %b" "hi" 255 255 8 5 }}', '6869 FF 0xff 10 101'],
    ['{{ printf "%5.2f|%-6d|%06d|%+d|% d" 3.14159 42 -42 5 7 }}', ' 3.14|42    |-00042|+5| 7'],
    ['{{ printf "%t %v" true false }}', 'true false'],
    ['{{ printf "%e %E %.2e" 1234.5678 0.000123 5.0 }}', '1.234568e+03 1.230000E-04 5.00e+00'],
    ['{{ printf "%g %g %g %.3g %g" 0.00001 100000.0 1000000.0 3.14159 1.0 }}', '1e-05 100000 1e+06 3.14 1'],
    ['{{ printf "%8.3s|%-5s|%5s" "abcdef" "ab" "é" }}', '     abc|ab   |    é'],
    ['{{ printf "%c %q %U" 65 65 233 }}', "A 'A' U+00E9"],
    [
      '{{ printf "%T %T %T %T %T" 1 1.5 "s" (list) (dict) }}',
      'int float64 string []interface {} map[string]interface {}',
    ],
    ['{{ printf "%d %s" 1.5 5 }}', '%!d(float64=1.5) %!s(int=5)'],
    ['{{ printf "%s %d" nil "x" }}', '%!s(<nil>) %!d(string=x)'],
    ['{{ printf "%d" }}', '%!d(MISSING)'],
    ['{{ printf "x" 1 "y" }}', 'x%!(EXTRA int=1, string=y)'],
    ['{{ printf "%[2]s %[1]s" "a" "b" }}', 'b a'],
    ['{{ printf "%[3]s" "a" }}', '%!s(BADINDEX)'],
    ['{{ printf "%*d|%-*d|" 4 7 3 1 }}', '   7|1  |'],
    ['{{ printf "100%%" }}', '100%'],
    ['{{ printf "%" }}', '%!(NOVERB)'],
    ['{{ printf "%z" 1 }}', '%!z(int=1)'],
    ['{{ printf "%v" (fromJson "{\\"b\\":1,\\"a\\":[true,null]}") }}', 'map[a:[true <nil>] b:1]'],
    ['{{ printf "%d" (list 1 2) }}', '[1 2]'],
    ['{{ printf "%s" (list "a" 1) }}', '[a %!s(int=1)]'],
    ['{{ printf "%05.1f|%x|%X" -2.345 -255 "hi" }}', '-02.3|-ff|6869'],
  ])('%s', (src, expected) => {
    expect(render(src, { user: 'bob' })).toBe(expected);
  });

  it('rounds %f ties to even like Go', () => {
    expect(render('{{ printf "%.0f %.0f %.1f %.2f %.2f" 2.5 3.5 0.25 1.005 2.675 }}')).toBe(
      '2 4 0.2 1.00 2.67',
    );
  });
});

describe('printing values (%v)', () => {
  it('formats float64 like Go', () => {
    const data = {
      j: '[1, 1.5, 12345678, 123456789, 0.0001, 0.00001, 1e21, -0, 100000, 1000000, 0.30000000000000004]',
    };
    expect(render('{{ range fromJson .j }}{{ . }} {{ end }}', data)).toBe(
      '1 1.5 1.2345678e+07 1.23456789e+08 0.0001 1e-05 1e+21 -0 100000 1e+06 0.30000000000000004 ',
    );
  });

  it('formats collections like fmt', () => {
    expect(render('{{ . }}', { b: 'x', a: 'y' })).toBe('map[a:y b:x]');
    expect(render('{{ list (dict "k" (list)) (dict) }}')).toBe('[map[k:[]] map[]]');
  });

  it('print and println add spaces like fmt.Sprint / Sprintln', () => {
    expect(render('{{ print 1 2 "a" "b" 3 nil }}|{{ println 1 "a" }}|{{ print }}|')).toBe(
      '1 2ab3 <nil>|1 a\n||',
    );
  });
});
