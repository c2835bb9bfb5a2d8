import { createToken, Lexer, type CustomPatternMatcherReturn, type TokenType } from 'chevrotain';

/*
 * Token types of the .xlstm language. Three abstract categories let the parser skip stray input
 * without failing: whatever cannot start a top-level item or a statement is swallowed as one
 * "stray" run and reported once, so the rest of the file is still parsed.
 */
export const NotTopStart = createToken({ name: 'NotTopStart', pattern: Lexer.NA });
export const NotStatementStart = createToken({ name: 'NotStatementStart', pattern: Lexer.NA });
export const NonBrace = createToken({ name: 'NonBrace', pattern: Lexer.NA });
/** Malformed literals still parse as literals (their lexer diagnostic is enough), so they share a category. */
export const AnyNumber = createToken({ name: 'AnyNumber', pattern: Lexer.NA });
export const AnyString = createToken({ name: 'AnyString', pattern: Lexer.NA });

const TOP_STARTERS = new Set(['Model', 'Let', 'Import', 'Semicolon', 'Comma', 'LBrace']);
const STATEMENT_STARTERS = new Set(['Identifier', 'Let', 'Semicolon', 'Comma', 'LBrace', 'RBrace']);

type Pattern = RegExp | ((text: string, offset: number) => CustomPatternMatcherReturn | null);

interface TokenExtra {
  longer_alt?: TokenType;
  start_chars_hint?: string[];
  categories?: TokenType[];
}

function token(name: string, label: string, pattern: Pattern, extra: TokenExtra = {}): TokenType {
  const categories = [
    ...(extra.categories ?? []),
    ...(TOP_STARTERS.has(name) ? [] : [NotTopStart]),
    ...(STATEMENT_STARTERS.has(name) ? [] : [NotStatementStart]),
    ...(name === 'LBrace' || name === 'RBrace' ? [] : [NonBrace]),
  ];
  const custom = typeof pattern === 'function';
  return createToken({ ...extra, name, label, pattern, categories, ...(custom ? { line_breaks: false } : {}) });
}

const WELL_FORMED_NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/y;
const NUMBER_TAIL = /(?:[eE][+-]|[\w.])*/y;

/** Classifies the number starting at `offset`; a number glued to letters or dots (`1e`, `2x`, `1.2.3`) is malformed. */
function scanNumber(text: string, offset: number): { kind: 'int' | 'float' | 'bad'; image: string } | undefined {
  WELL_FORMED_NUMBER.lastIndex = offset;
  const m = WELL_FORMED_NUMBER.exec(text);
  if (m === null) return undefined;
  const end = offset + m[0].length;
  if (/[\w.]/.test(text.charAt(end))) {
    NUMBER_TAIL.lastIndex = end;
    const tail = NUMBER_TAIL.exec(text)?.[0] ?? '';
    return { kind: 'bad', image: m[0] + tail };
  }
  return { kind: /[.eE]/.test(m[0]) ? 'float' : 'int', image: m[0] };
}

function numberOf(kind: 'int' | 'float' | 'bad'): Pattern {
  return (text, offset) => {
    const n = scanNumber(text, offset);
    return n !== undefined && n.kind === kind ? [n.image] : null;
  };
}

const OPERAND_END = /[A-Za-z0-9_.)\]"]/;
const OPERAND_START = /[A-Za-z0-9_(["+-]/;

/**
 * `//` is both the floor-division operator and the line-comment opener. It is floor division only
 * when glued to operands on both sides (`d//2`); with a space on either side it starts a comment,
 * so `context 256   // training length` stays a comment. The formatter prints `a//b` accordingly.
 */
function matchFloorDiv(text: string, offset: number): CustomPatternMatcherReturn | null {
  const glued = text.startsWith('//', offset) && offset > 0 && OPERAND_END.test(text.charAt(offset - 1)) && OPERAND_START.test(text.charAt(offset + 2));
  return glued ? ['//'] : null;
}

const DIGITS = [...'0123456789'];

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
export const UnterminatedBlockComment = createToken({ name: 'UnterminatedBlockComment', pattern: /\/\*[\s\S]*/, group: 'comments', line_breaks: true });
export const FloorDiv = token('FloorDiv', '`//`', matchFloorDiv, { start_chars_hint: ['/'] });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: 'comments' });
/**
 * A run of characters that cannot start any token. Lexing it as one token (reported as E001 by the
 * lexer pass) is much faster on binary garbage than Chevrotain's character-by-character error recovery.
 */
export const Garbage = createToken({ name: 'Garbage', pattern: /[\x00-\x08\x0e-\x1f!#$&'.<>?@\\^`|~\x7f-\uffff]+/, group: 'garbage', line_breaks: true });

const NUMBER = { start_chars_hint: DIGITS, categories: [AnyNumber] };
export const FloatLit = token('FloatLit', 'a number', numberOf('float'), NUMBER);
export const IntLit = token('IntLit', 'a number', numberOf('int'), NUMBER);
export const BadNumber = token('BadNumber', 'a number', numberOf('bad'), NUMBER);
export const StringLit = token('StringLit', 'a string', /"(?:[^"\\\n]|\\[^\n])*"/, { categories: [AnyString] });
export const UnterminatedString = token('UnterminatedString', 'a string', /"(?:[^"\\\n]|\\[^\n])*\\?/, { categories: [AnyString] });

export const Identifier = token('Identifier', 'a name', /[A-Za-z_][A-Za-z0-9_]*/);
const keyword = (word: string): TokenType =>
  token(word.charAt(0).toUpperCase() + word.slice(1), `\`${word}\``, new RegExp(word), { longer_alt: Identifier });
export const Model = keyword('model');
export const Extends = keyword('extends');
export const Let = keyword('let');
export const Import = keyword('import');
export const True = keyword('true');
export const False = keyword('false');
export const Null = keyword('null');
export const Not = keyword('not');

export const LBrace = token('LBrace', '`{`', /\{/);
export const RBrace = token('RBrace', '`}`', /\}/);
export const LParen = token('LParen', '`(`', /\(/);
export const RParen = token('RParen', '`)`', /\)/);
export const LBracket = token('LBracket', '`[`', /\[/);
export const RBracket = token('RBracket', '`]`', /\]/);
export const Comma = token('Comma', '`,`', /,/);
export const Colon = token('Colon', '`:`', /:/);
export const Equals = token('Equals', '`=`', /=/);
export const Semicolon = token('Semicolon', '`;`', /;/);
export const StarStar = token('StarStar', '`**`', /\*\*/);
export const Star = token('Star', '`*`', /\*/);
export const Slash = token('Slash', '`/`', /\//);
export const Percent = token('Percent', '`%`', /%/);
export const Plus = token('Plus', '`+`', /\+/);
export const Minus = token('Minus', '`-`', /-/);

/** Every token type in matching order (comments before `/`, `**` before `*`, keywords before names). */
export const allTokens: TokenType[] = [
  WhiteSpace, BlockComment, UnterminatedBlockComment, FloorDiv, LineComment,
  FloatLit, IntLit, BadNumber, StringLit, UnterminatedString,
  Model, Extends, Let, Import, True, False, Null, Not, Identifier,
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, Colon, Equals, Semicolon,
  StarStar, Star, Slash, Percent, Plus, Minus, Garbage,
  NotTopStart, NotStatementStart, NonBrace, AnyNumber, AnyString,
];

export const OPENERS: ReadonlyMap<TokenType, TokenType> = new Map([[LBrace, RBrace], [LParen, RParen], [LBracket, RBracket]]);
