import type { Span } from './ast.js';

/**
 * Maps 0-based offsets to 1-based line/column for one source text. Only `\n` ends a line, the same
 * rule `renderDiagnostic` uses to find the source line, so carets land under the right characters.
 */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of `offset` (clamped into the text). */
  position(offset: number): { line: number; col: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - this.lineStarts[lo] + 1 };
  }

  /** The span of `[start, end)`. */
  span(start: number, end: number): Span {
    const s = this.position(start);
    const e = this.position(Math.max(start, end));
    return { file: this.file, startOffset: start, endOffset: Math.max(start, end), line: s.line, col: s.col, endLine: e.line, endCol: e.col };
  }

  /** Whether `[from, to)` contains a line break. */
  hasLineBreak(from: number, to: number): boolean {
    const i = this.text.indexOf('\n', from);
    return i >= 0 && i < to;
  }
}
