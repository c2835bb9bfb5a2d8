/**
 * One `xlstm task` run as the command line and the results-table script ask for it: settings from
 * the model's train section with overrides, the task built for the model's vocabulary, fresh
 * weights from the seed, training, accuracy, and a report that says exactly what was run.
 */
import { parameterCount } from '../../compiler/params.js';
import type { ModelSpec, TrainSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { initializeParameters } from '../init.js';
import type { TrainBackendFactory } from '../train/backend.js';
import type { StepRecord } from '../train/trainer.js';
import { mqarLayout } from './mqar.js';
import { referenceLogits } from './reference-logits.js';
import { runTask, type MetricResult } from './run-task.js';
import { mqarTask, parityTask, type SyntheticTask, type TaskName } from './synthetic-task.js';

/** Parity evaluates on strings this many times the training length unless told otherwise. */
export const PARITY_EVAL_FACTOR = 4;
export const DEFAULT_EVAL_COUNT = 256;

export interface TaskJob {
  task: TaskName;
  spec: ModelSpec;
  seed: number;
  /** Settings given on the command line; they override the model's train section. */
  overrides: Partial<TrainSpec>;
  /** Default: parity PARITY_EVAL_FACTOR × the training length, MQAR the training length. */
  evalLength?: number;
  evalCount?: number;
  /** MQAR key-value pairs per sequence (default: as many as leave one query per pair). */
  pairs?: number;
  backendName: string;
  backend: TrainBackendFactory;
  onStep?: (record: StepRecord) => void;
}

export interface TaskReport {
  task: TaskName;
  model: string;
  /** The paper's notation xLSTM[mLSTM:sLSTM], reduced (2 sLSTM blocks read xLSTM[0:1]). */
  architecture: string;
  blocks: number;
  parameters: number;
  backend: string;
  seed: number;
  steps: number;
  batch: number;
  lr: number;
  trainLength: number;
  evalLength: number;
  evalCount: number;
  /** MQAR only. */
  pairs?: number;
  /** Training loss of the last step and evaluation loss, over every position. */
  loss: number;
  evalLoss: number;
  metrics: MetricResult[];
  seconds: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function architectureName(spec: ModelSpec): string {
  const s = spec.slstmAt.length;
  const m = spec.numBlocks - s;
  const d = gcd(m, s);
  return `xLSTM[${m / d}:${s / d}]`;
}

/** Pairs that fill a sequence with the pairs, the separator and one query per pair, within the keys the vocabulary holds. */
function defaultPairs(vocab: number, length: number): number {
  const keys = mqarLayout(vocab, 1).keys;
  return Math.max(1, Math.min(keys, Math.floor((length - 1) / 3)));
}

type BuiltTask = SyntheticTask & { pairs?: number };

function describeTask(task: BuiltTask): string {
  return task.pairs === undefined ? task.name : `${task.name} with ${task.pairs} pairs (the pairs, a separator and a query)`;
}

function buildTask(job: TaskJob, trainLength: number): BuiltTask {
  if (job.task === 'parity') {
    if (job.pairs !== undefined) throw new UserError('--pairs applies to the mqar task only', 2);
    return parityTask();
  }
  const pairs = job.pairs ?? defaultPairs(job.spec.vocabSize, trainLength);
  return { ...mqarTask(job.spec.vocabSize, pairs), pairs };
}

export async function runTaskJob(job: TaskJob): Promise<TaskReport> {
  const { spec } = job;
  const train: TrainSpec = { ...spec.train, ...job.overrides };
  if (spec.blocks.some((b) => b.kind === 'mlstm') && train.seqLen > spec.contextLength) {
    throw new UserError(`training length ${train.seqLen} exceeds context ${spec.contextLength} of ${spec.name} (the official mLSTM forward refuses longer sequences)`);
  }
  const task = buildTask(job, train.seqLen);
  const evalLength = job.evalLength ?? (job.task === 'parity' ? PARITY_EVAL_FACTOR * train.seqLen : train.seqLen);
  const evalCount = job.evalCount ?? DEFAULT_EVAL_COUNT;
  for (const [what, length] of [['training', train.seqLen], ['evaluation', evalLength]] as const) {
    if (length < task.minLength) throw new UserError(`${what} length ${length} is too short for ${describeTask(task)}: it needs at least ${task.minLength} tokens`);
  }
  const started = performance.now();
  const backend = await job.backend(spec, initializeParameters(spec, job.seed, { dtype: 'f64' }));
  try {
    const result = await runTask({
      spec,
      task,
      backend,
      logits: referenceLogits(spec),
      train,
      seed: job.seed,
      evalLength,
      evalCount,
      ...(job.onStep === undefined ? {} : { onStep: job.onStep }),
    });
    return {
      task: job.task,
      model: spec.name,
      architecture: architectureName(spec),
      blocks: spec.numBlocks,
      parameters: parameterCount(spec),
      backend: job.backendName,
      seed: job.seed,
      steps: train.steps,
      batch: train.batch,
      lr: train.lr,
      trainLength: train.seqLen,
      evalLength,
      evalCount,
      ...(task.pairs === undefined ? {} : { pairs: task.pairs }),
      loss: result.loss,
      evalLoss: result.evalLoss,
      metrics: result.metrics,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await backend.dispose();
  }
}
