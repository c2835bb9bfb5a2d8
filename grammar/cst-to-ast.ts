import type { CstNode, IToken } from 'chevrotain';
import type { Diagnostic } from '../compiler/diagnostics.js';
import type { Expr, ImportDecl, LetDecl, ModelDecl, Name, Section, SourceFile, Statement } from './ast.js';
import { childNode, childNodes, childToken, nodeStart, tokenEnd } from './cst-access.js';
import { ExpressionBuilder } from './cst-expressions.js';
import { stringValue } from './lexer.js';
import { describeToken } from './syntax-messages.js';
import { SyntaxReporter, type AstContext } from './syntax-reporter.js';
import { strayHint } from './stray-hints.js';
import { Colon, Equals } from './tokens.js';

/** More operators in one value could make the AST too deep for recursive consumers; no real model needs a tenth of it. */
export const MAX_OPERATORS = 256;

type Built<T> = T | undefined;

/**
 * CST → AST. Statement-level syntax errors are detected and reported here (with context the parser
 * lacks). Recovery policy, relied on by the checker: a property, `let` or `import` containing any
 * syntax error is left out of the AST; a model or section keeps what parsed and is marked
 * `incomplete` when a statement of its body or a part of its header was lost.
 */
export class AstBuilder {
  private readonly syntax: SyntaxReporter;
  private readonly exprs: ExpressionBuilder;

  constructor(private readonly ctx: AstContext) {
    this.syntax = new SyntaxReporter(ctx);
    this.exprs = new ExpressionBuilder(ctx.index, (code, message, span, hint) => this.syntax.error(code, message, span, hint));
  }

  get diagnostics(): Diagnostic[] {
    return this.syntax.diagnostics;
  }

  sourceFile(cst: CstNode | undefined, text: string, comments: SourceFile['comments']): SourceFile {
    const file: SourceFile = { file: this.ctx.index.file, imports: [], lets: [], models: [], comments, span: this.ctx.index.span(0, text.length) };
    if (cst === undefined) return file;
    for (const n of childNodes(cst, 'importDecl')) push(file.imports, this.importDecl(n));
    for (const n of childNodes(cst, 'letDecl')) push(file.lets, this.letDecl(n));
    for (const n of childNodes(cst, 'modelDecl')) push(file.models, this.modelDecl(n));
    for (const n of childNodes(cst, 'topStray')) {
      const first = this.syntax.tokenAfter(nodeStart(n));
      if (this.syntax.continuesError(first)) continue;
      this.syntax.error('E022', `unexpected ${describeToken(first)} at top level; expected \`model\`, \`let\` or \`import\``, this.syntax.spanOfToken(first), strayHint(first, 'top'));
    }
    return file;
  }

  private importDecl(n: CstNode): Built<ImportDecl> {
    const kw = childToken(n, 'Import');
    const path = childToken(n, 'AnyString');
    if (kw === undefined) return undefined;
    if (path === undefined) return this.syntax.expected('a quoted path', kw, `\`import\``, 'e.g. `import "base.xlstm"`');
    if (this.syntax.hasError(kw.startOffset, tokenEnd(path))) return undefined;
    return { kind: 'import', path: stringValue(path), span: this.ctx.index.span(kw.startOffset, tokenEnd(path)) };
  }

  private letDecl(n: CstNode): Built<LetDecl> {
    const kw = childToken(n, 'Let');
    const name = childToken(n, 'Identifier');
    const valueNode = childNode(n, 'expression');
    if (kw === undefined) return undefined;
    if (name === undefined) return this.syntax.expected('a name', kw, '`let`');
    const eq = childToken(n, 'Equals');
    if (eq === undefined) return this.syntax.expected('`=`', name, `\`let ${name.image}\``);
    if (valueNode === undefined) return this.syntax.expected('a value', eq, `\`let ${name.image} =\``, undefined, 'E020');
    const value = this.topExpression(valueNode);
    if (value === undefined || this.syntax.hasError(kw.startOffset, value.span.endOffset)) return undefined;
    return { kind: 'let', name: this.name(name), value, span: this.ctx.index.span(kw.startOffset, value.span.endOffset) };
  }

  private modelDecl(n: CstNode): Built<ModelDecl> {
    const kw = childToken(n, 'Model');
    const name = childToken(n, 'name');
    if (kw === undefined) return undefined;
    if (name === undefined) return this.syntax.expected('a model name', kw, '`model`');
    let incomplete = false;
    const ext = childToken(n, 'Extends');
    const base = childToken(n, 'base');
    if (ext !== undefined && base === undefined) {
      this.syntax.expected('the name of a model', ext, '`extends`');
      incomplete = true;
    }
    const header = base !== undefined ? `\`model ${name.image} extends ${base.image}\`` : `\`model ${name.image}\``;
    const blockNode = childNode(n, 'block');
    const model: ModelDecl = { kind: 'model', name: this.name(name), body: [], span: this.ctx.index.span(kw.startOffset, tokenEnd(base ?? name)) };
    if (base !== undefined) model.extends = this.name(base);
    if (blockNode === undefined) {
      this.syntax.expected('`{`', base ?? name, header);
      model.incomplete = true;
      return model;
    }
    const body = this.block(blockNode);
    model.body = body.statements;
    model.span = this.ctx.index.span(kw.startOffset, body.end);
    if (incomplete || body.incomplete) model.incomplete = true;
    return model;
  }

  private block(n: CstNode): { statements: Statement[]; incomplete: boolean; end: number } {
    const open = childToken(n, 'LBrace');
    const close = childToken(n, 'RBrace');
    const items = [...childNodes(n, 'letDecl'), ...childNodes(n, 'propertyOrSection'), ...childNodes(n, 'bodyStray')];
    items.sort((a, b) => nodeStart(a) - nodeStart(b));
    const statements: Statement[] = [];
    let incomplete = close === undefined;
    let end = close !== undefined ? tokenEnd(close) : open !== undefined ? tokenEnd(open) : 0;
    let silentStrayAt = -1;
    for (const item of items) {
      if (item.name === 'bodyStray') {
        const first = this.syntax.tokenAfter(nodeStart(item));
        if (first?.startOffset !== silentStrayAt && !this.syntax.continuesError(first)) {
          this.syntax.error('E022', `unexpected ${describeToken(first)}; expected a property, a section or \`let\``, this.syntax.spanOfToken(first), strayHint(first, 'body'));
        }
        incomplete = true;
        continue;
      }
      const built = item.name === 'letDecl' ? this.letDecl(item) : this.propertyOrSection(item);
      if (built === undefined || 'valueless' in built) {
        incomplete = true;
        if (built !== undefined) silentStrayAt = built.valueless;
        continue;
      }
      statements.push(built);
      if (close === undefined) end = Math.max(end, built.span.endOffset);
    }
    return { statements, incomplete, end };
  }

  /** A statement, or (for `key` with nothing after it) the offset of the next token, whose stray run is not reported again. */
  private propertyOrSection(n: CstNode): Statement | { valueless: number } | undefined {
    const key = childToken(n, 'Identifier');
    const valueNode = childNode(n, 'expression');
    const blockNode = childNode(n, 'block');
    if (key === undefined) return undefined;
    if (blockNode !== undefined) {
      const open = childToken(blockNode, 'LBrace');
      const argOk = valueNode === undefined || !this.syntax.hasError(key.startOffset, open?.startOffset ?? Infinity);
      const arg = valueNode !== undefined && argOk ? this.topExpression(valueNode) : undefined;
      const body = this.block(blockNode);
      const section: Section = { kind: 'section', key: this.name(key), body: body.statements, span: this.ctx.index.span(key.startOffset, body.end) };
      if (arg !== undefined) section.arg = arg;
      if (body.incomplete || (valueNode !== undefined && arg === undefined)) section.incomplete = true;
      return section;
    }
    if (valueNode === undefined) {
      const next = this.syntax.tokenAfter(tokenEnd(key));
      // an error on the key itself means recovery restarted here; the missing value is part of that error
      if (!this.syntax.hasError(key.startOffset, tokenEnd(key))) this.syntax.expected('a value', key, `\`${key.image}\``, valueHint(next), 'E020');
      return { valueless: next?.startOffset ?? -1 };
    }
    const value = this.topExpression(valueNode);
    if (value === undefined || this.syntax.hasError(key.startOffset, value.span.endOffset)) return undefined;
    return { kind: 'property', key: this.name(key), value, span: this.ctx.index.span(key.startOffset, value.span.endOffset) };
  }

  /** A statement's whole value; refuses (E023) one with so many operators that its AST would be dangerously deep. */
  private topExpression(n: CstNode): Expr | undefined {
    this.exprs.operators = 0;
    const e = this.exprs.expression(n);
    if (e !== undefined && this.exprs.operators > MAX_OPERATORS) {
      this.syntax.error('E023', `expression has ${this.exprs.operators} operators; the limit is ${MAX_OPERATORS}`, e.span, 'split it into `let` constants');
      return undefined;
    }
    return e;
  }

  private name(t: IToken): Name {
    return { text: t.image, span: this.syntax.spanOfToken(t) };
  }
}

function valueHint(found: IToken | undefined): string | undefined {
  if (found?.tokenType === Equals || found?.tokenType === Colon) return `properties are written \`key value\`, without \`${found.image}\``;
  return undefined;
}

function push<T>(into: T[], item: T | undefined): void {
  if (item !== undefined) into.push(item);
}
