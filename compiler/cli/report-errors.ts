import { UserError } from '../../runtime/errors.js';

/**
 * Fails with every error: all but the last go to stderr as `xlstm: prefix: error` lines, the last
 * becomes the UserError the CLI prints (with a count when there were several), so a single error
 * stays a single line.
 */
export function failWithAll(prefix: string, errors: readonly string[]): never {
  for (const e of errors.slice(0, -1)) process.stderr.write(`xlstm: ${prefix}: ${e}\n`);
  const count = errors.length > 1 ? ` (${errors.length} errors; nothing written)` : '';
  throw new UserError(`${prefix}: ${errors[errors.length - 1]}${count}`);
}
