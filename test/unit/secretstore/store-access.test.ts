// store-access.ts: ESO's rules for who may use a store — controller class, and a
// ClusterSecretStore's conditions (any matching condition allows; no conditions allow all).
import type { ClusterSecretStoreCondition, SecretStoreSpec } from '../../../src/api/generated';
import {
  clusterStoreAllows,
  matchesSelector,
  storeHandledBy,
} from '../../../src/controllers/secretstore/store-access';

const provider = { fake: { data: [] } };
const store = (s: Partial<SecretStoreSpec> = {}): SecretStoreSpec => ({ provider, ...s });
const withConditions = (...conditions: ClusterSecretStoreCondition[]) => store({ conditions });

describe('storeHandledBy (controller class)', () => {
  test('a store without spec.controller is handled by every controller, with or without a class', () => {
    expect(storeHandledBy(store(), undefined)).toBe(true);
    expect(storeHandledBy(store(), 'blue')).toBe(true);
    expect(storeHandledBy(store({ controller: '' }), 'blue')).toBe(true);
  });

  test('a store with a class is handled only by the controller of that class', () => {
    expect(storeHandledBy(store({ controller: 'blue' }), 'blue')).toBe(true);
    expect(storeHandledBy(store({ controller: 'blue' }), 'green')).toBe(false);
    expect(storeHandledBy(store({ controller: 'blue' }), undefined)).toBe(false);
  });
});

describe('matchesSelector', () => {
  const labels = { env: 'prod', team: 'payments', pci: '' };

  test('matchLabels: every pair must be present with the same value', () => {
    expect(matchesSelector({ matchLabels: { env: 'prod' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { env: 'prod', team: 'payments' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { env: 'dev' } }, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { region: 'eu' } }, labels)).toBe(false);
  });

  test('In: the label exists with one of the values', () => {
    expect(
      matchesSelector(
        { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] },
        labels,
      ),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, labels),
    ).toBe(false);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] }, labels),
    ).toBe(false);
  });

  test('NotIn: the label is absent or has none of the values', () => {
    expect(
      matchesSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels),
    ).toBe(false);
  });

  test('Exists / DoesNotExist look at the key only (an empty value exists)', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'pci', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'Exists' }] }, labels)).toBe(
      false,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: 'pci', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
  });

  test('Exists does not match inherited object properties', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, {})).toBe(false);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'constructor', operator: 'DoesNotExist' }] }, {}),
    ).toBe(true);
  });

  test('all requirements are ANDed, with matchLabels', () => {
    const sel = {
      matchLabels: { team: 'payments' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod'] },
        { key: 'sandbox', operator: 'DoesNotExist' },
      ],
    };
    expect(matchesSelector(sel, labels)).toBe(true);
    expect(matchesSelector(sel, { ...labels, sandbox: 'yes' })).toBe(false);
    expect(matchesSelector(sel, { ...labels, team: 'search' })).toBe(false);
  });

  test('an empty selector matches everything; an unknown operator matches nothing', () => {
    expect(matchesSelector({}, {})).toBe(true);
    expect(matchesSelector({}, labels)).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'env', operator: 'Gt', values: ['1'] }] }, labels),
    ).toBe(false);
  });
});

describe('clusterStoreAllows (ClusterSecretStore conditions)', () => {
  test('no conditions (absent or empty list) allow every namespace', () => {
    expect(clusterStoreAllows('shared', store(), 'any', {})).toEqual({ ok: true });
    expect(clusterStoreAllows('shared', withConditions(), 'any', {})).toEqual({ ok: true });
  });

  test('namespaces: exact names', () => {
    const spec = withConditions({ namespaces: ['team-a', 'team-b'] });
    expect(clusterStoreAllows('shared', spec, 'team-a', {})).toEqual({ ok: true });
    expect(clusterStoreAllows('shared', spec, 'team-ab', {}).ok).toBe(false);
  });

  test('namespaceRegexes: unanchored RE2 matches; an invalid expression matches nothing', () => {
    const spec = withConditions({ namespaceRegexes: ['^team-[a-c]$', '-prod'] });
    expect(clusterStoreAllows('shared', spec, 'team-b', {}).ok).toBe(true);
    expect(clusterStoreAllows('shared', spec, 'shop-prod-eu', {}).ok).toBe(true);
    expect(clusterStoreAllows('shared', spec, 'team-d', {}).ok).toBe(false);
    const bad = withConditions({ namespaceRegexes: ['(unclosed'] });
    expect(clusterStoreAllows('shared', bad, '(unclosed', {}).ok).toBe(false);
  });

  test('namespaceSelector: the namespace labels decide', () => {
    const spec = withConditions({ namespaceSelector: { matchLabels: { 'secrets/shared': 'true' } } });
    expect(clusterStoreAllows('shared', spec, 'x', { 'secrets/shared': 'true' }).ok).toBe(true);
    expect(clusterStoreAllows('shared', spec, 'x', { 'secrets/shared': 'false' }).ok).toBe(false);
    expect(clusterStoreAllows('shared', spec, 'x', {}).ok).toBe(false);
  });

  test('any one matching condition allows', () => {
    const spec = withConditions(
      { namespaces: ['team-a'] },
      { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } },
    );
    expect(clusterStoreAllows('shared', spec, 'team-a', {}).ok).toBe(true);
    expect(clusterStoreAllows('shared', spec, 'other', { env: 'prod' }).ok).toBe(true);
    expect(clusterStoreAllows('shared', spec, 'other', { env: 'dev' }).ok).toBe(false);
  });

  test('within one condition, any of its clauses allows', () => {
    const spec = withConditions({
      namespaces: ['team-a'],
      namespaceRegexes: ['^ops-'],
      namespaceSelector: { matchLabels: { shared: 'yes' } },
    });
    expect(clusterStoreAllows('s', spec, 'team-a', {}).ok).toBe(true);
    expect(clusterStoreAllows('s', spec, 'ops-1', {}).ok).toBe(true);
    expect(clusterStoreAllows('s', spec, 'web', { shared: 'yes' }).ok).toBe(true);
    expect(clusterStoreAllows('s', spec, 'web', {}).ok).toBe(false);
  });

  test('a condition with no clauses allows nothing (as in ESO)', () => {
    expect(clusterStoreAllows('s', withConditions({}), 'team-a', {}).ok).toBe(false);
  });

  test('a refusal names the store and the namespace and says what to change', () => {
    const r = clusterStoreAllows('shared-gcp', withConditions({ namespaces: ['team-a'] }), 'team-z', {});
    expect(r.ok).toBe(false);
    const message = (r as { ok: false; message: string }).message;
    expect(message).toContain('ClusterSecretStore shared-gcp');
    expect(message).toContain('namespace team-z');
    expect(message).toContain('spec.conditions');
  });
});
