import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import { checkSource } from '../check/index.js';
import { renderDiagnostic } from '../diagnostics.js';
import { locateModelConfig } from '../interop/config-document.js';
import { deepEqual } from '../interop/deep-equal.js';
import { specFromOfficialConfig } from '../interop/from-official.js';
import { readConfigFile } from '../interop/read-config.js';
import { isModelName, xlstmSourceFromSpec } from '../interop/to-xlstm.js';
import { parameterCount } from '../params.js';
import type { ModelSpec } from '../spec.js';
import { failWithAll } from './report-errors.js';

interface ImportConfigOptions {
  output: string;
  name?: string;
  force?: boolean;
}

/** `run_xlstm-7b.yaml` → `RunXlstm7b`; a name that would start with a digit gets a `Model` prefix. */
export function modelNameFromPath(path: string): string {
  const words = basename(path, extname(path)).split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return isModelName(name) ? name : `Model${name}`;
}

/** Refuses to replace an existing file without --force, and never replaces a directory. */
function checkOutputPath(path: string, force: boolean): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected a .xlstm file to write`);
  if (!force) throw new UserError(`${path}: already exists; pass --force to overwrite it`);
}

/**
 * The written file must check back to exactly the imported model; anything else is a bug in the
 * converter, reported as an internal error before anything is written. Returns the checker's
 * warnings (rendered) for the user.
 */
function checkBack(source: string, file: string, spec: ModelSpec): string[] {
  const result = checkSource(source, file);
  const rendered = result.diagnostics.map((d) => renderDiagnostic(d, source));
  const back = result.models[0];
  const errors = result.diagnostics.some((d) => d.severity === 'error');
  if (errors || result.models.length !== 1 || !deepEqual({ ...back, source: undefined }, { ...spec, source: undefined })) {
    throw new Error(`import-config: the generated .xlstm does not check back to the imported model\n${rendered.join('\n')}\n${source}`);
  }
  return rendered;
}

async function importConfig(configPath: string, options: ImportConfigOptions): Promise<void> {
  if (options.name !== undefined && !isModelName(options.name)) {
    throw new UserError(`--name ${JSON.stringify(options.name)}: a model name is an identifier (letters, digits, _) and not a keyword`, 2);
  }
  checkOutputPath(options.output, options.force === true);
  const located = locateModelConfig(readConfigFile(configPath));
  const name = options.name ?? modelNameFromPath(configPath);
  const result = specFromOfficialConfig(located.config, name, { path: located.path });
  for (const w of result.warnings) process.stderr.write(`xlstm: warning: ${configPath}: ${w}\n`);
  if (result.spec === undefined) failWithAll(configPath, result.errors);
  const spec = result.spec;
  const source = xlstmSourceFromSpec(spec, { importedFrom: configPath });
  const checkWarnings = checkBack(source, options.output, spec);
  await writeFileAtomic(options.output, source);
  for (const w of checkWarnings) process.stderr.write(`${w}\n\n`);
  process.stdout.write(`wrote ${options.output}: model ${spec.name}, ${spec.numBlocks} blocks, ${parameterCount(spec)} parameters\n`);
}

export function registerImportConfigCommand(program: Command): void {
  program
    .command('import-config')
    .description('convert an official xLSTMLMModelConfig (YAML or JSON) into a .xlstm model')
    .argument('<config>', 'official config: OmegaConf-style YAML (fields may be omitted) or the post-init JSON dict')
    .requiredOption('-o, --output <file>', 'the .xlstm file to write')
    .option('--name <name>', 'model name (default: from the config file name)')
    .option('--force', 'overwrite the output file if it exists')
    .action(async (config: string, options: ImportConfigOptions) => {
      await importConfig(config, options);
    });
}
