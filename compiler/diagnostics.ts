import type { Span } from '../grammar/ast.js';

export type Severity = 'error' | 'warning';

/**
 * One finding about a source file. `code` is stable (E0xx parse, E1xx types/values, E2xx model
 * constraints, W... warnings) so editors and tests can key on it rather than on message wording.
 */
export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  span: Span;
  hint?: string;
}

/** Collects diagnostics; every checker reports through `accept` so nothing stops at the first error. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  accept(severity: Severity, code: string, message: string, span: Span, hint?: string): void {
    this.items.push(hint === undefined ? { severity, code, message, span } : { severity, code, message, span, hint });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Renders `file:line:col: error[CODE]: message`, the source line, a caret under the span, and the hint. */
export function renderDiagnostic(d: Diagnostic, sourceText: string | undefined): string {
  const head = `${d.span.file}:${d.span.line}:${d.span.col}: ${d.severity}[${d.code}]: ${d.message}`;
  const lines = [head];
  if (sourceText !== undefined) {
    const srcLine = sourceText.split(/\r?\n/)[d.span.line - 1];
    if (srcLine !== undefined) {
      const gutter = String(d.span.line);
      const visible = srcLine.replace(/\t/g, ' ');
      const width = d.span.endLine === d.span.line ? Math.max(1, d.span.endCol - d.span.col) : Math.max(1, visible.length - d.span.col + 1);
      lines.push(`${' '.repeat(gutter.length)} |`);
      lines.push(`${gutter} | ${visible}`);
      lines.push(`${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, d.span.col - 1))}${'^'.repeat(width)}`);
    }
  }
  if (d.hint !== undefined) lines.push(`  = hint: ${d.hint}`);
  return lines.join('\n');
}

/** Diagnostics in source order (file, then position), errors before warnings at the same place. */
export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  return [...items].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.startOffset - b.span.startOffset ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}
