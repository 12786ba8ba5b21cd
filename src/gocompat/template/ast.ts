// The syntax tree produced by parser.ts and walked by evaluate.ts. It mirrors Go's
// text/template/parse node types; every node records its byte offset for error positions.

export interface TextNode {
  kind: 'text';
  pos: number;
  text: string;
}

export interface ActionNode {
  kind: 'action';
  pos: number;
  /** the source text of the action, for error context */
  src: string;
  pipe: PipeNode;
}

export interface PipeNode {
  kind: 'pipe';
  pos: number;
  /** `$x = ...` rather than `$x := ...` */
  isAssign: boolean;
  /** declared or assigned variable names, including the leading '$' */
  decl: string[];
  cmds: CommandNode[];
}

export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

export interface FieldNode {
  kind: 'field';
  pos: number;
  /** `.a.b` -> ['a', 'b'] */
  idents: string[];
}

export interface VariableNode {
  kind: 'variable';
  pos: number;
  /** the variable name including '$' */
  name: string;
  /** fields accessed on it: `$x.a.b` -> ['a', 'b'] */
  fields: string[];
}

export interface ChainNode {
  kind: 'chain';
  pos: number;
  /** a parenthesised pipeline or function identifier followed by fields */
  node: ArgNode;
  fields: string[];
}

export interface IdentifierNode {
  kind: 'identifier';
  pos: number;
  name: string;
}

export interface DotNode {
  kind: 'dot';
  pos: number;
}

export interface NilNode {
  kind: 'nil';
  pos: number;
}

export interface BoolNode {
  kind: 'bool';
  pos: number;
  value: boolean;
}

export interface NumberNode {
  kind: 'number';
  pos: number;
  text: string;
  /** set when the literal has an exact int64 value */
  int?: bigint;
  /** set when the literal has a float64 value */
  float?: number;
  /** a character constant such as 'a' */
  isChar: boolean;
}

export interface StringNode {
  kind: 'string';
  pos: number;
  /** the literal as written, with quotes */
  quoted: string;
  text: string;
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface BranchNode {
  kind: 'if' | 'with' | 'range';
  pos: number;
  src: string;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}

export interface TemplateNode {
  kind: 'template';
  pos: number;
  src: string;
  name: string;
  pipe: PipeNode | null;
}

export interface BreakNode {
  kind: 'break' | 'continue';
  pos: number;
}

export type Node = TextNode | ActionNode | BranchNode | TemplateNode | BreakNode;

export type ListNode = Node[];

export interface ParsedTemplate {
  root: ListNode;
  /** templates from {{define}} and {{block}} */
  defines: Map<string, ListNode>;
}
