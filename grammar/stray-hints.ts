import type { IToken } from 'chevrotain';
import { didYouMean } from '../compiler/check/suggest.js';
import { BadNumber, Colon, Equals, FloatLit, Identifier, Import, IntLit, Model, StringLit, UnterminatedString } from './tokens.js';

const LITERALS = new Set([IntLit, FloatLit, BadNumber, StringLit, UnterminatedString]);

/** A hint for input that cannot start a top-level item (`top`) or a statement in a body (`body`). */
export function strayHint(t: IToken | undefined, where: 'top' | 'body'): string | undefined {
  if (t === undefined) return undefined;
  const type = t.tokenType;
  if (where === 'top') {
    if (type !== Identifier) return undefined;
    return didYouMean(t.image, ['model', 'let', 'import']) ?? 'properties and sections go inside a `model Name { ... }` body';
  }
  if (type === Model) return 'models cannot be nested; is a `}` missing before it?';
  if (type === Import) return '`import` belongs at the top of the file';
  if (type === Equals || type === Colon) return `properties are written \`key value\`, without \`${t.image}\``;
  if (LITERALS.has(type)) return 'a value needs a key before it, e.g. `vocab 256`';
  return undefined;
}
