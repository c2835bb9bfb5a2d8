import { readSourceFile } from '../cli/read-source.js';
import { startOf, checkSource as checkWithReader, type CheckResult } from './check-source.js';
import { ISSUES } from './issues.js';
import type { ReadFile } from './program.js';

/** Reads imports from the file system, with the same limits and messages as the CLI's own reads. */
export function readImport(path: string): string {
  try {
    return readSourceFile(path);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // readSourceFile prefixes the path; the diagnostic already names it
    throw new Error(message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message);
  }
}

/** checkSource with imports read from disk unless another reader is given. */
export function checkSource(text: string, file: string, readFile: ReadFile = readImport): CheckResult {
  return checkWithReader(text, file, readFile);
}

/** Reads and checks a file; an unreadable file is a diagnostic at its first line, not an exception. */
export function checkFile(path: string): CheckResult {
  let text: string;
  try {
    text = readImport(path);
  } catch (e) {
    const d = { severity: ISSUES.fileNotFound.severity, code: ISSUES.fileNotFound.code, message: `cannot read ${path}: ${(e as Error).message}`, span: startOf(path) };
    return { models: [], declared: [], diagnostics: [d], sources: new Map([[path, '']]) };
  }
  return checkSource(text, path);
}
