/**
 * Training data from disk: a file, or a directory whose files (recursively, sorted by path, dot
 * files skipped) are concatenated. Each file is decoded by its extension (see tokens.ts) and its ids
 * are checked against the model's vocabulary, so an error names the file at fault.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { checkVocabulary, concatTokens, decodeTokens, tokenFormatOf, type TokenArray } from './tokens.js';

function filesUnder(dir: string): string[] {
  const names = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => !name.split(sep).some((part) => part.startsWith('.')))
    .sort();
  return names.map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

function readTokenFile(path: string, spec: ModelSpec): TokenArray {
  const format = tokenFormatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const tokens = decodeTokens(bytes, format, path);
  checkVocabulary(tokens, spec.vocabSize, format, path, spec.name);
  return tokens;
}

/** The token ids at `path` (a file or a directory), checked against `spec`'s vocabulary. */
export function readTokenData(path: string, spec: ModelSpec): TokenArray {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) throw new UserError(`${path}: no such file or directory`);
  if (info.isFile()) return readTokenFile(path, spec);
  if (!info.isDirectory()) throw new UserError(`${path}: not a regular file or directory`);
  const files = filesUnder(path);
  if (files.length === 0) throw new UserError(`${path}: the directory holds no data files`);
  return concatTokens(files.map((file) => readTokenFile(file, spec)));
}
