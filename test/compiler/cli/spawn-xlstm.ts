import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'xlstm.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Fails early with a clear message when the CLI has not been built (`npm test` builds first). */
export function requireBuilt(command: string): void {
  if (!existsSync(join(ROOT, 'dist', 'compiler', 'cli', `${command}.js`))) throw new Error('build first: npx tsc -p tsconfig.build.json');
}

/** Runs the built `xlstm` CLI in `cwd`, as a user would. */
export function runXlstm(cwd: string, ...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The non-empty lines of an output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Runs the CLI in `cwd` and throws with its stderr unless it exits 0. */
export function runXlstmOk(cwd: string, ...args: string[]): CliRun {
  const r = runXlstm(cwd, ...args);
  if (r.status !== 0) throw new Error(`xlstm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

/**
 * Writes a golden case's `official_config` into `work` and imports it as `work/model.xlstm` (model
 * `Golden`) through `xlstm import-config`, as a PyTorch user moving a model over would.
 */
export function importGoldenConfig(caseDir: string, work: string): void {
  const config = JSON.parse(readFileSync(join(caseDir, 'config.json'), 'utf8')) as { official_config: unknown };
  writeFileSync(join(work, 'official.json'), JSON.stringify(config.official_config));
  runXlstmOk(work, 'import-config', 'official.json', '-o', 'model.xlstm', '--name', 'Golden');
}
