import { Lexer, type IToken, type TokenType } from 'chevrotain';
import type { Comment } from './ast.js';
import type { Diagnostic } from '../compiler/diagnostics.js';
import type { LineIndex } from './line-index.js';
import {
  allTokens, BadNumber, FloatLit, Identifier, IntLit, LineComment, RBracket, RParen, StringLit, True, False, Null,
  UnterminatedBlockComment, UnterminatedString,
} from './tokens.js';

export interface LexResult {
  /** Significant tokens (no whitespace, no comments), in source order. */
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

const lexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: true });

/** Tokenizes `text`; every problem becomes a diagnostic (E001..E005, W001), never an exception. */
export function lexSource(text: string, index: LineIndex): LexResult {
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  const report = (code: string, message: string, start: number, end: number, hint?: string, severity: Diagnostic['severity'] = 'error'): void => {
    const d: Diagnostic = { severity, code, message, span: index.span(start, end) };
    diagnostics.push(hint === undefined ? d : { ...d, hint });
  };

  const unexpected = [...(result.groups['garbage'] ?? []).map((t) => ({ offset: t.startOffset, length: t.image.length })), ...result.errors];
  for (const e of unexpected) {
    const chars = text.slice(e.offset, e.offset + e.length);
    report('E001', unexpectedCharactersMessage(chars), e.offset, e.offset + e.length, unexpectedCharacterHint(text, e.offset));
  }
  for (const t of result.tokens) {
    const end = t.startOffset + t.image.length;
    if (t.tokenType === UnterminatedString) {
      report('E002', 'unterminated string', t.startOffset, end, 'close the string with `"` on the same line');
    } else if (t.tokenType === StringLit) {
      for (const bad of invalidEscapes(t.image)) {
        const at = t.startOffset + bad;
        report('E004', `invalid escape \`${t.image.slice(bad, bad + 2)}\` in string`, at, at + 2, 'the escapes are \\", \\\\ and \\n');
      }
    } else if (t.tokenType === BadNumber) {
      report('E005', `malformed number \`${t.image}\``, t.startOffset, end, 'numbers look like 12, 1.5, 2. or 1e-3');
    }
  }
  const commentTokens = result.groups['comments'] ?? [];
  for (const c of commentTokens) {
    if (c.tokenType === UnterminatedBlockComment) {
      report('E003', 'unterminated block comment', c.startOffset, c.startOffset + 2, 'close the comment with `*/`');
    }
  }
  for (const c of lostFloorDivisions(text, result.tokens, commentTokens, index)) {
    report('W001', `\`${c.image.trimEnd()}\` is read as a comment`, c.startOffset, c.startOffset + 2,
      'for floor division write the operator without spaces, e.g. `d//2`', 'warning');
  }
  const comments = commentTokens.map((c) => ({
    text: c.tokenType === LineComment ? c.image.trimEnd() : c.image,
    span: index.span(c.startOffset, c.startOffset + c.image.length),
  }));
  return { tokens: result.tokens, comments, diagnostics };
}

/** Offsets (within the string literal's image) of backslashes that start an unknown escape. */
export function invalidEscapes(image: string): number[] {
  const bad: number[] = [];
  for (let i = 1; i < image.length - 1; i++) {
    if (image[i] !== '\\') continue;
    if (!'"\\n'.includes(image.charAt(i + 1))) bad.push(i);
    i++;
  }
  return bad;
}

/** The value of a string token (quotes stripped, escapes applied; an unknown escape keeps its character). */
export function stringValue(t: IToken): string {
  const body = t.image.slice(1, t.tokenType === StringLit ? -1 : undefined);
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return cp > 0x20 && cp < 0x7f ? `\`${ch}\`` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

function unexpectedCharactersMessage(chars: string): string {
  const first = [...chars][0] ?? '';
  if (first.length === chars.length) return `unexpected character ${describeChar(first)}`;
  const printable = /^[\x21-\x7e]+$/.test(chars) && chars.length <= 20;
  return printable ? `unexpected characters \`${chars}\`` : `unexpected character ${describeChar(first)} (and ${[...chars].length - 1} more)`;
}

function unexpectedCharacterHint(text: string, offset: number): string | undefined {
  const ch = text.charAt(offset);
  if (ch === "'") return 'strings use double quotes: "..."';
  if (ch === '#') return 'comments start with `//`';
  if (ch === '.' && /\d/.test(text.charAt(offset + 1))) return 'write a leading zero, e.g. 0.5';
  if ((text.codePointAt(offset) ?? 0) > 0x7f) return 'names use ASCII letters, digits and `_`';
  return undefined;
}

const OPERAND_ENDERS = new Set<TokenType>([IntLit, FloatLit, Identifier, RParen, RBracket, True, False, Null, StringLit]);

/** Line comments like `embed d // 2` that were probably meant as floor division (they follow an operand and hold a number). */
function lostFloorDivisions(text: string, tokens: IToken[], comments: IToken[], index: LineIndex): IToken[] {
  const lost: IToken[] = [];
  let t = 0;
  for (const c of comments) {
    if (c.tokenType !== LineComment || !/^\/\/\s*\(?\s*\d[\w.]*\s*\)?\s*$/.test(c.image)) continue;
    while (t < tokens.length && tokens[t].startOffset < c.startOffset) t++;
    const prev = tokens[t - 1];
    if (prev === undefined || !OPERAND_ENDERS.has(prev.tokenType)) continue;
    const prevEnd = prev.startOffset + prev.image.length;
    if (!index.hasLineBreak(prevEnd, c.startOffset) && /\s/.test(text.charAt(c.startOffset - 1))) lost.push(c);
  }
  return lost;
}
