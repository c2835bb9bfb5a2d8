import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../../runtime/errors.js';

/** Larger sources are refused: no real model description is anywhere near this. */
export const MAX_SOURCE_BYTES = 1 << 20;

/**
 * Reads a user-named text file for the front end, turning every way that can fail (missing, a
 * directory, too large, not UTF-8, binary) into a one-line UserError.
 */
export function readSourceFile(path: string, what = 'source file'): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected a ${what}`);
    if (!st.isFile()) throw new UserError(`${path}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    if (code === 'EACCES') throw new UserError(`${path}: permission denied`);
    throw new UserError(`${path}: cannot read (${code ?? String(e)})`);
  }
  if (size > MAX_SOURCE_BYTES) {
    throw new UserError(`${path}: ${size} bytes is too large for a ${what} (limit ${MAX_SOURCE_BYTES} bytes)`);
  }
  const bytes = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path}: not valid UTF-8 text`);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new UserError(`${path}: contains a NUL byte at offset ${nul}; is this a binary file?`);
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
