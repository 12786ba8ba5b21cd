import { selectsNamespace, targetNamespaces } from '../../../src/controllers/clusterexternalsecret/select';
import { ces } from './helpers';

const ns = (name: string, labels: Record<string, string> = {}, terminating = false) => ({
  name,
  labels,
  terminating,
});

describe('targetNamespaces', () => {
  const all = [
    ns('c', { team: 'a' }),
    ns('a', { team: 'a', tier: 'prod' }),
    ns('b', { team: 'b' }),
    ns('d'),
    ns('gone', { team: 'a' }, true),
  ];

  it('selects by namespaceSelectors (any of them), sorted', () => {
    const spec = ces({
      namespaceSelectors: [{ matchLabels: { team: 'a' } }, { matchLabels: { team: 'b' } }],
    }).spec;
    expect(targetNamespaces(spec, all)).toEqual(['a', 'b', 'c']);
  });

  it('adds the deprecated namespaceSelector and the namespaces listed by name', () => {
    const spec = ces({
      namespaceSelectors: undefined,
      namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod'] }] },
      namespaces: ['d', 'missing'],
    }).spec;
    expect(targetNamespaces(spec, all)).toEqual(['a', 'd']);
  });

  it('selects nothing without selectors or names, everything with an empty selector', () => {
    expect(targetNamespaces(ces({ namespaceSelectors: undefined }).spec, all)).toEqual([]);
    expect(targetNamespaces(ces({ namespaceSelectors: [{}] }).spec, all)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves out a namespace that is being deleted, even one named', () => {
    expect(selectsNamespace(ces({ namespaces: ['gone'] }).spec, ns('gone', { team: 'a' }, true))).toBe(false);
  });

  it('follows a label removed', () => {
    const spec = ces().spec;
    expect(selectsNamespace(spec, ns('c', { team: 'a' }))).toBe(true);
    expect(selectsNamespace(spec, ns('c', {}))).toBe(false);
  });
});
