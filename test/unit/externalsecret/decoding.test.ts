// remoteRef.decodingStrategy as ESO applies it (Go's padded base64 alphabets, Auto's fallbacks),
// and the rule that no error message ever carries value bytes.
import { randomBytes } from 'node:crypto';
import { decode } from '../../../src/controllers/externalsecret/decoding';
import { InvalidRefError } from '../../../src/providers/core/errors';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('decode', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  test('None keeps bytes; undefined means None', () => {
    expect(dec(decode(enc('aGk='), 'None'))).toBe('aGk=');
    expect(dec(decode(enc('aGk='), undefined))).toBe('aGk=');
  });

  test('Base64: standard, padded; CR/LF ignored as in Go', () => {
    expect(dec(decode(enc(b64('hello')), 'Base64'))).toBe('hello');
    expect(dec(decode(enc('aGVs\r\nbG8='), 'Base64'))).toBe('hello');
    expect(decode(enc(''), 'Base64')).toHaveLength(0);
    expect(Buffer.from(decode(enc('+/8='), 'Base64'))).toEqual(Buffer.from([0xfb, 0xff]));
  });

  test('Base64 rejects missing padding, the URL alphabet and junk', () => {
    for (const bad of ['aGVsbG8', '-_8=', 'aGV sbG8=', 'a===', '!!!!']) {
      const err = thrown(() => decode(enc(bad), 'Base64', 'db'));
      expect(err).toBeInstanceOf(InvalidRefError);
      expect(err.message).toMatch(/^value of db is not valid padded standard \(\+\/\) base64/);
    }
  });

  test('Base64URL: URL alphabet, padded', () => {
    expect(Buffer.from(decode(enc('-_8='), 'Base64URL'))).toEqual(Buffer.from([0xfb, 0xff]));
    expect(() => decode(enc('+/8='), 'Base64URL', 'db')).toThrow(/URL-safe/);
    expect(() => decode(enc('-_8'), 'Base64URL', 'db')).toThrow(InvalidRefError);
  });

  test('Auto: standard, then URL, else the raw bytes', () => {
    expect(dec(decode(enc(b64('hello')), 'Auto'))).toBe('hello');
    expect(Buffer.from(decode(enc('-_8='), 'Auto'))).toEqual(Buffer.from([0xfb, 0xff]));
    expect(dec(decode(enc('plain value'), 'Auto'))).toBe('plain value');
    expect(dec(decode(enc('hello'), 'Auto'))).toBe('hello');
  });

  test('an unknown strategy is an InvalidRefError', () => {
    expect(() => decode(enc('x'), 'Hex' as never)).toThrow(/decodingStrategy "Hex" is not supported/);
  });
});

test('no error message carries the value (canary)', () => {
  const canary = `CANARY-${randomBytes(6).toString('hex')}`;
  const messages: string[] = [];
  for (const v of [canary, `${canary}==`, `{"a": "${canary}"}`]) {
    for (const s of ['Base64', 'Base64URL'] as const) {
      try {
        decode(enc(v), s, 'db');
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
  }
  expect(messages).toHaveLength(6);
  for (const m of messages) expect(m).not.toContain(canary);
});
