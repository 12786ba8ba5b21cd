// errorText turns fetch's opaque "fetch failed" into the cause that matters.
import pino from 'pino';
import { errorName, errorText, type Logger, noopLogger } from '../../../src/observability/log';

test('a network cause code replaces the opaque fetch message', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  expect(errorText(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
  const cert = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  expect(errorText(new TypeError('fetch failed', { cause: cert }))).toBe(
    'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
  );
  expect(errorText(new TypeError('fetch failed', { cause: new AggregateError([refused]) }))).toBe(
    'ECONNREFUSED',
  );
});

test('plain errors and non-errors', () => {
  expect(errorText(new Error('boom'))).toBe('boom');
  expect(errorText('text')).toBe('text');
  expect(errorName(new DOMException('x', 'TimeoutError'))).toBe('TimeoutError');
  expect(errorName(undefined)).toBeUndefined();
});

test('a pino logger satisfies Logger', () => {
  const logger: Logger = pino({ level: 'silent' });
  expect(() => logger.info({ a: 1 }, 'msg')).not.toThrow();
  expect(noopLogger.warn({})).toBeUndefined();
});
