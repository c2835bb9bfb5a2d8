import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../compiler/diagnostics.js';
import type { Span } from './ast.js';
import { firstAtOrAfter, tokenAtOrAfter, tokenEnd } from './cst-access.js';
import type { LineIndex } from './line-index.js';
import { describeToken } from './syntax-messages.js';

export interface AstContext {
  index: LineIndex;
  /** Significant tokens, for naming what was found where something was expected. */
  tokens: IToken[];
  /** Sorted offsets of every lexer and parser error: a property or `let` containing one is dropped. */
  errorOffsets: number[];
}

/** Statement-level syntax errors for the CST-to-AST pass, placed at the token the user must look at. */
export class SyntaxReporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly ctx: AstContext) {}

  /** Reports "expected WHAT after AFTER, found X" at the token following `prev`. */
  expected(what: string, prev: IToken, after: string, hint?: string, code = 'E021'): undefined {
    const next = this.tokenAfter(tokenEnd(prev));
    const span = next !== undefined ? this.spanOfToken(next) : this.ctx.index.span(tokenEnd(prev), tokenEnd(prev));
    this.error(code, `expected ${what} after ${after}, found ${describeToken(next)}`, span, hint);
    return undefined;
  }

  error(code: string, message: string, span: Span, hint?: string): void {
    this.diagnostics.push(hint === undefined ? { severity: 'error', code, message, span } : { severity: 'error', code, message, span, hint });
  }

  /** Whether a lexer or parser error lies in [start, end). */
  hasError(start: number, end: number): boolean {
    const offsets = this.ctx.errorOffsets;
    const i = firstAtOrAfter(offsets, (o) => o, start);
    return i < offsets.length && offsets[i] < end;
  }

  /** Whether an error lies on `t`, on the token before it or between them: then what `t` starts is a cascade of it. */
  continuesError(t: IToken | undefined): boolean {
    if (t === undefined) return false;
    const before = this.ctx.tokens[firstAtOrAfter(this.ctx.tokens, (k) => k.startOffset, t.startOffset) - 1];
    return this.hasError(before?.startOffset ?? t.startOffset, t.startOffset + 1);
  }

  tokenAfter(offset: number): IToken | undefined {
    return tokenAtOrAfter(this.ctx.tokens, offset);
  }

  spanOfToken(t: IToken | undefined): Span {
    const at = t === undefined ? this.ctx.index.text.length : t.startOffset;
    return this.ctx.index.span(at, t === undefined ? at : tokenEnd(t));
  }
}
