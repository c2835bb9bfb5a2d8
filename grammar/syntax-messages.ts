import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';

/**
 * Chevrotain reports syntax errors as strings; ours carry a code and an optional hint too, packed
 * with a separator that cannot occur in source-derived text (unpackSyntaxMessage splits them).
 */
const SEP = '\u0000';

export interface SyntaxMessage {
  code: string;
  message: string;
  hint?: string;
}

export function unpackSyntaxMessage(packed: string): SyntaxMessage {
  const [code = 'E021', message = packed, hint] = packed.split(SEP);
  return hint === undefined || hint === '' ? { code, message } : { code, message, hint };
}

function pack(code: string, message: string, hint = ''): string {
  return [code, message, hint].join(SEP);
}

const MAX_SHOWN = 24;

/** How a token is named in messages: `}`, `adamw`, end of file. */
export function describeToken(t: IToken | undefined): string {
  if (t === undefined || t.tokenType === EOF) return 'end of file';
  const image = t.image.length > MAX_SHOWN ? `${t.image.slice(0, MAX_SHOWN)}…` : t.image;
  return `\`${image.replace(/\s+/g, ' ')}\``;
}

const CLOSER_CONTEXT: Record<string, string> = {
  list: 'the list',
  parenthesized: 'the parentheses',
  callOrName: 'the arguments',
};

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

export const syntaxMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const context = CLOSER_CONTEXT[ruleName];
    if (context !== undefined) {
      return pack('E021', `expected \`,\` or ${label(expected)} in ${context}, found ${describeToken(actual)}`, 'separate items with `,`');
    }
    return pack('E021', `expected ${label(expected)}, found ${describeToken(actual)}`);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return pack('E022', `unexpected ${describeToken(firstRedundant)}`);
  },
  buildNoViableAltMessage({ actual, previous }) {
    return pack('E020', `expected a value after ${describeToken(previous)}, found ${describeToken(actual[0])}`);
  },
  buildEarlyExitMessage({ actual }) {
    return pack('E022', `unexpected ${describeToken(actual[0])}`);
  },
};
