import { chmod, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatSource } from '../../grammar/format.js';
import { UserError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import { renderDiagnostic } from '../diagnostics.js';
import { readSourceFile } from './read-source.js';

export interface FmtOptions {
  check?: boolean;
  stdout?: boolean;
}

export interface FmtOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Runs `xlstm fmt` over `files` and returns the exit code: 1 if any file could not be read or has
 * syntax errors, or (with --check) would change. A bad file is reported and the others are still
 * processed. Files are rewritten atomically, and only when formatting changes them.
 */
export async function runFmt(files: readonly string[], opts: FmtOptions, out: FmtOutput): Promise<number> {
  if (opts.check === true && opts.stdout === true) throw new UserError('--check and --stdout cannot be used together', 2);
  let status = 0;
  for (const file of files) {
    try {
      const text = readSourceFile(file);
      const result = formatSource(text, file);
      for (const d of result.diagnostics) out.stderr(`${renderDiagnostic(d, text)}\n`);
      if (result.output === undefined) {
        status = 1;
      } else if (opts.stdout === true) {
        out.stdout(result.output);
      } else if (result.output !== text) {
        if (opts.check === true) {
          out.stdout(`${file}\n`);
          status = 1;
        } else {
          await rewrite(file, result.output);
        }
      }
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.stderr(`xlstm: ${e.message}\n`);
      status = 1;
    }
  }
  return status;
}

/** Replaces the file atomically, keeping its permission bits. */
async function rewrite(file: string, text: string): Promise<void> {
  const { mode } = await stat(file);
  await writeFileAtomic(file, text);
  await chmod(file, mode & 0o7777);
}

export function registerFmtCommand(program: Command): void {
  program
    .command('fmt')
    .description('format .xlstm files in place (canonical layout; every comment kept)')
    .argument('<files...>', 'the .xlstm files')
    .option('--check', 'write nothing; list the files that would change and exit 1 if there are any')
    .option('--stdout', 'print the formatted text instead of rewriting the files')
    .action(async (files: string[], opts: FmtOptions) => {
      process.exitCode = await runFmt(files, opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    });
}
