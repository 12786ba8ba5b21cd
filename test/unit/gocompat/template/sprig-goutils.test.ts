// Sprig's goutils functions (swapcase, initials, wrap, wrapWith, abbrevboth). Expected outputs are
// Masterminds/goutils v1.1.1's (with Sprig's abbrevboth guard), computed with Go 1.26, as base64
// because wrap can cut a multi-byte character and the bytes must match.
import { render } from './helpers';

const GO = {
  abbrevboth: [
    [5, 10, 'abcdefghijklmnopqrstuvwxyz', 'Li4uZmdoaS4uLg=='],
    [0, 10, 'abcdefghijklmnopqrstuvwxyz', 'YWJjZGVmZy4uLg=='],
    [20, 10, 'abcdefghijklmnopqrstuvwxyz', 'Li4udHV2d3h5eg=='],
    [5, 6, 'abcdefghijklmnopqrstuvwxyz', 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo='],
    [1, 3, 'abcdefghij', 'YWJjZGVmZ2hpag=='],
    [10, 12, 'abcdefghijklmnopqrstuvwxyz', 'Li4ua2xtbm9wLi4u'],
    [3, 20, 'short', 'c2hvcnQ='],
    [-5, 8, 'abcdefghijklmnop', 'YWJjZGUuLi4='],
  ],
  initials: [
    ['', ''],
    ['Hello World', 'SFc='],
    ['  multiple   spaces here', 'bXNo'],
    ['über élan', 'w4PDgw=='],
    ['tab\tsep\nnl', 'dHNu'],
  ],
  swapcase: [
    ['', ''],
    ['hello World', 'SEVMTE8gd09STEQ='],
    ['The quick BROWN fox', 'dEhFIFFVSUNLIGJyb3duIEZPWA=='],
    ['ǆemal ǈ x', 'x4VFTUFMIMeJIFg='],
    ['  lead  ÉTé über', 'ICBMRUFEICDDqXTDiSDDnEJFUg=='],
    ['a\tb c', 'QQlCwqBD'],
  ],
  wrap: [
    [
      10,
      'The quick brown fox jumps over the lazy dog',
      'VGhlIHF1aWNrCmJyb3duIGZveApqdW1wcyBvdmVyCnRoZSBsYXp5CmRvZw==',
      'VGhlIHF1aWNrPGJyPmJyb3duIGZveDxicj5qdW1wcyBvdmVyPGJyPnRoZSBsYXp5PGJyPmRvZw==',
    ],
    [
      5,
      'averyveryverylongword and more',
      'YXZlcnl2ZXJ5dmVyeWxvbmd3b3JkCmFuZAptb3Jl',
      'YXZlcnk8YnI+dmVyeXY8YnI+ZXJ5bG88YnI+bmd3b3I8YnI+ZCBhbmQ8YnI+bW9yZQ==',
    ],
    [0, 'a b c', 'YQpiCmM=', 'YTxicj5iPGJyPmM='],
    [3, '  x  yy zzzz', 'eCAKeXkKenp6eg==', 'eCA8YnI+eXk8YnI+enp6PGJyPno='],
    [4, 'héllo wörld', 'aMOpbGxvCnfDtnJsZA==', 'aMOpbDxicj5sbzxicj53w7ZyPGJyPmxk'],
  ],
} as unknown as {
  swapcase: [string, string][];
  initials: [string, string][];
  wrap: [number, string, string, string][];
  abbrevboth: [number, number, string, string][];
};

test.each(GO.swapcase)('swapcase %j', (input, want) => {
  expect(render('{{ swapcase .s | b64enc }}', { s: input })).toBe(want);
});

test.each(GO.initials)('initials %j', (input, want) => {
  expect(render('{{ initials .s | b64enc }}', { s: input })).toBe(want);
});

test.each(GO.wrap)('wrap / wrapWith %d %j', (width, input, wrapped, wrappedWith) => {
  const data = { s: input, w: width };
  expect(render('{{ wrap (int .w) .s | b64enc }}', data)).toBe(wrapped);
  expect(render('{{ wrapWith (int .w) "<br>" .s | b64enc }}', data)).toBe(wrappedWith);
});

test.each(GO.abbrevboth)('abbrevboth %d %d %j', (left, right, input, want) => {
  expect(render(`{{ abbrevboth ${left} ${right} .s | b64enc }}`, { s: input })).toBe(want);
});
