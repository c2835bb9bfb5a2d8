import type { CstNode, IToken } from 'chevrotain';
import type { CallArg, Expr, Span } from './ast.js';
import { childNode, childNodes, childToken, childTokens, nodeStart, tokenEnd } from './cst-access.js';
import { stringValue } from './lexer.js';
import type { LineIndex } from './line-index.js';
import { FloatLit, IntLit } from './tokens.js';

type BinaryOp = Extract<Expr, { kind: 'binary' }>['op'];
type UnaryOp = Extract<Expr, { kind: 'unary' }>['op'];
type Report = (code: string, message: string, span: Span, hint?: string) => void;

const LEVEL: Record<string, number> = { ':': 1, '+': 2, '-': 2, '*': 3, '/': 3, '//': 3, '%': 3 };

/**
 * Builds expression ASTs from the CST. Returns undefined for anything recovery left incomplete
 * (the syntax error is already reported); the caller then drops the whole statement. Operator
 * sequences are folded with loops and stacks, and `operators` counts them so the caller can refuse
 * expressions deep enough to overflow recursive consumers of the AST.
 */
export class ExpressionBuilder {
  operators = 0;

  constructor(
    private readonly index: LineIndex,
    private readonly report: Report,
  ) {}

  expression(n: CstNode): Expr | undefined {
    const ops = childTokens(n, 'op');
    const operands = this.operands(n);
    if (operands === undefined || operands.length !== ops.length + 1) return undefined;
    const colons = ops.filter((t) => t.image === ':');
    if (colons.length > 1) {
      this.report('E024', 'a ratio has exactly one `:`', this.tokenSpan(colons[1]), 'write `a:b`; parenthesise a ratio to use it inside another');
      return undefined;
    }
    // `**` binds tighter than the prefixes, which bind tighter than everything else: fold its chains first
    const terms: Expr[] = [];
    const termOps: IToken[] = [];
    for (let i = 0; i < operands.length; ) {
      let j = i;
      while (j < ops.length && ops[j].image === '**') j++;
      terms.push(this.powerChain(operands.slice(i, j + 1)));
      if (j < ops.length) termOps.push(ops[j]);
      i = j + 1;
    }
    return this.applyPrecedence(terms, termOps);
  }

  /** Each primary with the prefix operators written before it. */
  private operands(n: CstNode): { prefixes: IToken[]; base: Expr }[] | undefined {
    const prefixes = childTokens(n, 'prefix');
    const out: { prefixes: IToken[]; base: Expr }[] = [];
    let p = 0;
    for (const primary of childNodes(n, 'primary')) {
      const start = nodeStart(primary);
      const mine: IToken[] = [];
      while (p < prefixes.length && prefixes[p].startOffset < start) mine.push(prefixes[p++]);
      const base = this.primary(primary);
      if (base === undefined) return undefined;
      out.push({ prefixes: mine, base });
    }
    return out;
  }

  /** `-a ** -b ** c` is `-(a ** (-(b ** c)))`: fold from the right, each operand's prefixes wrapping what follows it. */
  private powerChain(chain: { prefixes: IToken[]; base: Expr }[]): Expr {
    let acc: Expr | undefined;
    for (let i = chain.length - 1; i >= 0; i--) {
      const { prefixes, base } = chain[i];
      acc = acc === undefined ? base : this.binary('**', base, acc);
      for (let k = prefixes.length - 1; k >= 0; k--) {
        this.operators++;
        const op = prefixes[k];
        acc = { kind: 'unary', op: op.image as UnaryOp, operand: acc, span: this.index.span(op.startOffset, acc.span.endOffset) };
      }
    }
    return acc as Expr;
  }

  /** Operator precedence with explicit stacks (no recursion): `:` < `+ -` < `* / // %`, all left-associative. */
  private applyPrecedence(terms: Expr[], ops: IToken[]): Expr {
    const values: Expr[] = [terms[0]];
    const pending: IToken[] = [];
    const reduce = (): void => {
      const op = pending.pop() as IToken;
      const right = values.pop() as Expr;
      const left = values.pop() as Expr;
      values.push(op.image === ':' ? this.ratio(left, right) : this.binary(op.image as BinaryOp, left, right));
    };
    for (let i = 0; i < ops.length; i++) {
      const level = LEVEL[ops[i].image] ?? 0;
      while (pending.length > 0 && (LEVEL[pending[pending.length - 1].image] ?? 0) >= level) reduce();
      pending.push(ops[i]);
      values.push(terms[i + 1]);
    }
    while (pending.length > 0) reduce();
    return values[0];
  }

  private binary(op: BinaryOp, left: Expr, right: Expr): Expr {
    this.operators++;
    return { kind: 'binary', op, left, right, span: this.join(left.span, right.span) };
  }

  private ratio(left: Expr, right: Expr): Expr {
    this.operators++;
    return { kind: 'ratio', left, right, span: this.join(left.span, right.span) };
  }

  private primary(n: CstNode): Expr | undefined {
    const number = childToken(n, 'AnyNumber');
    if (number !== undefined) return this.number(number);
    const str = childToken(n, 'AnyString');
    if (str !== undefined) return { kind: 'string', value: stringValue(str), span: this.tokenSpan(str) };
    for (const [key, value] of [['True', true], ['False', false]] as const) {
      const t = childToken(n, key);
      if (t !== undefined) return { kind: 'bool', value, span: this.tokenSpan(t) };
    }
    const nul = childToken(n, 'Null');
    if (nul !== undefined) return { kind: 'null', span: this.tokenSpan(nul) };
    const call = childNode(n, 'callOrName');
    if (call !== undefined) return this.callOrName(call);
    const paren = childNode(n, 'parenthesized');
    if (paren !== undefined) return this.bracketed(paren, 'RParen', 'tuple');
    const list = childNode(n, 'list');
    return list === undefined ? undefined : this.bracketed(list, 'RBracket', 'list');
  }

  private number(t: IToken): Expr | undefined {
    const span = this.tokenSpan(t);
    if (t.tokenType === IntLit) return { kind: 'int', value: Number(t.image), text: t.image, span };
    if (t.tokenType === FloatLit) return { kind: 'float', value: Number(t.image), text: t.image, span };
    return undefined;
  }

  private callOrName(n: CstNode): Expr | undefined {
    const id = childToken(n, 'Identifier');
    if (id === undefined) return undefined;
    if (childToken(n, 'LParen') === undefined) return { kind: 'ident', name: id.image, span: this.tokenSpan(id) };
    const close = childToken(n, 'RParen');
    if (close === undefined) return undefined;
    const args: CallArg[] = [];
    for (const a of childNodes(n, 'argument')) {
      const arg = this.argument(a);
      if (arg === undefined) return undefined;
      args.push(arg);
    }
    return { kind: 'call', callee: { text: id.image, span: this.tokenSpan(id) }, args, span: this.index.span(id.startOffset, tokenEnd(close)) };
  }

  private argument(n: CstNode): CallArg | undefined {
    const valueNode = childNode(n, 'expression');
    const value = valueNode === undefined ? undefined : this.expression(valueNode);
    if (value === undefined) return undefined;
    const name = childToken(n, 'name');
    if (name === undefined) return { value, span: value.span };
    return { name: { text: name.image, span: this.tokenSpan(name) }, value, span: this.index.span(name.startOffset, value.span.endOffset) };
  }

  /** `( )`/`[ ]`: a list, a tuple, or (one item, no comma, parentheses) a group whose span includes the parentheses. */
  private bracketed(n: CstNode, closeKey: string, kind: 'tuple' | 'list'): Expr | undefined {
    const open = n.location?.startOffset;
    const close = childToken(n, closeKey);
    if (open === undefined || close === undefined) return undefined;
    const span = this.index.span(open, tokenEnd(close));
    const itemsNode = childNode(n, 'items');
    if (itemsNode === undefined) return { kind, items: [], span };
    const items: Expr[] = [];
    for (const e of childNodes(itemsNode, 'expression')) {
      const item = this.expression(e);
      if (item === undefined) return undefined;
      items.push(item);
    }
    const commas = childTokens(itemsNode, 'Comma').length + childTokens(itemsNode, 'trailingComma').length;
    if (commas !== items.length - 1 && commas !== items.length) return undefined;
    if (kind === 'tuple' && items.length === 1 && commas === 0) return { ...items[0], span };
    return { kind, items, span };
  }

  private tokenSpan(t: IToken): Span {
    return this.index.span(t.startOffset, tokenEnd(t));
  }

  private join(a: Span, b: Span): Span {
    return this.index.span(a.startOffset, b.endOffset);
  }
}
