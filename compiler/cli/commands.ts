import type { Command } from 'commander';
import { registerCompileCommand } from './compile.js';

/** Every CLI command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerCompileCommand(program);
  void program;
}
