// Executes a parsed template against data with Go's text/template semantics: dot and variable
// scoping, pipelines passing their value as the last argument, missingkey=error field access,
// if/with/range (maps in sorted key order, break/continue), {{template}} calls, typed function
// arguments. Every node visited is charged to the step budget and the output is size-capped.

import type {
  ArgNode,
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  ParsedTemplate,
  PipeNode,
  TemplateNode,
  VariableNode,
} from './ast';
import { FuncError, PositionedError, TemplateError, TemplateLimitError } from './errors';
import { formatValue } from './format';
import { goTypeName, type FuncDef, type ParamType } from './funcdef';
import { lookupFunction } from './functions';
import { byteLength } from './gostring';
import { MAX_TEMPLATE_DEPTH, type Budget } from './limits';
import { isMap, isNil, mapHas, sortedKeys, truth, typeName } from './values';

/** An execution error at a node; `context` is the node's source form (never a value). */
export class ExecFailure extends PositionedError {
  constructor(
    message: string,
    pos: number,
    readonly context: string,
    readonly templateName: string,
  ) {
    super(message, pos);
  }
}

/** The absence of a final (piped) argument, distinct from a nil value. */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

interface Variable {
  name: string;
  value: unknown;
}

type Located = ArgNode | CommandNode | Node;

/** Go's String() of a node, shortened; used only to say where an error happened. */
export function nodeString(n: Located): string {
  let s: string;
  switch (n.kind) {
    case 'field':
      s = '.' + n.idents.join('.');
      break;
    case 'variable':
      s = [n.name, ...n.fields].join('.');
      break;
    case 'chain':
      s =
        (n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + '.' + n.fields.join('.');
      break;
    case 'identifier':
      s = n.name;
      break;
    case 'dot':
      s = '.';
      break;
    case 'nil':
      s = 'nil';
      break;
    case 'bool':
      s = String(n.value);
      break;
    case 'number':
      s = n.text;
      break;
    case 'string':
      s = n.quoted;
      break;
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      s = decl + n.cmds.map((c) => nodeString(c)).join(' | ');
      break;
    }
    case 'command':
      s = n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
      break;
    case 'text':
      s = 'text';
      break;
    case 'action':
    case 'if':
    case 'with':
    case 'range':
    case 'template':
      s = n.src;
      break;
    default:
      s = `{{${n.kind}}}`;
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

export class Executor {
  private vars: Variable[] = [];
  private depth = 0;
  private readonly out: string[] = [];
  private outBytes = 0;
  private current: string;

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly name: string,
    private readonly budget: Budget,
  ) {
    this.current = name;
  }

  run(data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, this.tmpl.root);
    return this.out.join('');
  }

  // --- errors and output

  private fail(node: Located, message: string): never {
    throw new ExecFailure(message, node.pos, nodeString(node), this.current);
  }

  private write(s: string): void {
    if (s.length === 0) return;
    this.outBytes += byteLength(s);
    if (this.outBytes > this.budget.maxBytes) {
      throw new TemplateLimitError(`output exceeds the limit of ${this.budget.maxBytes} bytes`);
    }
    this.out.push(s);
  }

  // --- variables

  private varValue(name: string, node: Located): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    this.fail(node, `undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown, node: Located): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.fail(node, `undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v !== undefined) v.value = value;
  }

  // --- walking

  private walkList(dot: unknown, list: ListNode): void {
    for (const node of list) this.walk(dot, node);
  }

  private walk(dot: unknown, node: Node): void {
    this.budget.step();
    switch (node.kind) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(v);
        return;
      }
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private printValue(v: unknown): void {
    if (isNil(v)) this.write('<no value>');
    else this.write(formatValue(v, this.budget));
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) this.walkList(node.kind === 'with' ? val : dot, node.list);
      else if (node.elseList !== null) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const inner = this.vars.length;
      const { decl, isAssign } = node.pipe;
      // Returns false when the loop should stop ({{break}}).
      const iterate = (index: unknown, elem: unknown): boolean => {
        this.budget.step();
        if (decl.length > 0) {
          if (isAssign) {
            if (decl.length > 1) {
              this.setVar(decl[0] as string, index, node);
              this.setVar(decl[1] as string, elem, node);
            } else {
              this.setVar(decl[0] as string, elem, node);
            }
          } else {
            this.setTopVar(1, elem);
            if (decl.length > 1) this.setTopVar(2, index);
          }
        }
        try {
          this.walkList(elem, node.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = inner;
        }
        return true;
      };
      let ran = false;
      if (Array.isArray(val)) {
        const items = [...val];
        for (let i = 0; i < items.length; i++) {
          ran = true;
          if (!iterate(BigInt(i), items[i])) break;
        }
      } else if (isMap(val)) {
        const keys = sortedKeys(val);
        this.budget.step(Math.floor(keys.length / 64));
        for (const k of keys) {
          ran = true;
          if (!iterate(k, val[k])) break;
        }
      } else if (typeof val === 'bigint') {
        // Go prints the integer here; it may be a secret (a PIN), so only its type is named.
        if (decl.length > 1) this.fail(node, "can't use an int to iterate over more than one variable");
        for (let i = 0n; i < val; i++) {
          ran = true;
          if (!iterate(i, i)) break;
        }
      } else if (!isNil(val)) {
        this.fail(node, `range can't iterate over a value of type ${typeName(val)}`);
      }
      if (!ran && node.elseList !== null) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkTemplate(dot: unknown, node: TemplateNode): void {
    const body = this.tmpl.defines.get(node.name);
    if (body === undefined) this.fail(node, `no such template ${JSON.stringify(node.name)}`);
    if (this.depth >= MAX_TEMPLATE_DEPTH) {
      throw new TemplateLimitError(`template calls nest deeper than the limit of ${MAX_TEMPLATE_DEPTH}`);
    }
    const newDot = node.pipe === null ? undefined : this.evalPipeline(dot, node.pipe);
    const saved = this.vars;
    const savedName = this.current;
    this.vars = [{ name: '$', value: newDot }];
    this.current = node.name;
    this.depth++;
    try {
      this.walkList(newDot, body);
    } finally {
      this.vars = saved;
      this.current = savedName;
      this.depth--;
    }
  }

  // --- pipelines and commands

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.budget.step();
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = undefined; // a nil interface becomes "no value", as in Go
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value, pipe);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: Final, node: ArgNode): void {
    if (args.length > 1 || final !== MISSING) {
      this.fail(node, `can't give argument to non-function ${nodeString(node)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    this.budget.step();
    const first = cmd.args[0] as ArgNode;
    switch (first.kind) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final, first);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd.args, final, first);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.fail(first, 'nil is not a command');
        break;
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.fail(first, `can't evaluate command ${nodeString(first)}`);
  }

  private idealConstant(n: NumberNode): unknown {
    if (n.isChar) return n.int;
    const floatSyntax = /^[+-]?0[xX]/.test(n.text) ? /[pP]/.test(n.text) : /[.eE]/.test(n.text);
    if (floatSyntax && n.float !== undefined) return n.float;
    if (n.int !== undefined) return n.int;
    this.fail(n, `${n.text} overflows int`);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: FieldNode | VariableNode | ChainNode,
    idents: string[],
    args: ArgNode[],
    final: Final,
  ): unknown {
    const n = idents.length;
    for (let i = 0; i < n - 1; i++)
      receiver = this.evalField(idents[i] as string, node, [], MISSING, receiver);
    return this.evalField(idents[n - 1] as string, node, args, final, receiver);
  }

  private evalField(name: string, node: Located, args: ArgNode[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) this.fail(node, `nil data; no entry for key ${JSON.stringify(name)}`);
    if (receiver === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
    if (isMap(receiver)) {
      if (args.length > 1 || final !== MISSING) this.fail(node, `${name} is not a method but has arguments`);
      if (mapHas(receiver, name)) return receiver[name];
      this.fail(node, `map has no entry for key ${JSON.stringify(name)}`);
    }
    this.fail(node, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    const base = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, base, chain, chain.fields, args, final);
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: Final): unknown {
    const value = this.varValue(v.name, v);
    if (v.fields.length === 0) {
      this.notAFunction(args, final, v);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.fields, args, final);
  }

  private evalFunction(dot: unknown, ident: IdentifierNode, args: ArgNode[], final: Final): unknown {
    const def = lookupFunction(ident.name);
    if (def === undefined) this.fail(ident, `function ${JSON.stringify(ident.name)} not defined`);
    return this.evalCall(dot, def, ident, args, final);
  }

  /** `args[0]` is the function's own node. */
  private evalCall(
    dot: unknown,
    def: FuncDef,
    ident: IdentifierNode,
    args: ArgNode[],
    final: Final,
  ): unknown {
    const name = ident.name;
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final === MISSING ? 0 : 1);
    const numFixed = def.params.length;
    if (def.variadic !== undefined) {
      if (numIn < numFixed)
        this.fail(ident, `wrong number of args for ${name}: want at least ${numFixed} got ${numIn}`);
    } else if (numIn !== numFixed) {
      this.fail(ident, `wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }

    if (def.lazy === true) {
      // and/or: evaluate left to right and stop at the first value that decides the result.
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'any', a);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }

    const typeAt = (i: number): ParamType =>
      i < numFixed ? (def.params[i] as ParamType) : (def.variadic as ParamType);
    const values: unknown[] = [];
    const literal: boolean[] = [];
    argNodes.forEach((a, i) => {
      values.push(this.evalArg(dot, typeAt(i), a));
      literal.push(a.kind === 'string');
    });
    if (final !== MISSING) {
      values.push(this.validateType(final, typeAt(values.length), ident));
      literal.push(false);
    }
    for (const v of values) if (typeof v === 'string') this.budget.stringWork(v.length);

    let result: unknown;
    try {
      result = def.fn(values, { budget: this.budget, literal });
    } catch (e) {
      if (e instanceof TemplateError || e instanceof ExecFailure) throw e;
      if (e instanceof FuncError) this.fail(ident, `error calling ${name}: ${e.message}`);
      // Anything else is unexpected; its message could quote a value, so it is not passed on.
      this.fail(ident, `error calling ${name}: internal error`);
    }
    if (typeof result === 'string') {
      this.budget.checkSize(result.length);
      this.budget.stringWork(result.length);
    }
    return result;
  }

  // --- arguments

  private evalArg(dot: unknown, type: ParamType, node: ArgNode): unknown {
    this.budget.step();
    switch (node.kind) {
      case 'dot':
        return this.validateType(dot, type, node);
      case 'nil':
        if (type === 'any' || type === 'map') return null;
        this.fail(node, `cannot assign nil to ${goTypeName(type)}`);
        break;
      case 'field':
        return this.validateType(
          this.evalFieldChain(dot, dot, node, node.idents, [node], MISSING),
          type,
          node,
        );
      case 'variable':
        return this.validateType(this.evalVariable(dot, node, [node], MISSING), type, node);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, node), type, node);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, node, [node], MISSING), type, node);
      case 'chain':
        return this.validateType(this.evalChain(dot, node, [node], MISSING), type, node);
    }
    switch (type) {
      case 'any':
        if (node.kind === 'bool') return node.value;
        if (node.kind === 'number') return this.idealConstant(node);
        if (node.kind === 'string') return node.text;
        break;
      case 'bool':
        if (node.kind === 'bool') return node.value;
        this.fail(node, `expected bool; found ${nodeString(node)}`);
        break;
      case 'int':
        if (node.kind === 'number' && node.int !== undefined) return node.int;
        this.fail(node, `expected integer; found ${nodeString(node)}`);
        break;
      case 'float':
        if (node.kind === 'number' && node.float !== undefined) return node.float;
        this.fail(node, `expected float; found ${nodeString(node)}`);
        break;
      case 'string':
        if (node.kind === 'string') return node.text;
        this.fail(node, `expected string; found ${nodeString(node)}`);
        break;
      case 'map':
        break;
    }
    this.fail(node, `can't handle ${nodeString(node)} for arg of type ${goTypeName(type)}`);
  }

  private validateType(value: unknown, type: ParamType, node: Located): unknown {
    if (isNil(value)) {
      if (type === 'any' || type === 'map') return null;
      this.fail(node, `invalid value; expected ${goTypeName(type)}`);
    }
    let ok: boolean;
    switch (type) {
      case 'any':
        return value;
      case 'string':
        ok = typeof value === 'string';
        break;
      case 'int':
        ok = typeof value === 'bigint';
        break;
      case 'float':
        ok = typeof value === 'number';
        break;
      case 'bool':
        ok = typeof value === 'boolean';
        break;
      case 'map':
        ok = isMap(value);
        break;
    }
    if (!ok) this.fail(node, `wrong type for value; expected ${goTypeName(type)}; got ${typeName(value)}`);
    return value;
  }
}
