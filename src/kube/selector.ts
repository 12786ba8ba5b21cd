// A LabelSelector as the `labelSelector` query parameter of a list or watch.
import type { V1LabelSelector } from '@kubernetes/client-node';

/**
 * The label selector as a query string (`a=b,c in (d,e),!f`), or undefined when it selects
 * nothing expressible: no selector, an empty one (it would match every object of the namespace),
 * or an operator this does not know (never widen a selector by dropping a term).
 */
export function labelSelectorQuery(sel: V1LabelSelector | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        return undefined;
    }
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}
