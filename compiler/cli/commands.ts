import type { Command } from 'commander';

/** Every CLI command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  void program;
}
