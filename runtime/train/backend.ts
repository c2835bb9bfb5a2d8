/**
 * The contract between the training loop and whatever computes a step. The loop (trainer.ts) owns
 * the schedule, the data, checkpoints and output; a backend owns the parameters and the optimizer
 * moments and turns micro-batches into one AdamW update. `ReferenceTrainBackend` (float64, CPU) is
 * the oracle; a WebGPU backend implements the same interface.
 */

import type { ModelSpec } from '../../compiler/spec.js';

export type FloatArray = Float32Array | Float64Array;

/** Token ids, row-major [batch, time]; `targets[b, t]` is the token after `inputs[b, t]`. */
export interface TrainBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  time: number;
}

/** The optimizer settings of one step (PyTorch `torch.optim.AdamW`, amsgrad off). */
export interface StepHyper {
  /** This step's learning rate (the schedule's value). */
  lr: number;
  /** Decoupled decay p ← p·(1 − lr·weightDecay), applied only to the official decay group. */
  weightDecay: number;
  betas: readonly [number, number];
  eps: number;
  /** Global gradient-norm clip (`clip_grad_norm_` semantics); null = none. */
  clip: number | null;
  /** 1-based count of this update, for Adam's bias corrections (the optimizer's own `step`). */
  step: number;
}

/** Where a step first produced NaN or ±Inf. */
export interface NonFinite {
  /**
   * 'forward': an activation or the loss (`tensor` is an activation name such as `blocks.1.xlstm`,
   * `logits` or `loss`); 'gradient': ∂loss/∂`tensor` (an official parameter name, or `gradient norm`
   * when every gradient is finite but their norm overflows); 'update': the AdamW update would have
   * made parameter `tensor` non-finite.
   */
  stage: 'forward' | 'gradient' | 'update';
  tensor: string;
  /** The offending value (NaN, Infinity or -Infinity). */
  value: number;
}

export interface StepResult {
  /** Mean cross-entropy over every position of every micro-batch. */
  loss: number;
  /** Global L2 norm of the (averaged) gradients before clipping, as `clip_grad_norm_` returns it. */
  gradNorm: number;
  /** Set when something went non-finite; the backend has then left parameters and moments untouched. */
  nonFinite?: NonFinite;
}

/** Adam's moments, by official parameter name (trainable tensors only: no tied `lm_head.weight`). */
export interface OptimizerState {
  expAvg: Map<string, FloatArray>;
  expAvgSq: Map<string, FloatArray>;
}

export interface TrainBackend {
  /** Shown in output and recorded in checkpoints, e.g. 'reference'. */
  readonly name: string;
  /** The precision parameters and moments are kept in; checkpoints are written in it. */
  readonly dtype: 'F32' | 'F64';
  /**
   * One optimizer step over `microBatches` (gradient accumulation: the gradient is the mean of the
   * micro-batch gradients, i.e. that of one batch holding all of them, as the official loop gets
   * with loss/K per micro-batch): forward, backward, global-norm clip, AdamW. All micro-batches have
   * the same shape. When the result reports `nonFinite`, parameters and moments are unchanged.
   */
  step(microBatches: readonly TrainBatch[], hyper: StepHyper): Promise<StepResult>;
  /** Mean cross-entropy of a batch, without touching gradients or moments. */
  evalLoss(batch: TrainBatch): Promise<number>;
  /** Current parameters by official name in `named_parameters()` order, vanilla layout, no tied duplicate. */
  getWeights(): Promise<Map<string, FloatArray>>;
  getOptimizerState(): Promise<OptimizerState>;
  /** Replaces the moments (on resume); names and sizes as `getOptimizerState` returns them. */
  setOptimizerState(state: OptimizerState): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Builds a backend for a model from initial parameters (fresh or from a checkpoint): official names,
 * vanilla layout, trainable tensors only (a tied `lm_head.weight` may be present and is ignored).
 */
export type TrainBackendFactory = (spec: ModelSpec, weights: ReadonlyMap<string, FloatArray>) => Promise<TrainBackend>;
