// Label selectors given on the command line (--namespace-selector, --resource-label-selector) in
// Kubernetes' text form (`a=b,c!=d,e in (f,g),h,!i`), plus Reloader's legacy spellings (`key:value`,
// `key:*` and `key=*` for "has the label"). Parsed at start, so a typo stops the process with a
// message instead of a list that fails forever.

export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** The same shape as a Kubernetes LabelSelector (all requirements as matchExpressions). */
export interface ParsedLabelSelector {
  matchExpressions: SelectorRequirement[];
}

export class LabelSelectorError extends Error {}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses. */
function requirements(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((r) => r !== '');
}

function key(k: string, whole: string): string {
  if (!KEY.test(k) || k.length > 317) throw new LabelSelectorError(`"${whole}": "${k}" is not a label key`);
  return k;
}

function value(v: string, whole: string): string {
  if (!VALUE.test(v) || v.length > 63)
    throw new LabelSelectorError(`"${whole}": "${v}" is not a label value`);
  return v;
}

function requirement(raw: string): SelectorRequirement {
  let r = raw;
  // Reloader's legacy forms.
  const legacy = /^([^:=!()\s]+)\s*:\s*(.*)$/.exec(r);
  if (legacy) r = legacy[2] === '*' ? legacy[1]! : `${legacy[1]}=${legacy[2]}`;
  const star = /^([^=!()\s]+)\s*==?\s*\*$/.exec(r);
  if (star) r = star[1]!;
  let m = /^([^=!()\s]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(r);
  if (m) {
    const values = m[3]!.split(',').map((v) => value(v.trim(), raw));
    return { key: key(m[1]!, raw), operator: m[2] === 'in' ? 'In' : 'NotIn', values };
  }
  m = /^([^=!()\s]+)\s*(==|=|!=)\s*([^=!()\s]*)$/.exec(r);
  if (m)
    return { key: key(m[1]!, raw), operator: m[2] === '!=' ? 'NotIn' : 'In', values: [value(m[3]!, raw)] };
  m = /^!\s*([^=!()\s]+)$/.exec(r);
  if (m) return { key: key(m[1]!, raw), operator: 'DoesNotExist' };
  m = /^([^=!()\s]+)$/.exec(r);
  if (m) return { key: key(m[1]!, raw), operator: 'Exists' };
  throw new LabelSelectorError(`"${raw}" is not a label selector requirement`);
}

/** Parses a selector; undefined for an empty one (selects everything). */
export function parseLabelSelector(text: string | undefined): ParsedLabelSelector | undefined {
  const reqs = requirements(text ?? '');
  if (reqs.length === 0) return undefined;
  return { matchExpressions: reqs.map(requirement) };
}
