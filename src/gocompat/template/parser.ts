// Recursive-descent parser from tokens to the syntax tree in ast.ts, following the grammar of Go's
// text/template/parse: pipelines, commands, operands, control structures, variable scoping, and
// {{define}}/{{block}}. Unknown functions and undefined variables are rejected here, at parse time.

import type {
  ArgNode,
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  ParsedTemplate,
  PipeNode,
  StringNode,
  TemplateNode,
} from './ast';
import { PositionedError } from './errors';
import { lex, type Token, type TokenType } from './lexer';
import { MAX_PARSE_DEPTH } from './limits';
import { parseGoInt, parseGoFloat } from './values';
import { fromBytes } from './gostring';

/** Returns an error message when `name` cannot be called from templates. */
export type FunctionChecker = (name: string) => string | undefined;

interface EndMarker {
  kind: 'end';
  pos: number;
}

interface ElseMarker {
  kind: 'else';
  pos: number;
}

type ListItem = Node | EndMarker | ElseMarker;

const EOF: Token = { type: 'eof', value: '', pos: 0, end: 0 };

// ---------------------------------------------------------------------------------------------
// Literals

/** A literal's bytes as a Go string ("\xff" is one byte, as in Go). */
function decodeUtf8(bytes: number[]): string {
  return fromBytes(Uint8Array.from(bytes));
}

function pushUtf8(bytes: number[], cp: number): void {
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
}

/**
 * Decodes the body of a Go interpreted string or character literal into bytes. Returns the bytes,
 * or undefined on invalid syntax.
 */
function unescape(body: string, quote: '"' | "'"): number[] | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < body.length;) {
    const cp = body.codePointAt(i) as number;
    if (cp !== 0x5c) {
      if (cp === quote.charCodeAt(0) || cp === 0x0a) return undefined;
      pushUtf8(bytes, cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
    if (e !== undefined && e in simple) {
      bytes.push(simple[e] as number);
      continue;
    }
    if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const h = body.slice(i, i + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) return undefined;
      i += hexLen;
      const v = parseInt(h, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else pushUtf8(bytes, v);
      continue;
    }
    if (e !== undefined && e >= '0' && e <= '7') {
      const o = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o)) return undefined;
      const v = parseInt(o, 8);
      if (v > 255) return undefined;
      bytes.push(v);
      i += 2;
      continue;
    }
    return undefined;
  }
  return bytes;
}

function unquoteString(tok: Token): string {
  if (tok.type === 'rawString') return tok.value.slice(1, -1).replace(/\r/g, '');
  const bytes = unescape(tok.value.slice(1, -1), '"');
  if (bytes === undefined) throw new PositionedError(`invalid syntax in quoted string ${tok.value}`, tok.pos);
  return decodeUtf8(bytes);
}

function charValue(tok: Token): number {
  const body = tok.value.slice(1, -1);
  if (body.startsWith('\\x') && /^\\x[0-9a-fA-F]{2}$/.test(body)) return parseInt(body.slice(2), 16);
  if (/^\\[0-7]{3}$/.test(body)) return parseInt(body.slice(1), 8);
  const bytes = unescape(body, "'");
  const s = bytes === undefined ? '' : decodeUtf8(bytes);
  const cps = Array.from(s);
  if (cps.length !== 1) throw new PositionedError(`malformed character constant: ${tok.value}`, tok.pos);
  return (cps[0] as string).codePointAt(0) as number;
}

function numberNode(tok: Token): NumberNode {
  if (tok.type === 'char') {
    const cp = charValue(tok);
    return { kind: 'number', pos: tok.pos, text: tok.value, int: BigInt(cp), float: cp, isChar: true };
  }
  const text = tok.value;
  if (text.endsWith('i')) throw new PositionedError(`complex numbers are not supported: ${text}`, tok.pos);
  const node: NumberNode = { kind: 'number', pos: tok.pos, text, isChar: false };
  const i = parseGoInt(text);
  if (i !== undefined) {
    node.int = i;
    node.float = Number(i);
    return node;
  }
  const f = parseGoFloat(text);
  if (f !== undefined && !/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    if (!/[.eE]/.test(text)) throw new PositionedError(`integer overflow: ${text}`, tok.pos);
    node.float = f;
    if (Number.isInteger(f) && Math.abs(f) < 9.223372036854776e18) node.int = BigInt(f);
    return node;
  }
  throw new PositionedError(`illegal number syntax: ${JSON.stringify(text)}`, tok.pos);
}

function isEmptyList(list: ListNode): boolean {
  return list.every((n) => n.kind === 'text' && n.text.trim() === '');
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private depth = 0;
  private readonly defines = new Map<string, ListNode>();
  private readonly definePos = new Map<string, number>();

  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
    private readonly checkFunction: FunctionChecker,
  ) {}

  // --- token stream

  private next(): Token {
    const t = this.tokens[this.i] ?? EOF;
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private peek(): Token {
    return this.tokens[this.i] ?? EOF;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    while (this.peek().type === 'space') this.i++;
    return this.peek();
  }

  private backup(): void {
    this.i--;
  }

  private prevEnd(): number {
    return (this.tokens[this.i - 1] ?? EOF).end;
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'EOF';
      case 'rightDelim':
        return '"}}"';
      case 'leftDelim':
        return '"{{"';
      case 'text':
        return 'text';
      default:
        return JSON.stringify(t.value.length > 40 ? t.value.slice(0, 40) + '…' : t.value);
    }
  }

  private unexpected(t: Token, context: string): never {
    throw new PositionedError(`unexpected ${this.describe(t)} in ${context}`, t.pos);
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private enter(pos: number): void {
    this.depth++;
    if (this.depth > MAX_PARSE_DEPTH) {
      throw new PositionedError(`template nesting exceeds the limit of ${MAX_PARSE_DEPTH} levels`, pos);
    }
  }

  private leave(): void {
    this.depth--;
  }

  // --- top level

  parse(mainName: string): ParsedTemplate {
    let root: ListNode = [];
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.i;
        const delim = this.next();
        const t = this.nextNonSpace();
        if (t.type === 'keyword' && t.value === 'define') {
          this.parseDefinition(delim);
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') {
        throw new PositionedError(`unexpected {{${n.kind}}}`, n.pos);
      }
      root.push(n);
    }
    const defined = this.defines.get(mainName);
    if (defined !== undefined) {
      if (isEmptyList(root)) root = defined;
      else if (!isEmptyList(defined)) {
        throw new PositionedError(
          `multiple definition of template ${JSON.stringify(mainName)}`,
          this.definePos.get(mainName) ?? 0,
        );
      }
    }
    this.defines.set(mainName, root);
    return { root, defines: this.defines };
  }

  private addDefine(name: string, list: ListNode, pos: number): void {
    const existing = this.defines.get(name);
    if (existing !== undefined && !isEmptyList(existing)) {
      if (isEmptyList(list)) return;
      throw new PositionedError(`multiple definition of template ${JSON.stringify(name)}`, pos);
    }
    this.defines.set(name, list);
    this.definePos.set(name, pos);
  }

  /** Parses a body in a fresh variable scope, as Go does for define and block. */
  private isolatedBody(context: string, openPos: number): ListNode {
    const saveVars = this.vars;
    const saveRange = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList(context, openPos);
    if (end.kind !== 'end') throw new PositionedError(`unexpected {{else}} in ${context}`, end.pos);
    this.vars = saveVars;
    this.rangeDepth = saveRange;
    return list;
  }

  private parseDefinition(delim: Token): void {
    this.enter(delim.pos);
    const t = this.nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, 'define clause');
    const name = unquoteString(t);
    this.expect('rightDelim', 'define clause');
    const list = this.isolatedBody('define', delim.pos);
    this.addDefine(name, list, delim.pos);
    this.leave();
  }

  private itemList(context: string, openPos: number): [ListNode, EndMarker | ElseMarker] {
    const list: ListNode = [];
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.push(n);
    }
    throw new PositionedError(`unexpected EOF: {{${context}}} has no matching {{end}}`, openPos);
  }

  private textOrAction(): ListItem {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.value };
    if (t.type === 'leftDelim') return this.action(t);
    this.unexpected(t, 'input');
  }

  private action(delim: Token): ListItem {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.value) {
        case 'block':
          return this.blockControl(delim);
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) throw new PositionedError(`{{${t.value}}} outside {{range}}`, t.pos);
          this.expect('rightDelim', t.value);
          return { kind: t.value === 'break' ? 'break' : 'continue', pos: delim.pos };
        case 'else': {
          const p = this.peekNonSpace();
          if (!(p.type === 'keyword' && (p.value === 'if' || p.value === 'with')))
            this.expect('rightDelim', 'else');
          return { kind: 'else', pos: delim.pos };
        }
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: delim.pos };
        case 'if':
        case 'with':
        case 'range':
          return this.parseControl(t.value, delim);
        case 'template':
          return this.templateControl(delim);
        case 'define':
          throw new PositionedError('{{define}} is only allowed at the top level', t.pos);
      }
    }
    this.backup();
    const pipe = this.pipeline('command', 'rightDelim');
    return { kind: 'action', pos: delim.pos, src: this.src.slice(delim.pos, this.prevEnd()), pipe };
  }

  private parseControl(context: 'if' | 'with' | 'range', delim: Token): BranchNode {
    this.enter(delim.pos);
    const varsMark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    const src = this.src.slice(delim.pos, this.prevEnd());
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList(context, delim.pos);
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.kind === 'else') {
      const p = this.peek();
      if (p.type === 'keyword' && (p.value === 'if' || p.value === 'with')) {
        if (p.value !== context)
          throw new PositionedError(`unexpected {{else ${p.value}}} in {{${context}}}`, p.pos);
        this.next();
        elseList = [this.parseControl(context, p)];
      } else {
        const [alt, end] = this.itemList(context, delim.pos);
        if (end.kind !== 'end') throw new PositionedError('expected {{end}}; found {{else}}', end.pos);
        elseList = alt;
      }
    }
    this.vars.length = varsMark;
    this.leave();
    return { kind: context, pos: delim.pos, src, pipe, list, elseList };
  }

  private templateName(t: Token, context: string): string {
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, context);
    return unquoteString(t);
  }

  private templateControl(delim: Token): TemplateNode {
    const name = this.templateName(this.nextNonSpace(), 'template clause');
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline('template clause', 'rightDelim');
    }
    return { kind: 'template', pos: delim.pos, src: this.src.slice(delim.pos, this.prevEnd()), name, pipe };
  }

  private blockControl(delim: Token): TemplateNode {
    this.enter(delim.pos);
    const name = this.templateName(this.nextNonSpace(), 'block clause');
    const pipe = this.pipeline('block clause', 'rightDelim');
    const src = this.src.slice(delim.pos, this.prevEnd());
    const list = this.isolatedBody('block', delim.pos);
    this.addDefine(name, list, delim.pos);
    this.leave();
    return { kind: 'template', pos: delim.pos, src, name, pipe };
  }

  // --- pipelines

  private pipeline(context: string, end: TokenType): PipeNode {
    const pipe: PipeNode = {
      kind: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    let sawOperator = false;
    for (;;) {
      const save = this.i;
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === 'assign' || after.type === 'declare') {
        this.next();
        pipe.isAssign = after.type === 'assign';
        pipe.decl.push(v.value);
        sawOperator = true;
        break;
      }
      if (after.type === 'comma') {
        this.next();
        pipe.decl.push(v.value);
        if (context === 'range' && pipe.decl.length < 2 && this.peekNonSpace().type === 'variable') continue;
        if (context === 'range' && pipe.decl.length < 2) {
          throw new PositionedError('range can only initialize variables', after.pos);
        }
        throw new PositionedError(`too many declarations in ${context}`, after.pos);
      }
      this.i = save;
      break;
    }
    if (pipe.decl.length > 0 && !sawOperator) throw new PositionedError(`missing := in ${context}`, pipe.pos);

    let afterPipe = false;
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (afterPipe) throw new PositionedError('missing command after |', t.pos);
        this.checkPipeline(pipe, context, t.pos);
        break;
      }
      switch (t.type) {
        case 'bool':
        case 'char':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen': {
          this.backup();
          const cmd = this.command();
          pipe.cmds.push(cmd);
          afterPipe = (this.tokens[this.i - 1] ?? EOF).type === 'pipe';
          continue;
        }
        default:
          this.unexpected(t, context);
      }
    }
    // Variables come into scope after their pipeline.
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.useVar(name, pipe.pos);
      else this.vars.push(name);
    }
    return pipe;
  }

  private checkPipeline(pipe: PipeNode, context: string, pos: number): void {
    if (pipe.cmds.length === 0) throw new PositionedError(`missing value for ${context}`, pos);
    pipe.cmds.forEach((c, k) => {
      const first = c.args[0];
      if (k > 0 && first !== undefined && ['bool', 'dot', 'nil', 'number', 'string'].includes(first.kind)) {
        throw new PositionedError(`non executable command in pipeline stage ${k + 1}`, first.pos);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op !== null) cmd.args.push(op);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) throw new PositionedError('empty command', cmd.pos);
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (node === null) return null;
    if (this.peek().type !== 'field') return node;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.kind) {
      case 'field':
        return { ...node, idents: [...node.idents, ...fields] };
      case 'variable':
        return { ...node, fields: [...node.fields, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        throw new PositionedError('unexpected . after term', node.pos);
      default:
        return { kind: 'chain', pos: node.pos, node, fields };
    }
  }

  private useVar(name: string, pos: number): void {
    if (!this.vars.includes(name))
      throw new PositionedError(`undefined variable ${JSON.stringify(name)}`, pos);
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier': {
        const problem = this.checkFunction(t.value);
        if (problem !== undefined) throw new PositionedError(problem, t.pos);
        return { kind: 'identifier', pos: t.pos, name: t.value };
      }
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable':
        this.useVar(t.value, t.pos);
        return { kind: 'variable', pos: t.pos, name: t.value, fields: [] };
      case 'field':
        return { kind: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'char':
      case 'number':
        return numberNode(t);
      case 'leftParen': {
        this.enter(t.pos);
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        this.leave();
        return pipe;
      }
      case 'string':
      case 'rawString': {
        const node: StringNode = { kind: 'string', pos: t.pos, quoted: t.value, text: unquoteString(t) };
        return node;
      }
    }
    this.backup();
    return null;
  }
}

/** Parses template source. Throws PositionedError on syntax errors. */
export function parse(mainName: string, src: string, checkFunction: FunctionChecker): ParsedTemplate {
  return new Parser(lex(src), src, checkFunction).parse(mainName);
}
