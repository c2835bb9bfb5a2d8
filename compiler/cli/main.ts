import { Command, CommanderError } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { registerCommands } from './commands.js';

/** Exit codes: 0 ok, 1 a problem in the user's input, 2 a CLI usage error. */
async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('xlstm')
    .description('Build, check, compile, train and run xLSTM models described in .xlstm files')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version "errors" are successful exits; everything else is a usage error
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`xlstm: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`xlstm: internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
