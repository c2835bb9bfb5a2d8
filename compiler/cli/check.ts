import type { Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { checkSource } from '../check/index.js';
import { renderDiagnostic, type Diagnostic } from '../diagnostics.js';
import { explainModel, explainModelJson } from '../explain.js';
import { readSourceFile } from './read-source.js';
import { selectModels } from './select-model.js';

interface CheckOptions {
  explain?: boolean;
  json?: boolean;
  model?: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return `${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}`;
}

/** Runs `xlstm check`; returns the exit code (1 when there are errors). */
export function runCheck(file: string, opts: CheckOptions, write: (text: string) => void): number {
  const text = readSourceFile(file);
  const result = checkSource(text, file);
  const models = selectModels(result, opts.model, file);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (opts.json) {
    const out = {
      diagnostics: result.diagnostics,
      summary: { errors, warnings: result.diagnostics.length - errors },
      models,
      ...(opts.explain ? { explain: models.map(explainModelJson) } : {}),
    };
    write(`${JSON.stringify(out, null, 2)}\n`);
    return errors > 0 ? 1 : 0;
  }
  for (const d of result.diagnostics) write(`${renderDiagnostic(d, result.sources.get(d.span.file))}\n\n`);
  if (opts.explain) for (const m of models) write(`${explainModel(m)}\n\n`);
  write(`${file}: ${summaryLine(result.diagnostics)}\n`);
  return errors > 0 ? 1 : 0;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check a .xlstm file: every mistake with file:line:col, a caret excerpt and a hint')
    .argument('<file>', 'the .xlstm file')
    .option('--explain', 'print each resolved model: derived dims, parameters, FLOPs per token, state size')
    .option('--json', 'print { diagnostics, summary, models[, explain] } as JSON')
    .option('--model <name>', 'only this model (for --explain and --json)')
    .action((file: string, opts: CheckOptions) => {
      process.exitCode = runCheck(file, opts, (s) => process.stdout.write(s));
    });
}
