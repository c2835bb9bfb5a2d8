/**
 * The results tables of examples/tasks/README.md: one Markdown table per task from the reports of
 * its runs, spliced between that task's markers so each task's table can be regenerated alone.
 */
import { percentText } from '../../runtime/tasks/accuracy.js';
import type { TaskReport } from '../../runtime/tasks/task-job.js';
import type { TaskName } from '../../runtime/tasks/synthetic-task.js';

/** A run of the table: the model file (relative to the repository root) and its seed. */
export interface TableRun {
  task: TaskName;
  file: string;
  seed: number;
}

export function startMarker(task: TaskName): string {
  return `<!-- ${task}-results:start -->`;
}

export function endMarker(task: TaskName): string {
  return `<!-- ${task}-results:end -->`;
}

/** The command that reproduces a run (its other settings are the model file's train section). */
export function reproduceCommand(run: TableRun): string {
  return `xlstm task ${run.task} ${run.file} --seed ${run.seed}`;
}

/** Four decimals, or two significant digits below 0.001 so a converged loss does not read 0.0000. */
function loss(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toFixed(4);
}

/** A Markdown table with one row per run; the accuracy columns are the metrics of the first report. */
export function resultsTable(runs: readonly TableRun[], reports: readonly TaskReport[]): string {
  if (runs.length !== reports.length || reports.length === 0) throw new RangeError('resultsTable: one report per run, at least one');
  const metrics = reports[0]!.metrics;
  const header = ['model', 'blocks', 'params', 'seed', 'steps', 'train loss', 'eval loss', ...metrics.map((m) => `${m.name} acc.`), 'time'];
  const rows = reports.map((r, i) => [
    `\`${runs[i]!.file.split('/').pop()}\` ${r.architecture}`,
    String(r.blocks),
    r.parameters.toLocaleString('en-US'),
    String(r.seed),
    String(r.steps),
    loss(r.loss),
    loss(r.evalLoss),
    ...metrics.map((m) => percentText(r.metrics.find((x) => x.name === m.name)?.accuracy ?? NaN)),
    `${Math.round(r.seconds)}s`,
  ]);
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** What each accuracy column measures, from the first report, as a Markdown list. */
export function metricLegend(report: TaskReport): string {
  return report.metrics.map((m) => `- ${m.name}: ${m.description}`).join('\n');
}

/** `text` with everything between the task's markers replaced by `body`. */
export function replaceSection(text: string, task: TaskName, body: string): string {
  const start = text.indexOf(startMarker(task));
  const end = text.indexOf(endMarker(task));
  if (start < 0 || end < start) throw new Error(`the README has no ${startMarker(task)} … ${endMarker(task)} section`);
  return `${text.slice(0, start + startMarker(task).length)}\n${body}\n${text.slice(end)}`;
}
