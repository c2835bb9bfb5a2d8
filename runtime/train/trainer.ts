/**
 * The training loop, independent of where a step runs and of files: it draws batches, follows the
 * schedule, asks the backend for each step, evaluates, and hands snapshots to `save`. Everything
 * that touches disk or a terminal comes in through hooks, so browsers can run it too.
 */
import type { TrainSpec } from '../../compiler/spec.js';
import type { NonFinite, TrainBackend, TrainBatch } from './backend.js';
import type { BatchSampler, SamplerState } from './batch-sampler.js';
import { StepTimer } from './metrics.js';
import { learningRate } from './schedule.js';
import type { TokenArray } from './tokens.js';
import type { LossHistory } from './train-state.js';

/** One line of the step log. */
export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Over the recent steps. */
  tokensPerSecond: number;
  /** Training time so far, all sessions. */
  elapsedSeconds: number;
  /** Present on steps followed by an evaluation. */
  valLoss?: number;
  /** Estimated seconds to `until`. */
  etaSeconds?: number;
}

/** Where the run stands after a step: what a checkpoint records besides weights and moments. */
export interface TrainSnapshot {
  step: number;
  sampler: SamplerState;
  history: LossHistory;
  elapsedSeconds: number;
}

export interface TrainerHooks {
  onStep?(record: StepRecord): void | Promise<void>;
  /** Persist the backend's weights and moments with this snapshot (periodically and at the end). */
  save?(snapshot: TrainSnapshot): Promise<void>;
  /** Milliseconds, for timing (default `performance.now`). */
  now?(): number;
}

export interface TrainerOptions {
  backend: TrainBackend;
  /** Effective settings: schedule, AdamW, batch, seqLen, gradAccum, steps (the schedule's length). */
  train: TrainSpec;
  tokens: TokenArray;
  /** Fixed validation batches; null = no validation. */
  validation: readonly TrainBatch[] | null;
  sampler: BatchSampler;
  /** Steps already taken (0 for a fresh run). */
  startStep: number;
  /** Earlier sessions' losses (extended in place). */
  history: LossHistory;
  elapsedSeconds: number;
  /** Evaluate after every this many steps (0 = only after the last). */
  evalEvery: number;
  /** Save after every this many steps (0 = only after the last). */
  saveEvery: number;
  /** Stop after this step (default `train.steps`), e.g. to continue later with `--resume`. */
  until?: number;
  hooks?: TrainerHooks;
}

export type TrainOutcome =
  | { status: 'completed'; step: number; loss: number; valLoss?: number }
  /** Stopped before applying `step`; nothing of that step was kept or saved. */
  | { status: 'non-finite'; step: number; nonFinite: NonFinite; lastSavedStep: number | null };

/** Mean loss over the validation batches, weighted by their sizes. */
async function validationLoss(backend: TrainBackend, batches: readonly TrainBatch[]): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    sum += (await backend.evalLoss(b)) * b.batch;
    count += b.batch;
  }
  return sum / count;
}

function isDue(step: number, every: number, last: number): boolean {
  return step === last || (every > 0 && step % every === 0);
}

export async function runTraining(o: TrainerOptions): Promise<TrainOutcome> {
  const t = o.train;
  const until = o.until ?? t.steps;
  const now = o.hooks?.now ?? (() => performance.now());
  const timer = new StepTimer();
  const tokensPerStep = t.batch * t.seqLen * t.gradAccum;
  let elapsed = o.elapsedSeconds;
  let lastSavedStep: number | null = null;
  let last: { loss: number; valLoss?: number } = { loss: NaN };
  for (let step = o.startStep + 1; step <= until; step++) {
    const started = now();
    const micro = Array.from({ length: t.gradAccum }, () => o.sampler.next(o.tokens, t.batch, t.seqLen));
    const lr = learningRate(t, step - 1);
    const hyper = { lr, weightDecay: t.weightDecay, betas: t.betas, eps: t.eps, clip: t.clip, step };
    const result = await o.backend.step(micro, hyper);
    if (result.nonFinite !== undefined) return { status: 'non-finite', step, nonFinite: result.nonFinite, lastSavedStep };
    const seconds = (now() - started) / 1000;
    timer.record(seconds, tokensPerStep);
    elapsed += seconds;
    o.history.train.push([step, result.loss]);
    last = { loss: result.loss };
    const record: StepRecord = { step, loss: result.loss, lr, gradNorm: result.gradNorm, tokensPerSecond: timer.tokensPerSecond(), elapsedSeconds: elapsed };
    if (o.validation !== null && o.validation.length > 0 && isDue(step, o.evalEvery, until)) {
      const valLoss = await validationLoss(o.backend, o.validation);
      o.history.val.push([step, valLoss]);
      record.valLoss = valLoss;
      last.valLoss = valLoss;
    }
    const eta = timer.eta(until - step);
    if (eta !== undefined) record.etaSeconds = eta;
    await o.hooks?.onStep?.(record);
    if (o.hooks?.save !== undefined && isDue(step, o.saveEvery, until)) {
      await o.hooks.save({ step, sampler: o.sampler.state(), history: o.history, elapsedSeconds: elapsed });
      lastSavedStep = step;
    }
  }
  return { status: 'completed', step: until, ...last };
}

const STAGE_TEXT: Record<NonFinite['stage'], (tensor: string) => string> = {
  forward: (tensor) => (tensor === 'loss' ? 'the loss' : `activation ${tensor}`),
  gradient: (tensor) => (tensor === 'gradient norm' ? 'the gradient norm' : `the gradient of ${tensor}`),
  update: (tensor) => `the AdamW update of ${tensor}`,
};

/** "step 3: the gradient of lm_head.weight became NaN". */
export function describeNonFinite(step: number, nf: NonFinite): string {
  return `step ${step}: ${STAGE_TEXT[nf.stage](nf.tensor)} became ${nf.value}`;
}
