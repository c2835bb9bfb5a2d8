import type { Diagnostic } from '../compiler/diagnostics.js';
import type { CallArg, Expr, ImportDecl, LetDecl, ModelDecl, Property, Section, Statement } from './ast.js';
import { exprText, positionalText, quote } from './format-expr.js';
import { Printer } from './format-printer.js';
import { parseDetailed } from './parser.js';

/** A section printed on one line may not be wider than this (indentation included). */
export const MAX_ONE_LINE_WIDTH = 100;
const INDENT = 2;

export interface FormatResult {
  /** The formatted text; absent when the source has syntax errors. */
  output?: string;
  /** Syntax errors (then no output) or warnings. */
  diagnostics: Diagnostic[];
}

/**
 * Canonical layout of an .xlstm source:
 * - 2-space indentation, one statement per line, `;` and `,` separators dropped;
 * - a model body is always expanded; a section stays on one line (`mlstm { heads 4  conv1d 4 }`,
 *   two spaces between properties) only if the source already had its first statement on the `{`
 *   line, it holds only properties, no comments, and fits in MAX_ONE_LINE_WIDTH columns;
 * - expressions get canonical spacing (see format-expr.ts); number literals keep their source text;
 * - every comment is kept in order: a comment on a statement's last line stays at the end of that
 *   line, one on a line of its own stays before what follows it, and one inside a statement moves
 *   onto its own line before the statement (inside a call, list or tuple the items are put one per
 *   line instead, each with its comments);
 * - blank lines between statements and comments are kept, at most one in a row.
 * Long lines are not wrapped. The result is a fixed point: formatting it again changes nothing.
 */
export function formatSource(text: string, file: string): FormatResult {
  const parsed = parseDetailed(text, file);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: parsed.diagnostics };
  const { ast } = parsed;
  const p = new Printer(text, ast.comments, parsed.tokens);
  const items: (ImportDecl | LetDecl | ModelDecl)[] = [...ast.imports, ...ast.lets, ...ast.models];
  items.sort((a, b) => a.span.startOffset - b.span.startOffset);
  for (const item of items) {
    p.beginItem(item.span.startOffset, 0);
    if (item.kind === 'model') printModel(p, item);
    else if (item.kind === 'import') printLine(p, 0, item.span.endOffset, `import ${quote(item.path)}`);
    else printStatement(p, item, 0);
    p.trailingComments();
  }
  p.leadingComments(Infinity, 0);
  return { output: p.lines.length === 0 ? '' : `${p.lines.join('\n')}\n`, diagnostics: parsed.diagnostics };
}

function printModel(p: Printer, m: ModelDecl): void {
  const header = `model ${m.name.text}${m.extends === undefined ? '' : ` extends ${m.extends.text}`}`;
  printBlock(p, header, m.body, braceAfter(p, (m.extends ?? m.name).span.endOffset), m.span.endOffset, 0, false);
}

function printStatement(p: Printer, s: Statement, indent: number): void {
  if (s.kind === 'section') printSection(p, s, indent);
  else printValue(p, indent, s.kind === 'let' ? `let ${s.name.text} = ` : `${s.key.text} `, s.value);
}

function printSection(p: Printer, s: Section, indent: number): void {
  const header = s.arg === undefined ? s.key.text : `${s.key.text} ${exprText(s.arg)}`;
  printBlock(p, header, s.body, braceAfter(p, (s.arg ?? s.key).span.endOffset), s.span.endOffset, indent, true);
}

/** `header { body }`, on one line when allowed (see formatSource), otherwise expanded. */
function printBlock(p: Printer, header: string, body: Statement[], open: number, end: number, indent: number, mayBeOneLine: boolean): void {
  p.leadingComments(open, indent);
  const close = end - 1;
  const oneLine = p.hasCommentsBetween(open, close) ? undefined : oneLineBody(p, body, open, mayBeOneLine);
  if (oneLine !== undefined && indent + header.length + oneLine.length + 1 <= MAX_ONE_LINE_WIDTH) {
    p.line(indent, `${header} ${oneLine}`);
    p.lastEnd = end;
    return;
  }
  p.line(indent, `${header} {`);
  p.open(open + 1);
  for (const s of body) {
    p.beginItem(s.span.startOffset, indent + INDENT);
    printStatement(p, s, indent + INDENT);
    p.trailingComments();
  }
  p.leadingComments(close, indent + INDENT);
  p.line(indent, '}');
  p.lastEnd = end;
}

function oneLineBody(p: Printer, body: Statement[], open: number, mayBeOneLine: boolean): string | undefined {
  if (body.length === 0) return '{}';
  if (!mayBeOneLine || p.hasLineBreak(open, body[0].span.startOffset)) return undefined;
  const props = body.filter((s): s is Property => s.kind === 'property');
  if (props.length !== body.length) return undefined;
  return `{ ${props.map((s) => `${s.key.text} ${exprText(s.value)}`).join('  ')} }`;
}

/**
 * `prefix value` on one line, or, for a call, list or tuple value that holds comments, one item per
 * line. `positional` marks a positional call argument, which may need parentheses (see positionalText).
 */
function printValue(p: Printer, indent: number, prefix: string, value: Expr, positional = false): void {
  const container = openingOf(p, value);
  if (container === undefined || !p.hasCommentsBetween(container.open, value.span.endOffset - 1)) {
    printLine(p, indent, value.span.endOffset, prefix + (positional ? positionalText(value) : exprText(value)));
    return;
  }
  p.leadingComments(container.open, indent);
  p.line(indent, prefix + container.head);
  p.open(container.open + 1);
  for (const item of container.items) {
    p.beginItem(item.span.startOffset, indent + INDENT, false);
    if ('kind' in item) printValue(p, indent + INDENT, '', item);
    else if (item.name === undefined) printValue(p, indent + INDENT, '', item.value, true);
    else printValue(p, indent + INDENT, `${item.name.text}: `, item.value);
    p.write(',');
    p.lastEnd = item.span.endOffset;
    p.trailingComments();
  }
  p.leadingComments(value.span.endOffset - 1, indent + INDENT, false);
  p.line(indent, container.close);
  p.lastEnd = value.span.endOffset;
}

/** One line for source that ends at `end`; comments inside it go on lines of their own before it. */
function printLine(p: Printer, indent: number, end: number, text: string): void {
  p.leadingComments(end, indent);
  p.line(indent, text);
  p.lastEnd = end;
}

interface Container {
  open: number;
  head: string;
  close: string;
  items: (Expr | CallArg)[];
}

function openingOf(p: Printer, e: Expr): Container | undefined {
  if (e.kind === 'call') return { open: braceAfter(p, e.callee.span.endOffset), head: `${e.callee.text}(`, close: ')', items: e.args };
  if (e.kind === 'list') return { open: e.span.startOffset, head: '[', close: ']', items: e.items };
  if (e.kind === 'tuple') return { open: e.span.startOffset, head: '(', close: ')', items: e.items };
  return undefined;
}

/** Offset of the first token after `offset`: the `{` or `(` that follows a header or a callee. */
function braceAfter(p: Printer, offset: number): number {
  return p.tokenAt(offset)?.startOffset ?? offset;
}
