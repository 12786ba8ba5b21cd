// The shape of a template function: Go-typed parameters (checked and converted by the evaluator,
// as text/template does through reflection) and an implementation over our value model.

import type { Budget } from './limits';

/**
 * Parameter types. 'any' is interface{}; 'int' receives a bigint; 'float' a number; 'map' a map
 * (nil allowed); 'string' and 'bool' the obvious JS types.
 */
export type ParamType = 'any' | 'string' | 'int' | 'float' | 'bool' | 'map';

export interface CallContext {
  budget: Budget;
  /** per argument: whether it was written as a string literal in the template source */
  literal: readonly boolean[];
}

export interface FuncDef {
  params: readonly ParamType[];
  /** type of the trailing variadic parameter, if any */
  variadic?: ParamType;
  /** and/or: arguments are evaluated lazily by the evaluator (fn is not called) */
  lazy?: boolean;
  fn: (args: unknown[], ctx: CallContext) => unknown;
}

export type FuncTable = Record<string, FuncDef>;

export function fn(
  params: readonly ParamType[],
  impl: (args: unknown[], ctx: CallContext) => unknown,
  variadic?: ParamType,
): FuncDef {
  return variadic === undefined ? { params, fn: impl } : { params, fn: impl, variadic };
}

/** Go type spelling of a parameter type, for error messages. */
export function goTypeName(t: ParamType): string {
  switch (t) {
    case 'any':
      return 'interface {}';
    case 'float':
      return 'float64';
    case 'map':
      return 'map[string]interface {}';
    default:
      return t;
  }
}
