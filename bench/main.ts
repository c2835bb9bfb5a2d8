/** `npm run bench -- [--quick] [--only SECTION] [--device MODE] [--json FILE]`: see bench/run-bench.ts. */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { UserError } from '../runtime/errors.js';
import { writeReportJson } from './json-output.js';
import { defaultBenchModels } from './models.js';
import { parseBenchArgs, USAGE } from './options.js';
import { FULL_ITERATIONS, QUICK_ITERATIONS, runBench } from './run-bench.js';
import { formatReport } from './table.js';

const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** A JSON destination whose folder is missing fails before minutes of measuring, not after. */
function checkJsonDestination(path: string): void {
  const dir = dirname(path);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`--json ${path}: directory ${dir} does not exist`);
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.json !== undefined) checkJsonDestination(options.json);
  const loadBefore = loadAverage();
  const report = await runBench({
    ...options,
    models: defaultBenchModels(),
    iterations: options.quick ? QUICK_ITERATIONS : FULL_ITERATIONS,
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  process.stdout.write(`${formatReport(report, { loadBefore, loadAfter: loadAverage() })}\n`);
  if (options.json !== undefined) {
    await writeReportJson(options.json, report);
    process.stderr.write(`bench: wrote ${options.json}\n`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UserError) {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
});
