/**
 * The .xlstm abstract syntax tree. The grammar is deliberately generic: a model body is a list of
 * `key value` properties, `key { ... }` sections and `let` constants. Which keys exist, what types
 * their values have and how they combine is the checker's business (compiler/check), so that a
 * misspelt key is a checker diagnostic with "did you mean", not a parse error that hides others.
 */

/** A source range. Lines and columns are 1-based; offsets are 0-based, end exclusive. */
export interface Span {
  file: string;
  startOffset: number;
  endOffset: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Name {
  text: string;
  span: Span;
}

export type Expr =
  | { kind: 'int'; value: number; text: string; span: Span }
  | { kind: 'float'; value: number; text: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'string'; value: string; span: Span }
  /** A reference to a `let` constant, or an enum value such as `gelu` or `powerlaw_blockdependent`. */
  | { kind: 'ident'; name: string; span: Span }
  | { kind: 'unary'; op: '-' | '+' | 'not'; operand: Expr; span: Span }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '//' | '%' | '**'; left: Expr; right: Expr; span: Span }
  | { kind: 'list'; items: Expr[]; span: Span }
  | { kind: 'tuple'; items: Expr[]; span: Span }
  /** Paper notation `a:b`, e.g. the mLSTM:sLSTM ratio `7:1`. */
  | { kind: 'ratio'; left: Expr; right: Expr; span: Span }
  /** `adamw(lr: 1e-3, betas: (0.9, 0.95))`: positional and named arguments. */
  | { kind: 'call'; callee: Name; args: CallArg[]; span: Span }
  /** `null`: explicitly absent (e.g. `ffn null`, `clip null`). */
  | { kind: 'null'; span: Span };

export interface CallArg {
  name?: Name;
  value: Expr;
  span: Span;
}

export interface LetDecl {
  kind: 'let';
  name: Name;
  value: Expr;
  span: Span;
}

export interface Property {
  kind: 'property';
  key: Name;
  value: Expr;
  span: Span;
}

export interface Section {
  kind: 'section';
  key: Name;
  /** Optional argument before the body, e.g. `block 3 { ... }` for a per-block override. */
  arg?: Expr;
  body: Statement[];
  span: Span;
  /** Set when a syntax error cost this section part of its header or body (see grammar/cst-to-ast.ts). */
  incomplete?: boolean;
}

export type Statement = LetDecl | Property | Section;

export interface ModelDecl {
  kind: 'model';
  name: Name;
  extends?: Name;
  body: Statement[];
  span: Span;
  /** Set when a syntax error cost this model part of its header or body (see grammar/cst-to-ast.ts). */
  incomplete?: boolean;
}

export interface ImportDecl {
  kind: 'import';
  path: string;
  span: Span;
}

export interface Comment {
  text: string;
  span: Span;
}

export interface SourceFile {
  file: string;
  imports: ImportDecl[];
  lets: LetDecl[];
  models: ModelDecl[];
  /** Every comment in source order, kept for the formatter. */
  comments: Comment[];
  span: Span;
}
