import { UserError } from '../../runtime/errors.js';
import { checkFile, type CheckResult } from '../check/index.js';
import { closest } from '../check/suggest.js';
import { renderDiagnostic } from '../diagnostics.js';
import type { ModelSpec } from '../spec.js';

/** What a checked file offers: its resolved (error-free) models and the names of all it declares. */
export interface CheckedModels {
  models: ModelSpec[];
  declared: string[];
}

/**
 * The models `--model` picks: all resolved models when no name is given, else the one named (none
 * when it has errors). A name the file does not declare is a UserError with a "did you mean".
 */
export function selectModels(found: CheckedModels, wanted: string | undefined, file: string): ModelSpec[] {
  if (wanted === undefined) return found.models;
  if (!found.declared.includes(wanted)) {
    const guess = closest(wanted, found.declared);
    const known = found.declared.length === 0 ? 'it declares no model' : `it declares ${found.declared.join(', ')}`;
    throw new UserError(`${file}: no model named ${wanted}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; ${known}`);
  }
  return found.models.filter((m) => m.name === wanted);
}

/** As `selectModels`, for commands that have nothing to do without a model. */
export function selectSomeModels(found: CheckedModels, wanted: string | undefined, file: string): ModelSpec[] {
  if (found.declared.length === 0) throw new UserError(`${file}: declares no model`);
  const selected = selectModels(found, wanted, file);
  if (selected.length === 0) throw new UserError(wanted === undefined ? `${file}: every model has errors` : `${file}: model ${wanted} has errors`);
  return selected;
}

/** The one model a command runs: the only one in the file, or the one `--model` names. */
export function selectOneModel(found: CheckedModels, wanted: string | undefined, file: string): ModelSpec {
  const selected = selectSomeModels(found, wanted, file);
  if (selected.length > 1) {
    throw new UserError(`${file}: declares ${selected.length} models (${selected.map((m) => m.name).join(', ')}); choose one with --model`);
  }
  return selected[0]!;
}

/**
 * Checks a .xlstm file for a command that needs it free of errors: every diagnostic goes to stderr,
 * and any error fails the command with `${file}: N errors; ${consequence}`.
 */
export function checkModelFile(file: string, consequence: string): CheckResult {
  const result = checkFile(file);
  for (const d of result.diagnostics) process.stderr.write(`${renderDiagnostic(d, result.sources.get(d.span.file))}\n`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new UserError(`${file}: ${errors} error${errors === 1 ? '' : 's'}; ${consequence}`);
  return result;
}
