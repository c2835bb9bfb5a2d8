import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { UserError } from '../../runtime/errors.js';
import { readSourceFile } from '../cli/read-source.js';
import { describeValue } from './import-problems.js';
import { isMapping } from './read-fields.js';

export type ConfigFormat = 'json' | 'yaml';

/** `.json` is JSON; anything else is YAML, which is how OmegaConf files are written. */
export function configFormatOf(path: string): ConfigFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/** 1-based line and column of a 0-based offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const where = at === null ? path : `${path}:${lineCol(text, Number(at[1]))}`;
    throw new UserError(`${where}: invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

function parseYaml(text: string, path: string): unknown {
  // YAML 1.1 as OmegaConf (PyYAML) reads it: `yes`/`on` are booleans, `1e-3` a float
  const doc = parseDocument(text, { version: '1.1' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const pos = problem.linePos?.[0];
    const where = pos === undefined ? path : `${path}:${pos.line}:${pos.col}`;
    const message = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${where}: invalid YAML: ${message}`);
  }
  return doc.contents === null ? undefined : doc.toJS();
}

/** Parses config text; the result is the top-level mapping (an official config, or a document holding one). */
export function parseConfigText(text: string, path: string, format: ConfigFormat): Record<string, unknown> {
  if (text.trim() === '') throw new UserError(`${path}: empty file, expected a config mapping`);
  const value = format === 'json' ? parseJson(text, path) : parseYaml(text, path);
  if (value === undefined) throw new UserError(`${path}: no content (only comments), expected a config mapping`);
  if (!isMapping(value)) throw new UserError(`${path}: expected a mapping of config fields at the top level, got ${describeValue(value)}`);
  return value;
}

/** Reads an official config file (YAML or JSON, by extension); every failure is a one-line UserError. */
export function readConfigFile(path: string): Record<string, unknown> {
  return parseConfigText(readSourceFile(path, 'config file'), path, configFormatOf(path));
}
