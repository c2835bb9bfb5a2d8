/**
 * Trains a model on a synthetic task with the project's training loop (runtime/train/trainer.ts)
 * and measures its accuracy. Batches are generated fresh for every step (no sequence is seen twice
 * on purpose, as in the official experiments) from a seeded stream, so a seed fixes the whole run:
 * with the initial weights the caller draws from it, the training batches and the evaluation set.
 */
import type { ModelSpec, TrainSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { Rng } from '../random.js';
import type { FloatArray, TrainBackend } from '../train/backend.js';
import type { BatchSampler, SamplerState } from '../train/batch-sampler.js';
import { describeNonFinite, runTraining, type StepRecord } from '../train/trainer.js';
import type { LossHistory } from '../train/train-state.js';
import { accuracyRate, scoredAccuracy, type Accuracy } from './accuracy.js';
import type { SyntheticTask } from './synthetic-task.js';
import type { TaskBatch } from './task-batch.js';

/** Logits [batch, time, vocab] of `weights` for a batch's inputs. */
export type LogitsFunction = (weights: ReadonlyMap<string, FloatArray>, batch: TaskBatch) => Promise<ArrayLike<number>>;

export interface TaskRunOptions {
  spec: ModelSpec;
  task: SyntheticTask;
  backend: TrainBackend;
  /** The forward pass evaluation measures accuracy with (e.g. the float64 reference). */
  logits: LogitsFunction;
  /** Optimizer, schedule and batch settings; `seqLen` is the training length. */
  train: TrainSpec;
  /** Seeds the training and evaluation streams. */
  seed: number;
  /** Length of the evaluation sequences. */
  evalLength: number;
  /** Sequences in the evaluation set. */
  evalCount: number;
  onStep?: (record: StepRecord) => void;
}

export interface MetricResult extends Accuracy {
  name: string;
  description: string;
  accuracy: number;
}

export interface TaskRunResult {
  /** Training loss (mean cross-entropy over every position) of the last step. */
  loss: number;
  /** Mean cross-entropy over every position of the evaluation set. */
  evalLoss: number;
  metrics: MetricResult[];
  history: LossHistory;
}

/** Sequences per evaluation batch. */
const EVAL_BATCH = 64;

/**
 * Generated task batches in the place of the trainer's token-window sampler. The trainer types its
 * sampler as the `BatchSampler` class (a private constructor and fields, so nothing else fits the
 * type) but only calls `next` and `state`; this source has both, and ignores the token array the
 * trainer passes along. The one cast below goes once the trainer takes a sampler interface.
 */
class TaskBatchSource {
  private drawn = 0;

  constructor(
    private readonly task: SyntheticTask,
    private readonly rng: Rng,
  ) {}

  next(_tokens: unknown, batch: number, time: number): TaskBatch {
    this.drawn++;
    return this.task.sample(this.rng, batch, time);
  }

  state(): SamplerState {
    return { rng: this.rng.state(), drawn: this.drawn };
  }

  asSampler(): BatchSampler {
    return this as unknown as BatchSampler;
  }
}

function evaluationSet(o: TaskRunOptions): TaskBatch[] {
  const rng = Rng.fromSeed(o.seed, `task-eval:${o.task.name}`);
  const batches: TaskBatch[] = [];
  for (let done = 0; done < o.evalCount; done += EVAL_BATCH) batches.push(o.task.sample(rng, Math.min(EVAL_BATCH, o.evalCount - done), o.evalLength));
  return batches;
}

async function measureAccuracy(o: TaskRunOptions, batches: readonly TaskBatch[]): Promise<MetricResult[]> {
  const weights = await o.backend.getWeights();
  const totals = new Map<string, MetricResult>();
  for (const batch of batches) {
    const logits = await o.logits(weights, batch);
    for (const { name, description, positions } of o.task.metrics(batch, o.train.seqLen)) {
      const a = scoredAccuracy(logits, batch.targets, positions, o.spec.vocabSize);
      const sum = totals.get(name) ?? { name, description, correct: 0, total: 0, accuracy: NaN };
      totals.set(name, { ...sum, correct: sum.correct + a.correct, total: sum.total + a.total });
    }
  }
  return [...totals.values()].map((m) => ({ ...m, accuracy: accuracyRate(m) }));
}

export async function runTask(o: TaskRunOptions): Promise<TaskRunResult> {
  if (!Number.isInteger(o.evalCount) || o.evalCount < 1) throw new RangeError(`runTask: evalCount must be a positive whole number, got ${o.evalCount}`);
  const evalBatches = evaluationSet(o);
  const history: LossHistory = { train: [], val: [] };
  const outcome = await runTraining({
    backend: o.backend,
    train: o.train,
    tokens: new Uint8Array(0),
    validation: evalBatches,
    sampler: new TaskBatchSource(o.task, Rng.fromSeed(o.seed, `task-train:${o.task.name}`)).asSampler(),
    startStep: 0,
    history,
    elapsedSeconds: 0,
    evalEvery: 0,
    saveEvery: 0,
    ...(o.onStep === undefined ? {} : { hooks: { onStep: o.onStep } }),
  });
  if (outcome.status === 'non-finite') {
    throw new UserError(`${describeNonFinite(outcome.step, outcome.nonFinite)}; try a lower --lr (the run used ${o.train.lr})`);
  }
  // the evaluation set is never empty, so the trainer reports its loss after the last step
  return { loss: outcome.loss, evalLoss: outcome.valLoss!, metrics: await measureAccuracy(o, evalBatches), history };
}
