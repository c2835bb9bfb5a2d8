import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import type { TrainJob } from '../../runtime/train/run-node.js';
import { SCHEDULES } from '../../runtime/train/schedule.js';
import type { Schedule, TrainSpec } from '../spec.js';
import { fractionArg, nonNegativeIntArg, nonNegativeNumberArg, positiveIntArg, positiveNumberArg } from './number-args.js';
import { checkModelFile, selectOneModel } from './select-model.js';
import { chooseBackend, TRAIN_BACKENDS, type TrainBackendName } from './train-backend.js';

type JobOptions = Pick<TrainJob, 'data' | 'val' | 'out' | 'resume' | 'log' | 'seed' | 'evalEvery' | 'saveEvery'>;

interface TrainOptions extends JobOptions {
  /** Unset: webgpu where a device can be acquired, else the reference. */
  backend?: TrainBackendName;
  model?: string;
  steps?: number;
  batch?: number;
  seq?: number;
  lr?: number;
  warmup?: number;
  clip?: number | null;
  weightDecay?: number;
  schedule?: Schedule;
  gradAccum?: number;
  minLrRatio?: number;
}

/** Command-line option → TrainSpec field, with the flag's name for messages. */
const OVERRIDES: [keyof TrainOptions & string, keyof TrainSpec, string][] = [
  ['steps', 'steps', '--steps'],
  ['batch', 'batch', '--batch'],
  ['seq', 'seqLen', '--seq'],
  ['lr', 'lr', '--lr'],
  ['warmup', 'warmup', '--warmup'],
  ['clip', 'clip', '--clip'],
  ['weightDecay', 'weightDecay', '--weight-decay'],
  ['schedule', 'schedule', '--schedule'],
  ['gradAccum', 'gradAccum', '--grad-accum'],
  ['minLrRatio', 'minLrRatio', '--min-lr-ratio'],
];

function clipArg(text: string): number | null {
  return text.trim() === 'none' ? null : positiveNumberArg(text);
}

/** Outputs must not replace an input or a directory, and their directory must exist: checked before any work. */
function checkOutputPaths(opts: TrainOptions): void {
  const inputs = [['--data', opts.data], ...(opts.val === undefined ? [] : [['--val', opts.val]])];
  const outputs = [['--out', opts.out], ...(opts.log === undefined ? [] : [['--log', opts.log]])];
  for (const [flag, path] of outputs) {
    for (const [other, used] of [...inputs, ...outputs]) {
      if (other !== flag && resolve(used!) === resolve(path!)) throw new UserError(`${flag} ${path}: the same file as ${other}; choose another file`);
    }
    if (statSync(path!, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${flag} ${path}: is a directory, expected a file to write`);
    if (!statSync(dirname(path!), { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${flag} ${path}: directory ${dirname(path!)} does not exist`);
  }
}

async function train(modelFile: string, opts: TrainOptions): Promise<void> {
  checkOutputPaths(opts);
  const spec = selectOneModel(checkModelFile(modelFile, 'nothing trained'), opts.model, modelFile);
  const overrides: Partial<Record<keyof TrainSpec, unknown>> = {};
  const flags: Partial<Record<keyof TrainSpec, string>> = {};
  for (const [option, field, flag] of OVERRIDES) {
    if (opts[option] === undefined) continue;
    overrides[field] = opts[option];
    flags[field] = flag;
  }
  const { runTrainJob } = await import('../../runtime/train/run-node.js');
  const { data, val, out, resume, log, seed, evalEvery, saveEvery } = opts;
  const job: JobOptions = { data, val, out, resume, log, seed, evalEvery, saveEvery };
  const backend = await chooseBackend(opts.backend);
  let result: Awaited<ReturnType<typeof runTrainJob>>;
  try {
    result = await runTrainJob({ spec, ...job, overrides: overrides as Partial<TrainSpec>, flags, backendName: backend.name, backend: backend.factory });
  } finally {
    backend.release();
  }
  const { outcome } = result;
  const valText = outcome.valLoss === undefined ? '' : `, validation loss ${outcome.valLoss.toFixed(4)}`;
  process.stdout.write(`trained ${spec.name} to step ${outcome.step} of ${result.train.steps}: loss ${outcome.loss.toFixed(4)}${valText}\n`);
  process.stdout.write(`wrote ${opts.out} (official state_dict), its training state and ${result.lossCurve}\n`);
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description("train a model on a text or token file with AdamW; settings default to the model's train section")
    .argument('<model>', '.xlstm file')
    .requiredOption('--data <path>', 'training data: a file or a directory (files concatenated in sorted order); bytes are tokens, except .u16/.bin (uint16 ids) and .i32 (int32 ids)')
    .option('--val <file>', 'validation data (default: the last 10% of --data)')
    .requiredOption('--out <file>', 'checkpoint to write: the official state_dict as .safetensors, with <name>.train.safetensors (optimizer state) and <name>.loss.svg beside it')
    .option('--resume <file>', 'continue the run saved in this checkpoint (its settings unless flags override them)')
    .option('--steps <n>', 'total optimizer steps (the schedule ends here)', positiveIntArg)
    .option('--batch <n>', 'sequences per micro-batch', positiveIntArg)
    .option('--seq <n>', 'tokens per sequence', positiveIntArg)
    .option('--lr <x>', 'peak learning rate', positiveNumberArg)
    .option('--warmup <n>', 'linear warmup steps from 0', nonNegativeIntArg)
    .option('--clip <x>', 'global gradient-norm clip, or "none"', clipArg)
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (official decay group)', nonNegativeNumberArg)
    .addOption(new Option('--schedule <name>', 'learning rate after the warmup').choices(SCHEDULES))
    .option('--min-lr-ratio <x>', 'final learning rate as a fraction of --lr', fractionArg)
    .option('--grad-accum <k>', 'micro-batches per optimizer step', positiveIntArg)
    .option('--seed <n>', 'seed of the initialisation and the batch sampling (default 0)', nonNegativeIntArg)
    .option('--eval-every <n>', 'validation loss every n steps (0: only at the end; default: about 10 times per run)', nonNegativeIntArg)
    .option('--save-every <n>', 'checkpoint every n steps (0: only at the end; default: about 10 times per run)', nonNegativeIntArg)
    .option('--log <file>', 'JSON lines, one per step: step, loss, lr, gradNorm, tokensPerSecond, elapsedSeconds[, valLoss]')
    .addOption(new Option('--backend <name>', 'where the training step runs (default: webgpu where a device can be acquired, else reference)').choices(TRAIN_BACKENDS))
    .option('--model <name>', 'the model to train when the file declares several')
    .action((model: string, opts: TrainOptions) => train(model, opts));
}
