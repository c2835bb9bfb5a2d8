import type { Command } from 'commander';
import { registerCheckCommand } from './check.js';
import { registerCompileCommand } from './compile.js';
import { registerEvalCommand } from './eval.js';
import { registerImportConfigCommand } from './import-config.js';
import { registerExportConfigCommand } from './export-config.js';
import { registerFmtCommand } from './fmt.js';
import { registerDoctorCommand } from './doctor.js';
import { registerTrainCommand } from './train.js';
import { registerGenerateCommand } from './generate.js';
import { registerTaskCommand } from './task.js';

/** Every CLI command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerCheckCommand(program);
  registerCompileCommand(program);
  registerEvalCommand(program);
  registerImportConfigCommand(program);
  registerExportConfigCommand(program);
  registerFmtCommand(program);
  registerDoctorCommand(program);
  registerTrainCommand(program);
  registerGenerateCommand(program);
  registerTaskCommand(program);
  void program;
}
