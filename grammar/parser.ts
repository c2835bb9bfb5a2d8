import { EOF, type IRecognitionException, type IToken } from 'chevrotain';
import type { Diagnostic } from '../compiler/diagnostics.js';
import { sortDiagnostics } from '../compiler/diagnostics.js';
import type { SourceFile } from './ast.js';
import { checkBrackets, type BracketCheck } from './brackets.js';
import { firstAtOrAfter, tokenEnd } from './cst-access.js';
import { cstParser } from './cst-parser.js';
import { AstBuilder } from './cst-to-ast.js';
import { lexSource } from './lexer.js';
import { LineIndex } from './line-index.js';
import { unpackSyntaxMessage } from './syntax-messages.js';

/**
 * Larger sources are not parsed. Real model files are a few kilobytes and a few thousand tokens;
 * the limits keep hostile inputs (a megabyte of operators) to well under a second.
 */
export const MAX_SOURCE_CHARS = 128 * 1024;
export const MAX_TOKENS = 32_768;

/** After this many errors the rest are summarised in one line: garbage input would otherwise flood the terminal. */
export const MAX_ERRORS = 100;

export interface ParseResult {
  ast: SourceFile;
  /** Sorted; errors (E0xx) and warnings (W0xx). */
  diagnostics: Diagnostic[];
}

/** What the formatter needs besides the AST. */
export interface DetailedParse extends ParseResult {
  tokens: IToken[];
  index: LineIndex;
}

/**
 * Parses one .xlstm source. Never throws and never hangs: every problem is a diagnostic, and a
 * partial AST is returned (see AstBuilder for exactly what recovery keeps).
 */
export function parseSource(text: string, file: string): ParseResult {
  const { ast, diagnostics } = parseDetailed(text, file);
  return { ast, diagnostics };
}

export function parseDetailed(text: string, file: string): DetailedParse {
  const index = new LineIndex(text, file);
  try {
    return parseIndexed(text, index);
  } catch (e) {
    // A bug here must not take the whole command down with a stack trace; say so and carry on.
    const message = `internal parser error (please report): ${e instanceof Error ? e.message : String(e)}`;
    const ast = new AstBuilder({ index, tokens: [], errorOffsets: [] }).sourceFile(undefined, text, []);
    return { ast, diagnostics: [{ severity: 'error', code: 'E099', message, span: index.span(0, 0) }], tokens: [], index };
  }
}

function parseIndexed(text: string, index: LineIndex): DetailedParse {
  if (text.length > MAX_SOURCE_CHARS) {
    const message = `source too large to parse (${text.length} characters; the limit is ${MAX_SOURCE_CHARS})`;
    const ast = new AstBuilder({ index, tokens: [], errorOffsets: [] }).sourceFile(undefined, text, []);
    return { ast, diagnostics: [{ severity: 'error', code: 'E013', message, span: index.span(MAX_SOURCE_CHARS, MAX_SOURCE_CHARS) }], tokens: [], index };
  }
  const lexed = lexSource(text, index);
  const { tokens } = lexed;
  const brackets = checkBrackets(tokens, index);
  const diagnostics = [...lexed.diagnostics, ...brackets.diagnostics];
  const tooMany = tokens.length > MAX_TOKENS;
  if (tooMany) {
    const first = tokens[MAX_TOKENS];
    diagnostics.push({
      severity: 'error', code: 'E013', message: `too many tokens to parse (${tokens.length}; the limit is ${MAX_TOKENS})`,
      span: index.span(first.startOffset, tokenEnd(first)), hint: 'model files are far smaller; is this the right file?',
    });
  }
  const errorOffsets = lexed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.startOffset);

  let cst;
  if (!brackets.tooDeep && !tooMany) {
    cstParser.input = tokens;
    cst = cstParser.sourceFile();
    const parsed = parserDiagnostics(cstParser.errors, tokens, brackets, index);
    diagnostics.push(...parsed.diagnostics);
    errorOffsets.push(...parsed.offsets);
  }
  errorOffsets.sort((a, b) => a - b);
  const builder = new AstBuilder({ index, tokens, errorOffsets });
  const ast = builder.sourceFile(cst, text, lexed.comments);
  diagnostics.push(...builder.diagnostics);
  return { ast, diagnostics: limitErrors(oneErrorPerPlace(diagnostics)), tokens, index };
}

/**
 * Chevrotain's errors as diagnostics, minus those the bracket check already explained and cascades
 * (an error at the token right after the previous error's). `offsets` has every error, reported or not.
 */
function parserDiagnostics(errors: IRecognitionException[], tokens: IToken[], brackets: BracketCheck, index: LineIndex): { diagnostics: Diagnostic[]; offsets: number[] } {
  const diagnostics: Diagnostic[] = [];
  const offsets: number[] = [];
  const lastEnd = tokens.length > 0 ? tokenEnd(tokens[tokens.length - 1]) : 0;
  let previous = -2;
  for (const e of errors) {
    const atEnd = e.token.tokenType === EOF || !Number.isFinite(e.token.startOffset);
    const start = atEnd ? lastEnd : e.token.startOffset;
    offsets.push(start);
    const at = atEnd ? tokens.length : firstAtOrAfter(tokens, (t) => t.startOffset, start);
    const cascade = at - previous <= 1;
    previous = at;
    if (cascade || (atEnd ? brackets.unclosedAtEnd : brackets.blamed.has(start))) continue;
    const { code, message, hint } = unpackSyntaxMessage(e.message);
    const span = index.span(start, atEnd ? start : tokenEnd(e.token));
    diagnostics.push(hint === undefined ? { severity: 'error', code, message, span } : { severity: 'error', code, message, span, hint });
  }
  return { diagnostics, offsets };
}

/** Keeps the first error reported at each offset (lexer, then brackets, then parser, then statements). */
function oneErrorPerPlace(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return diagnostics.filter((d) => {
    if (d.severity !== 'error') return true;
    if (seen.has(d.span.startOffset)) return false;
    seen.add(d.span.startOffset);
    return true;
  });
}

/** Sorted, at most MAX_ERRORS errors and then one E029 line saying how many more there were. */
function limitErrors(diagnostics: Diagnostic[]): Diagnostic[] {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length <= MAX_ERRORS) return sortDiagnostics(diagnostics);
  // all from one file and one error per offset (oneErrorPerPlace), so offsets alone order the errors
  errors.sort((a, b) => a.span.startOffset - b.span.startOffset);
  const cut = errors[MAX_ERRORS];
  const kept = sortDiagnostics(diagnostics.filter((d) => d.span.startOffset < cut.span.startOffset));
  kept.push({ severity: 'error', code: 'E029', message: `too many syntax errors; ${errors.length - MAX_ERRORS} more not shown`, span: cut.span });
  return kept;
}
