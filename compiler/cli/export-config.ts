import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import type { ConfigFormat } from '../interop/read-config.js';
import { officialConfigFromSpec, officialConfigLimits } from '../interop/to-official.js';
import { formatOfficialConfig } from '../interop/write-config.js';
import { failWithAll } from './report-errors.js';
import { checkModelFile, selectOneModel } from './select-model.js';

interface ExportConfigOptions {
  output: string;
  model?: string;
  force?: boolean;
}

const FORMATS: Readonly<Record<string, ConfigFormat>> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

function outputFormat(output: string): ConfigFormat {
  if (output === '-') return 'yaml';
  const format = FORMATS[extname(output).toLowerCase()];
  if (format === undefined) throw new UserError(`-o ${output}: cannot tell the format; name the file .yaml, .yml or .json (or use -o - for YAML on stdout)`, 2);
  return format;
}

async function exportConfig(file: string, options: ExportConfigOptions): Promise<void> {
  const format = outputFormat(options.output);
  const toStdout = options.output === '-';
  if (!toStdout && existsSync(options.output) && options.force !== true) {
    throw new UserError(`${options.output}: already exists; pass --force to overwrite it`);
  }
  const result = checkModelFile(file, 'nothing exported');
  const spec = selectOneModel(result, options.model, file);
  const limits = officialConfigLimits(spec);
  for (const w of limits.warnings) process.stderr.write(`xlstm: warning: ${file}: model ${spec.name}: ${w}\n`);
  if (limits.errors.length > 0) failWithAll(`${file}: model ${spec.name}`, limits.errors);
  const text = formatOfficialConfig(officialConfigFromSpec(spec), format);
  if (toStdout) {
    process.stdout.write(text);
    return;
  }
  await writeFileAtomic(options.output, text);
  process.stdout.write(`wrote ${options.output}: the official xLSTMLMModelConfig of model ${spec.name}\n`);
}

export function registerExportConfigCommand(program: Command): void {
  program
    .command('export-config')
    .description('write a .xlstm model as the official xLSTMLMModelConfig (YAML or JSON, after __post_init__)')
    .argument('<file>', 'the .xlstm file')
    .requiredOption('-o, --output <config>', 'CONFIG.yaml, CONFIG.yml or CONFIG.json; - for YAML on stdout')
    .option('--model <name>', 'the model to export, when the file declares several')
    .option('--force', 'overwrite the output file if it exists')
    .action(async (file: string, options: ExportConfigOptions) => {
      await exportConfig(file, options);
    });
}
