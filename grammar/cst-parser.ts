import { CstParser } from 'chevrotain';
import * as T from './tokens.js';
import { syntaxMessages } from './syntax-messages.js';

const BINARY_OPERATORS = [T.Colon, T.Plus, T.Minus, T.Star, T.Slash, T.FloorDiv, T.Percent, T.StarStar];
const PREFIX_OPERATORS = [T.Minus, T.Plus, T.Not];

/**
 * The concrete-syntax parser. Statement-level pieces (a value after a key, `=` after `let x`, a
 * model name) are optional here and their absence is reported by the CST-to-AST pass, which knows
 * the context; input that cannot start anything is swallowed as a "stray" run. So syntax errors
 * stay local and Chevrotain's own recovery is needed only inside expressions.
 */
export class XlstmCstParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'onlyOffset', errorMessageProvider: syntaxMessages, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  sourceFile = this.RULE('sourceFile', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.letDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.topStray) },
      ]),
    );
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.OPTION(() => this.CONSUME(T.AnyString));
  });

  letDecl = this.RULE('letDecl', () => {
    this.CONSUME(T.Let);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.OPTION2(() => this.CONSUME(T.Equals));
    this.OPTION3(() => this.SUBRULE(this.expression));
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.OPTION(() => this.CONSUME(T.Identifier, { LABEL: 'name' }));
    this.OPTION2(() => {
      this.CONSUME(T.Extends);
      this.OPTION3(() => this.CONSUME2(T.Identifier, { LABEL: 'base' }));
    });
    this.OPTION4(() => this.SUBRULE(this.block));
  });

  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.letDecl) },
        { ALT: () => this.SUBRULE(this.propertyOrSection) },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.bodyStray) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  propertyOrSection = this.RULE('propertyOrSection', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.expression));
    this.OPTION2(() => this.SUBRULE(this.block));
  });

  separator = this.RULE('separator', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]);
  });

  topStray = this.RULE('topStray', () => {
    this.AT_LEAST_ONE(() => this.OR([{ ALT: () => this.SUBRULE(this.braceGroup) }, { ALT: () => this.CONSUME(T.NotTopStart) }]));
  });

  bodyStray = this.RULE('bodyStray', () => {
    this.AT_LEAST_ONE(() => this.OR([{ ALT: () => this.SUBRULE(this.braceGroup) }, { ALT: () => this.CONSUME(T.NotStatementStart) }]));
  });

  /** Skipped input keeps its braces balanced, so a stray `{ ... }` does not end the enclosing body. */
  braceGroup = this.RULE('braceGroup', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR([{ ALT: () => this.SUBRULE(this.braceGroup) }, { ALT: () => this.CONSUME(T.NonBrace) }]));
    this.CONSUME(T.RBrace);
  });

  /**
   * A flat `operand (operator operand)*` sequence, each operand with its prefix operators; the
   * AST builder applies precedence. Fewer rule levels keep parsing fast on large inputs, and loops
   * instead of recursion keep long operator chains from overflowing the stack.
   */
  /**
   * A flat `prefix* primary (operator prefix* primary)*` sequence; the AST builder applies
   * precedence. Few rule levels keep parsing fast on large inputs, and loops instead of recursion
   * keep long operator chains from overflowing the stack.
   */
  expression = this.RULE('expression', () => {
    this.prefixes(1);
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR(BINARY_OPERATORS.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: 'op' }) })));
      this.prefixes(2);
      this.SUBRULE2(this.primary);
    });
  });

  /** `idx` tells the two places prefixes occur apart, as Chevrotain requires. */
  private prefixes(idx: number): void {
    this.many(idx, () => this.or(idx, PREFIX_OPERATORS.map((t) => ({ ALT: () => this.consume(idx, t, { LABEL: 'prefix' }) }))));
  }

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.AnyNumber) },
      { ALT: () => this.CONSUME(T.AnyString) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.SUBRULE(this.callOrName) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  callOrName = this.RULE('callOrName', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.argument);
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.argument);
        });
        this.OPTION3(() => this.CONSUME2(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  /** `name: value` wins over a positional ratio `name:value`; write `(a:b)` for the latter. */
  argument = this.RULE('argument', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'name' });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expression);
        },
        IGNORE_AMBIGUITIES: true,
      },
      { ALT: () => this.SUBRULE2(this.expression) },
    ]);
  });

  parenthesized = this.RULE('parenthesized', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.items));
    this.CONSUME(T.RParen);
  });

  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => this.SUBRULE(this.items));
    this.CONSUME(T.RBracket);
  });

  /** Comma-separated expressions with an optional trailing comma. */
  items = this.RULE('items', () => {
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
    this.OPTION(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
  });
}

/** One shared instance: building the grammar analysis is the expensive part; `input =` resets it. */
export const cstParser = new XlstmCstParser();
