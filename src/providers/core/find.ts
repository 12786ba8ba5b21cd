// dataFrom.find matching that every provider applies client-side: the name regexp (RE2 syntax,
// unanchored, as ESO's find.MatchName), the path prefix and tag equality. Shared so that the fake
// and the SDK-backed providers select exactly the same names for the same query.

import { RE2JS } from 're2js';
import { InvalidRefError } from './errors';
import type { FindQuery } from './types';

export interface NameMatcher {
  /** Whether a secret's name (and, when given, its tags/labels) satisfies the query. */
  (name: string, tags?: Record<string, string>): boolean;
}

/** Compiles a FindQuery once; an invalid RE2 pattern is an InvalidRefError naming the pattern. */
export function compileFind(query: FindQuery): NameMatcher {
  let re: RE2JS | undefined;
  if (query.nameRegexp !== undefined && query.nameRegexp !== '') {
    try {
      re = RE2JS.compile(query.nameRegexp);
    } catch (err) {
      throw new InvalidRefError(
        `find.name.regexp "${query.nameRegexp}" is not a valid RE2 expression: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  const tags = Object.entries(query.tags ?? {});
  const path = query.path ?? '';
  return (name, have) => {
    if (path !== '' && !name.startsWith(path)) return false;
    if (re && !re.test(name)) return false;
    return tags.every(([k, v]) => have !== undefined && Object.hasOwn(have, k) && have[k] === v);
  };
}
