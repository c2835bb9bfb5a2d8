import type { Span } from '../../grammar/ast.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Issue, Report } from './issues.js';

/**
 * Collects diagnostics, dropping exact repeats: a base model's mistake is found again for every
 * model that extends it, and a layer template's again for every block override, but is shown once.
 */
export class UniqueDiagnostics {
  readonly items: Diagnostic[] = [];
  private readonly keys = new Set<string>();

  add(d: Diagnostic): void {
    const key = `${d.code}|${d.span.file}|${d.span.startOffset}|${d.span.endOffset}|${d.message}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.items.push(d);
  }

  /** A `Report` into this collection that also counts the errors it is given (repeats included). */
  reporter(): Report & { errors: () => number } {
    let errors = 0;
    const report = (issue: Issue, message: string, span: Span, hint?: string): void => {
      if (issue.severity === 'error') errors++;
      this.add(hint === undefined ? { severity: issue.severity, code: issue.code, message, span } : { severity: issue.severity, code: issue.code, message, span, hint });
    };
    return Object.assign(report, { errors: () => errors });
  }

  /** Whether an error lies inside `span` (same file, offsets within). */
  hasErrorWithin(span: Span): boolean {
    return this.items.some(
      (d) => d.severity === 'error' && d.span.file === span.file && d.span.startOffset >= span.startOffset && d.span.endOffset <= span.endOffset,
    );
  }
}
