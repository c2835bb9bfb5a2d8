import { Argument, Option, type Command } from 'commander';
import { percentText } from '../../runtime/tasks/accuracy.js';
import type { TaskReport } from '../../runtime/tasks/task-job.js';
import { TASK_NAMES, type TaskName } from '../../runtime/tasks/synthetic-task.js';
import type { TrainSpec } from '../spec.js';
import { nonNegativeIntArg, positiveIntArg, positiveNumberArg } from './number-args.js';
import { checkModelFile, selectOneModel } from './select-model.js';
import { chooseBackend, TRAIN_BACKENDS, type TrainBackendName } from './train-backend.js';


interface TaskOptions {
  model?: string;
  steps?: number;
  seed: number;
  batch?: number;
  lr?: number;
  warmup?: number;
  trainLen?: number;
  evalLen?: number;
  evalCount?: number;
  pairs?: number;
  backend: TrainBackendName;
  json?: boolean;
}

/** Command-line option → TrainSpec field. */
const OVERRIDES: [keyof TaskOptions & string, keyof TrainSpec][] = [
  ['steps', 'steps'],
  ['batch', 'batch'],
  ['lr', 'lr'],
  ['warmup', 'warmup'],
  ['trainLen', 'seqLen'],
];

export function formatTaskReport(r: TaskReport): string {
  const pairs = r.pairs === undefined ? '' : `, ${r.pairs} pairs`;
  const lines = [
    `${r.task}: ${r.model} (${r.architecture}, ${r.blocks} block${r.blocks === 1 ? '' : 's'}, ${r.parameters.toLocaleString('en-US')} parameters) on the ${r.backend} backend, seed ${r.seed}`,
    `trained ${r.steps} steps of ${r.batch}×${r.trainLength} tokens${pairs} at lr ${r.lr} in ${r.seconds.toFixed(1)}s: loss ${r.loss.toFixed(4)}, evaluation loss ${r.evalLoss.toFixed(4)}`,
    `accuracy on ${r.evalCount} evaluation sequences of length ${r.evalLength}:`,
    ...r.metrics.map((m) => `  ${m.name.padEnd(16)} ${percentText(m.accuracy).padStart(6)}  (${m.correct}/${m.total}: ${m.description})`),
  ];
  return `${lines.join('\n')}\n`;
}

async function runTaskCommand(task: TaskName, modelFile: string, opts: TaskOptions): Promise<void> {
  const spec = selectOneModel(checkModelFile(modelFile, 'nothing trained'), opts.model, modelFile);
  const overrides: Partial<Record<keyof TrainSpec, unknown>> = {};
  for (const [option, field] of OVERRIDES) if (opts[option] !== undefined) overrides[field] = opts[option];
  const [{ runTaskJob }, { createProgressReporter }, backend] = await Promise.all([
    import('../../runtime/tasks/task-job.js'),
    import('../../runtime/train/progress-node.js'),
    chooseBackend(opts.backend),
  ]);
  const steps = opts.steps ?? spec.train.steps;
  const progress = createProgressReporter(process.stderr, steps, Math.max(1, Math.round(steps / 10)));
  let report: TaskReport;
  try {
    report = await runTaskJob({
      task,
      spec,
      seed: opts.seed,
      overrides: overrides as Partial<TrainSpec>,
      ...(opts.evalLen === undefined ? {} : { evalLength: opts.evalLen }),
      ...(opts.evalCount === undefined ? {} : { evalCount: opts.evalCount }),
      ...(opts.pairs === undefined ? {} : { pairs: opts.pairs }),
      backendName: opts.backend,
      backend: backend.factory,
      onStep: (r) => progress.update(r),
    });
  } finally {
    progress.finish();
    backend.release();
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatTaskReport(report));
}

export function registerTaskCommand(program: Command): void {
  program
    .command('task')
    .description("train a model on a synthetic task of the xLSTM paper and report its accuracy (parity: state tracking and length extrapolation; mqar: associative recall)")
    .addArgument(new Argument('<task>', 'the task').choices(TASK_NAMES))
    .argument('<model>', '.xlstm file')
    .option('--model <name>', 'the model to train when the file declares several')
    .option('--steps <n>', "optimizer steps (default: the model's train section)", positiveIntArg)
    .option('--seed <n>', 'seed of the initial weights, the training batches and the evaluation set', nonNegativeIntArg, 0)
    .option('--batch <n>', 'sequences per step', positiveIntArg)
    .option('--lr <x>', 'peak learning rate', positiveNumberArg)
    .option('--warmup <n>', 'linear warmup steps from 0', nonNegativeIntArg)
    .option('--train-len <n>', "training sequence length (default: the model's seq_len, i.e. its context)", positiveIntArg)
    .option('--eval-len <n>', 'evaluation sequence length (default: parity 4× the training length, mqar the training length)', positiveIntArg)
    .option('--eval-count <n>', 'evaluation sequences (default 256)', positiveIntArg)
    .option('--pairs <n>', 'mqar: key-value pairs per sequence (default: one query per pair fills the training length)', positiveIntArg)
    // the reference by default: task models are so small that exact float64 on the CPU beats WebGPU on llvmpipe
    .addOption(new Option('--backend <name>', 'where the training steps run').choices(TRAIN_BACKENDS).default('reference'))
    .option('--json', 'print the report as JSON')
    .action((task: TaskName, model: string, opts: TaskOptions) => runTaskCommand(task, model, opts));
}
