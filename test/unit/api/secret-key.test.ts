// api/secret-key.ts: the one rule for Secret keys, read by the controller (desired.ts refuses to
// build such a Secret) and by `secretsync validate`.
import { secretKeyProblem } from '../../../src/api/secret-key';

test.each(['a', 'tls.crt', '.hidden', 'a..b', '-_.', 'x'.repeat(253)])('%j is a valid Secret key', (k) => {
  expect(secretKeyProblem(k)).toBeUndefined();
});

test.each([
  ['', "is not a valid Secret key (letters, digits, '-', '_' and '.' only)"],
  ['a/b', "is not a valid Secret key (letters, digits, '-', '_' and '.' only)"],
  ['é', "is not a valid Secret key (letters, digits, '-', '_' and '.' only)"],
  ['.', "is not a valid Secret key ('.' and names starting with '..' are reserved)"],
  ['..', "is not a valid Secret key ('.' and names starting with '..' are reserved)"],
  ['..a', "is not a valid Secret key ('.' and names starting with '..' are reserved)"],
  ['x'.repeat(254), 'is 254 characters long; a Secret key may have at most 253'],
])('%j %s', (k, why) => {
  expect(secretKeyProblem(k)).toBe(why);
});
