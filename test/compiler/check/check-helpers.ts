import { expect } from 'vitest';
import { checkSource, type CheckResult } from '../../../compiler/check/check-source.js';
import type { Diagnostic } from '../../../compiler/diagnostics.js';
import type { ModelSpec } from '../../../compiler/spec.js';

export const MAIN = 'main.xlstm';

/** Checks `text` as main.xlstm; `files` are the other files imports may read (paths as resolved). */
export function check(text: string, files: Record<string, string> = {}): CheckResult {
  return checkSource(text, MAIN, (path) => {
    const t = files[path];
    if (t === undefined) throw new Error('no such file');
    return t;
  });
}

/** A minimal valid model body around `extra` lines (vocab 32, embed 32, context 16, blocks 2). */
export function model(extra: string, head = 'vocab 32\n  embed 32\n  context 16\n  blocks 2'): string {
  return `model M {\n  ${head}\n  ${extra}\n}\n`;
}

export function errors(r: CheckResult): Diagnostic[] {
  return r.diagnostics.filter((d) => d.severity === 'error');
}

/** The single model of a source that must check without errors. */
export function specOf(text: string, files: Record<string, string> = {}): ModelSpec {
  const r = check(text, files);
  expect(errors(r), JSON.stringify(r.diagnostics, null, 1)).toEqual([]);
  expect(r.models).toHaveLength(1);
  return r.models[0]!;
}

/**
 * Where the `nth` occurrence of `needle` is in `text`, as 1-based line:col. With a `|` in the
 * needle, the place is just after it: `tie_weights |1` points at the 1.
 */
export function at(text: string, needle: string, nth = 0): string {
  const bar = needle.indexOf('|');
  const plain = needle.replace('|', '');
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = text.indexOf(plain, offset + 1);
    if (offset < 0) throw new Error(`test bug: "${plain}" not in source`);
  }
  if (bar >= 0) offset += bar;
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * Asserts that checking `text` reports `code` at the `nth` occurrence of `needle` (line:col
 * computed from the text, not from the checker), with `hint` in its hint if given.
 */
export function expectDiagnostic(text: string, code: string, needle: string, hint?: string, opts: { nth?: number; files?: Record<string, string>; file?: string } = {}): Diagnostic {
  const r = check(text, opts.files);
  const want = at(opts.file === undefined ? text : opts.files![opts.file]!, needle, opts.nth ?? 0);
  const found = r.diagnostics.find((d) => d.code === code && `${d.span.line}:${d.span.col}` === want && d.span.file === (opts.file ?? MAIN));
  expect(found, `${code} at ${want}; got ${JSON.stringify(r.diagnostics.map((d) => `${d.code} ${d.span.file}:${d.span.line}:${d.span.col} ${d.message} | ${d.hint ?? ''}`), null, 1)}`).toBeDefined();
  if (hint !== undefined) expect(found!.hint ?? '').toContain(hint);
  return found!;
}

/** The codes reported, for asserting that nothing else (e.g. a cascade) shows up. */
export function codes(r: CheckResult): string[] {
  return r.diagnostics.map((d) => d.code);
}
