import type { IToken } from 'chevrotain';
import type { Comment } from './ast.js';
import { firstAtOrAfter, tokenAtOrAfter } from './cst-access.js';

/**
 * Output lines plus a cursor over the source comments. Comments leave only through
 * `leadingComments` and `trailingComments`, in source order, so none is lost or reordered; the
 * formatter's job is to call them at the right moments.
 */
export class Printer {
  readonly lines: string[] = [];
  /** Source offset just past the last printed thing: blank lines and same-line comments are measured from it. */
  lastEnd = 0;
  private nextComment = 0;
  /** At the start of the file or a body, or right after a blank line: no blank line may come next. */
  private noBlankNext = true;

  constructor(
    private readonly text: string,
    private readonly comments: readonly Comment[],
    private readonly tokens: readonly IToken[],
  ) {}

  line(indent: number, text: string): void {
    this.lines.push(' '.repeat(indent) + text);
    this.noBlankNext = false;
  }

  write(text: string): void {
    this.lines[this.lines.length - 1] += text;
  }

  /** After printing a line that ends with an opening bracket at source offset `openEnd`. */
  open(openEnd: number): void {
    this.lastEnd = openEnd;
    this.noBlankNext = true;
    this.trailingComments();
  }

  /** Before an item starting at `start`: its leading comments, then a blank line if the source had one. */
  beginItem(start: number, indent: number, keepBlankLines = true): void {
    this.leadingComments(start, indent, keepBlankLines);
    if (keepBlankLines) this.blankLineBefore(start);
  }

  /** Prints every comment that starts before `offset` on lines of its own. */
  leadingComments(offset: number, indent: number, keepBlankLines = true): void {
    while (this.nextComment < this.comments.length && this.comments[this.nextComment].span.startOffset < offset) {
      const c = this.comments[this.nextComment++];
      if (keepBlankLines) this.blankLineBefore(c.span.startOffset);
      const [first, ...rest] = c.text.split('\n');
      this.line(indent, first);
      this.lines.push(...rest);
      this.lastEnd = c.span.endOffset;
    }
  }

  /** Appends the comments that follow the last printed thing on its source line, before any further token but separators. */
  trailingComments(): void {
    const limit = this.nextTokenStart(this.lastEnd);
    while (this.nextComment < this.comments.length) {
      const c = this.comments[this.nextComment];
      const start = c.span.startOffset;
      if (start >= limit || this.text.slice(this.lastEnd, start).includes('\n')) return;
      this.nextComment++;
      const [first, ...rest] = c.text.split('\n');
      this.write(` ${first}`);
      this.lines.push(...rest);
      this.lastEnd = c.span.endOffset;
    }
  }

  hasLineBreak(from: number, to: number): boolean {
    return this.text.slice(from, to).includes('\n');
  }

  /** Whether a comment starts strictly between the two offsets. */
  hasCommentsBetween(start: number, end: number): boolean {
    const c = this.comments[firstAtOrAfter(this.comments, (k) => k.span.startOffset, start + 1)];
    return c !== undefined && c.span.startOffset < end;
  }

  /** The first token at or after `offset`. */
  tokenAt(offset: number): IToken | undefined {
    return tokenAtOrAfter(this.tokens, offset);
  }

  /** Start of the next token after `offset` that is not a `,` or `;` separator (those are reprinted or dropped). */
  private nextTokenStart(offset: number): number {
    let t = this.tokenAt(offset);
    while (t !== undefined && (t.image === ',' || t.image === ';')) t = this.tokenAt(t.startOffset + 1);
    return t?.startOffset ?? Infinity;
  }

  private blankLineBefore(start: number): void {
    if (this.noBlankNext) return;
    const gap = this.text.slice(this.lastEnd, start);
    if (gap.indexOf('\n') === gap.lastIndexOf('\n')) return;
    this.lines.push('');
    this.noBlankNext = true;
  }
}
