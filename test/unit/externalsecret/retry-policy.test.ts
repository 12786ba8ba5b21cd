// Which failures back off and which wait for a change or the next refresh.
import { afterFailure, retryable } from '../../../src/controllers/externalsecret/retry-policy';
import { TemplateError } from '../../../src/gocompat/template';
import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ThrottledError,
  UnavailableError,
} from '../../../src/providers/core/errors';

const NOW = 1_000_000;

describe('afterFailure', () => {
  test.each([
    ['provider unavailable', new UnavailableError('down')],
    ['throttled', new ThrottledError('slow down')],
    ['credentials refused (grants change outside Kubernetes)', new AuthError('denied')],
    ['remote key not found (it may be created a moment later)', new NoSecretError('no such key')],
    ['an unexpected error', new Error('boom')],
  ])('%s: back off', (_what, err) => {
    expect(afterFailure(err, NOW, NOW + 3_600_000)).toEqual({ then: 'backoff' });
  });

  test.each([
    ['a reference the provider rejects', new InvalidRefError('bad name')],
    ['a template error', new TemplateError('template: x: map has no entry for key "y"')],
  ])('%s: wait for a change or the next refresh', (_what, err) => {
    expect(retryable(err)).toBe(false);
    expect(afterFailure(err, NOW, NOW + 3_600_000)).toEqual({ then: 'wait', requeueAfterMs: 3_600_000 });
    expect(afterFailure(err, NOW, undefined)).toEqual({ then: 'wait' });
    expect(afterFailure(err, NOW, NOW - 5)).toEqual({ then: 'wait', requeueAfterMs: 0 });
  });
});
