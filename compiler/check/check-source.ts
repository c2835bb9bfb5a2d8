import type { Span } from '../../grammar/ast.js';
import { parseSource } from '../../grammar/parser.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { resolveModel } from '../resolve.js';
import type { ModelSpec } from '../spec.js';
import { hasInvalidSetting, type ConfigNode } from './config-node.js';
import { ISSUES } from './issues.js';
import { SCHEMA } from './schema.js';
import { ModelGraph } from './model-graph.js';
import { Program, type ParseFn, type ReadFile } from './program.js';
import { UniqueDiagnostics } from './unique-diagnostics.js';
import { validateModel } from './validate.js';

export interface CheckResult {
  /** One resolved spec per model declared in the checked file that has no errors, in source order. */
  models: ModelSpec[];
  /** The names of all models declared in the checked file, with or without errors. */
  declared: string[];
  /** Every diagnostic of the file and the files it imports, sorted by file and position. */
  diagnostics: Diagnostic[];
  /** The text of every file read (the checked one and its imports), for caret excerpts. */
  sources: Map<string, string>;
}

/**
 * Checks one `.xlstm` source and resolves its models. Never throws on any input: every problem is
 * a diagnostic. Imports are read with `readFile` (paths relative to `file`); without it, an import
 * is reported as unreadable. Node callers usually want `checkFile` or index.ts's `checkSource`.
 */
export function checkSource(text: string, file: string, readFile?: ReadFile): CheckResult {
  return checkWith(parseSource, text, file, readFile);
}

export function checkWith(parse: ParseFn, text: string, file: string, readFile?: ReadFile): CheckResult {
  const diagnostics = new UniqueDiagnostics();
  const report = diagnostics.reporter();
  const program = new Program(parse, readFile, report, (d) => diagnostics.add(d));
  const root = program.load(file, text);
  if (root.ast.models.length === 0) {
    report(ISSUES.noModels, 'this file declares no model', startOf(file), 'declare one with `model Name { vocab .. embed .. context .. blocks .. }`');
  }
  const graph = new ModelGraph(program, report, file);
  const models: ModelSpec[] = [];
  for (const decl of root.ast.models) {
    const merged = graph.resolve(decl);
    if (!merged.complete) continue;
    const modelReport = diagnostics.reporter();
    const validated = validateModel(merged.node, modelReport);
    const clean =
      modelReport.errors() === 0 &&
      root.models.get(decl.name.text) === decl &&
      !merged.node.incomplete &&
      hasRequiredKeys(merged.node) &&
      !hasInvalidSetting(merged.node) &&
      !merged.chain.some((d) => diagnostics.hasErrorWithin(d.span));
    if (clean) models.push(resolveModel(decl.name.text, validated, decl.span));
  }
  return { models, declared: root.ast.models.map((d) => d.name.text), diagnostics: sortDiagnostics(diagnostics.items), sources: program.sources };
}

/** A zero-width span at the start of a file, for findings about the file as a whole. */
export function startOf(file: string): Span {
  return { file, startOffset: 0, endOffset: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
}

/** Missing required keys go unreported in a body a syntax error cut short; such a model still cannot resolve. */
function hasRequiredKeys(node: ConfigNode): boolean {
  return Object.entries(SCHEMA.model.keys).every(([key, k]) => !k.required || node.settings.has(key));
}
