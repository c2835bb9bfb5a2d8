import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../compiler/diagnostics.js';
import { tokenEnd } from './cst-access.js';
import type { LineIndex } from './line-index.js';
import { Extends, Identifier, LBrace, LParen, Model, OPENERS } from './tokens.js';

/** Deeper bracket nesting is refused before parsing: the recursive-descent parser would overflow the stack. */
export const MAX_NESTING = 64;

export interface BracketCheck {
  diagnostics: Diagnostic[];
  /** Nesting exceeded MAX_NESTING: the token stream must not be parsed. */
  tooDeep: boolean;
  /** Offsets of tokens already blamed here, so the parser's follow-up complaints about them can be dropped. */
  blamed: Set<number>;
  /** Some bracket is still open at the end of the file. */
  unclosedAtEnd: boolean;
}

/**
 * Matches brackets over the token stream. Bracket mistakes get precise messages here ("expected `}`
 * to close `model CharLm` opened at 3:16"), which the parser, seeing only the current token, cannot give.
 */
export function checkBrackets(tokens: IToken[], index: LineIndex): BracketCheck {
  const out: BracketCheck = { diagnostics: [], tooDeep: false, blamed: new Set(), unclosedAtEnd: false };
  const report = (code: string, message: string, start: number, end: number, hint?: string): void => {
    out.diagnostics.push({ severity: 'error', code, message, span: index.span(start, end), ...(hint === undefined ? {} : { hint }) });
  };
  const open: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (OPENERS.has(t.tokenType)) {
      if (open.length >= MAX_NESTING) {
        report('E012', `brackets nested more than ${MAX_NESTING} deep`, t.startOffset, t.startOffset + 1, 'flatten the expression with `let` constants');
        out.tooDeep = true;
        return out;
      }
      open.push(i);
      continue;
    }
    if (![...OPENERS.values()].includes(t.tokenType)) continue;
    const match = findLastIndex(open, (j) => OPENERS.get(tokens[j].tokenType) === t.tokenType);
    if (match < 0) {
      report('E011', `unexpected \`${t.image}\``, t.startOffset, t.startOffset + 1, `there is no open \`${openerOf(t)}\` for it to close`);
      out.blamed.add(t.startOffset);
      continue;
    }
    if (match < open.length - 1) {
      report('E010', `${expectedCloser(tokens, open[open.length - 1], index)}, found \`${t.image}\``, t.startOffset, t.startOffset + 1);
      out.blamed.add(t.startOffset);
    }
    open.length = match;
  }
  if (open.length > 0) {
    out.unclosedAtEnd = true;
    const last = tokens[tokens.length - 1];
    const end = last.startOffset + last.image.length;
    // only the innermost: the outer ones are usually closed by the `}` the user forgot
    report('E010', `${expectedCloser(tokens, open[open.length - 1], index)}, found end of file`, end, end);
  }
  return out;
}

function findLastIndex(items: number[], pred: (j: number) => boolean): number {
  for (let k = items.length - 1; k >= 0; k--) if (pred(items[k])) return k;
  return -1;
}

function openerOf(closer: IToken): string {
  for (const [o, c] of OPENERS) if (c === closer.tokenType) return String(o.LABEL).replace(/`/g, '');
  return '';
}

/** "expected `}` to close `model CharLm` opened at 3:16" for the opener at `tokens[i]`. */
function expectedCloser(tokens: IToken[], i: number, index: LineIndex): string {
  const t = tokens[i];
  const closer = String(OPENERS.get(t.tokenType)?.LABEL);
  const at = index.position(t.startOffset);
  return `expected ${closer} to close \`${describeOpener(tokens, i)}\` opened at ${at.line}:${at.col}`;
}

/** `model CharLm`, `mlstm {`, `block 3 {`, `adamw(` or just the bracket: what the user will recognise. */
function describeOpener(tokens: IToken[], i: number): string {
  const t = tokens[i];
  const [p1, p2, p3, p4]: (IToken | undefined)[] = [tokens[i - 1], tokens[i - 2], tokens[i - 3], tokens[i - 4]];
  const p1Name = p1?.tokenType === Identifier ? p1.image : undefined;
  // a call is written `adamw(` with no space; `heads (4)` is a key and a parenthesised value
  if (t.tokenType === LParen) return p1Name !== undefined && p1 !== undefined && tokenEnd(p1) === t.startOffset ? `${p1Name}(` : '(';
  if (t.tokenType !== LBrace) return t.image;
  if (p1Name !== undefined && p2?.tokenType === Model) return `model ${p1Name}`;
  if (p1Name !== undefined && p2?.tokenType === Extends && p3?.tokenType === Identifier && p4?.tokenType === Model) return `model ${p3.image}`;
  if (p1Name !== undefined) return `${p1Name} {`;
  if (p1 !== undefined && p2?.tokenType === Identifier) return `${p2.image} ${p1.image} {`;
  return '{';
}
