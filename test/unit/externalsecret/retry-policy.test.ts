// Which failures back off and which wait for a change or the next refresh: the failure table.
import { ES_REASON } from '../../../src/api/constants';
import { Blocked, failureFor, requeueForRefresh } from '../../../src/controllers/externalsecret/retry-policy';
import { DurationError } from '../../../src/gocompat/duration';
import { TemplateError } from '../../../src/gocompat/template';
import { KubeApiError } from '../../../src/kube/request';
import {
  AuthError,
  InvalidRefError,
  NoSecretError,
  ThrottledError,
  UnavailableError,
} from '../../../src/providers/core/errors';

const NOW = 1_000_000;

describe('failures while fetching or building the Secret', () => {
  test.each([
    ['provider unavailable', new UnavailableError('down')],
    ['throttled', new ThrottledError('slow down')],
    ['credentials refused (grants change outside Kubernetes)', new AuthError('denied')],
  ])('%s: back off, with the provider reason', (_what, err) => {
    expect(failureFor('fetch', err)).toEqual({
      reason: err.reason,
      message: err.message,
      after: 'backoff',
      cause: err,
    });
  });

  test('remote key not found: the deletion policy decides (fetch); back off (build)', () => {
    const err = new NoSecretError('no such key');
    expect(failureFor('fetch', err)).toBe('remote-gone');
    expect(failureFor('build', err)).toMatchObject({ reason: 'RemoteKeyNotFound', after: 'backoff' });
  });

  test.each([
    ['a reference the provider rejects', new InvalidRefError('bad name'), 'InvalidRemoteRef'],
    ['a template error', new TemplateError('template: x: map has no entry for key "y"'), 'TemplateError'],
  ])('%s: wait for a change or the next refresh', (_what, err, reason) => {
    for (const step of ['fetch', 'build'] as const)
      expect(failureFor(step, err)).toEqual({
        reason,
        message: err.message,
        after: 'wait-for-refresh',
        cause: err,
      });
  });

  test('an unexpected error is not the table’s: the reconcile throws it and the worker backs off', () => {
    for (const step of ['spec', 'stores', 'fetch', 'build', 'write'] as const)
      expect(failureFor(step, new Error('boom'))).toBeUndefined();
  });
});

describe('failures of the other steps', () => {
  test('an invalid refreshInterval is terminal', () => {
    const err = new DurationError('1x', 'unknown unit "x"');
    expect(failureFor('spec', err)).toEqual({
      reason: ES_REASON.InvalidSpec,
      message: `spec.refreshInterval: ${err.message}`,
      after: 'terminal',
    });
  });

  test('a store that cannot be used waits for a change, with its own reason', () => {
    const err = new Blocked(ES_REASON.StoreNotFound, 'SecretStore x not found');
    for (const step of ['stores', 'fetch'] as const)
      expect(failureFor(step, err)).toEqual({
        reason: ES_REASON.StoreNotFound,
        message: 'SecretStore x not found',
        after: 'wait-for-change',
      });
  });

  test('version tags: an outage or throttling fails the attempt; anything else falls back to fetching', () => {
    for (const err of [new UnavailableError('down'), new ThrottledError('slow down')])
      expect(failureFor('tags', err)).toMatchObject({ reason: err.reason, after: 'backoff', cause: err });
    for (const err of [new AuthError('denied'), new InvalidRefError('bad'), new Error('boom'), 'a string'])
      expect(failureFor('tags', err)).toBe('fall-back');
  });

  test.each([
    [422, ' (a Secret holds at most 1 MiB of data)'],
    [403, ' (check deploy/rbac.yaml)'],
    [500, ''],
  ])('a Secret write refused with %i backs off as UpdateFailed, with its hint', (code, hint) => {
    const err = new KubeApiError(code, undefined, 'no');
    expect(failureFor('write', err, 'team-a/db')).toEqual({
      reason: ES_REASON.UpdateFailed,
      message: `writing Secret team-a/db failed: no${hint}`,
      after: 'backoff',
      cause: err,
    });
    // The same error reading the live Secret is not a write failure.
    expect(failureFor('build', err)).toBeUndefined();
  });
});

test('waiting for the next refresh: until it falls (never negative), or for a change when none', () => {
  expect(requeueForRefresh(NOW, NOW + 3_600_000)).toBe(3_600_000);
  expect(requeueForRefresh(NOW, undefined)).toBeUndefined();
  expect(requeueForRefresh(NOW, NOW - 5)).toBe(0);
});
