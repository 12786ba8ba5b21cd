// What a key of a Kubernetes Secret may be. The controller refuses to build a Secret with another
// key (controllers/externalsecret/desired.ts) and `secretsync validate` reports one offline.

/**
 * Why a key cannot be a key of the Secret, or undefined if it can: the rule the API server applies
 * to Secret data — letters, digits, '-', '_' and '.', at most 253 characters, not '.' or '..…'.
 */
export function secretKeyProblem(k: string): string | undefined {
  if (k.length > 253) return `is ${k.length} characters long; a Secret key may have at most 253`;
  if (!/^[-._a-zA-Z0-9]+$/.test(k))
    return "is not a valid Secret key (letters, digits, '-', '_' and '.' only)";
  if (k === '.' || k.startsWith('..'))
    return "is not a valid Secret key ('.' and names starting with '..' are reserved)";
  return undefined;
}
