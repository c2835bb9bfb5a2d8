/**
 * Produces the results tables of examples/tasks/README.md: trains every model of the table on its
 * task with the float64 reference backend and rewrites the README's result sections in place.
 *
 *   npm run tasks                                   # build, then every run (about 10 minutes on 2 cores)
 *   node dist/examples/tasks/run-table.js --only parity --no-write
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../bench/models.js';
import { checkFile } from '../../compiler/check/index.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import { percentText } from '../../runtime/tasks/accuracy.js';
import { TASK_NAMES, type TaskName } from '../../runtime/tasks/synthetic-task.js';
import { runTaskJob, type TaskReport } from '../../runtime/tasks/task-job.js';
import { createReferenceTrainBackend } from '../../runtime/train/reference-backend.js';
import { metricLegend, replaceSection, reproduceCommand, resultsTable, type TableRun } from './results-table.js';

const SEEDS = [0, 1];
const MODELS: Record<TaskName, string[]> = {
  parity: ['parity-slstm', 'parity-mixed', 'parity-mlstm'],
  mqar: ['mqar-mlstm', 'mqar-mixed', 'mqar-slstm'],
};
const RUNS: TableRun[] = TASK_NAMES.flatMap((task) =>
  SEEDS.flatMap((seed) => MODELS[task].map((name) => ({ task, file: `examples/tasks/${name}.xlstm`, seed }))),
);

interface Args {
  only: TaskName | undefined;
  write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { only: undefined, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-write') args.write = false;
    else if (a === '--only' && TASK_NAMES.includes(argv[i + 1] as TaskName)) args.only = argv[++i] as TaskName;
    else throw new Error(`unknown argument ${a}; usage: run-table [--only ${TASK_NAMES.join('|')}] [--no-write]`);
  }
  return args;
}

async function run(root: string, r: TableRun): Promise<TaskReport> {
  const checked = checkFile(join(root, r.file));
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || checked.models.length !== 1) throw new Error(`${r.file}: expected one error-free model (${errors.length} errors)`);
  process.stderr.write(`${reproduceCommand(r)} ...`);
  const report = await runTaskJob({ task: r.task, spec: checked.models[0]!, seed: r.seed, overrides: {}, backendName: 'reference', backend: createReferenceTrainBackend });
  process.stderr.write(` ${report.metrics.map((m) => `${m.name} ${percentText(m.accuracy)}`).join(', ')} (${Math.round(report.seconds)}s)\n`);
  return report;
}

function section(runs: readonly TableRun[], reports: readonly TaskReport[], seconds: number): string {
  const commands = runs.map((r) => `    ${reproduceCommand(r)}`).join('\n');
  return [
    resultsTable(runs, reports),
    '',
    metricLegend(reports[0]!),
    '',
    `Produced by \`npm run tasks\` (examples/tasks/run-table.ts) on the float64 reference backend in ${Math.round(seconds)}s ` +
      `(Node ${process.version}, ${new Date().toISOString().slice(0, 10)}). Each row again:`,
    '',
    commands,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const readmePath = join(root, 'examples/tasks/README.md');
  let readme = readFileSync(readmePath, 'utf8');
  for (const task of TASK_NAMES) {
    if (args.only !== undefined && args.only !== task) continue;
    const runs = RUNS.filter((r) => r.task === task);
    const started = performance.now();
    const reports: TaskReport[] = [];
    for (const r of runs) reports.push(await run(root, r));
    const body = section(runs, reports, (performance.now() - started) / 1000);
    process.stdout.write(`${body}\n\n`);
    readme = replaceSection(readme, task, body);
    // each task's table is kept as soon as it is done, so a failure later loses nothing finished
    if (args.write) await writeFileAtomic(readmePath, readme);
  }
}

await main();
