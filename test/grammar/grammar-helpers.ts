import { expect } from 'vitest';
import type { Span } from '../../grammar/ast.js';
import type { Diagnostic } from '../../compiler/diagnostics.js';

/** A deep copy without `span` fields, to compare tree shapes written by hand. */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'span').map(([k, v]) => [k, withoutSpans(v)]));
}

/** `line:col-endLine:endCol` of a span, compact enough to write expectations by hand. */
export function at(span: Span): string {
  return `${span.line}:${span.col}-${span.endLine}:${span.endCol}`;
}

export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => d.code);
}

/** The one diagnostic, which must have `code`. */
export function only(diagnostics: readonly Diagnostic[], code: string): Diagnostic {
  expect(codes(diagnostics)).toEqual([code]);
  return diagnostics[0];
}
