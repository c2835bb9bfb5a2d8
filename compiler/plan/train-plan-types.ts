import type { KernelTarget } from '../kernels/kernel.js';
import type { ParameterLayout } from './parameter-slots.js';
import type { BufferSpec, PlanStep } from './plan-types.js';

/** AdamW's constants (PyTorch `torch.optim.AdamW`), baked into the update kernel. */
export interface OptimizerSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip (`clip_grad_norm_`); null: none (the norm is still computed). */
  clip: number | null;
}

export interface TrainPlanOptions {
  batch: number;
  seqLen: number;
  target: KernelTarget;
  optimizer: OptimizerSettings;
  /**
   * Micro-batches per optimizer step (default 1). With K > 1 the forward and backward run once per
   * micro-batch, adding into the gradients, with dLogits scaled by 1/K (the `gradScale` input), and
   * the optimizer runs after the last.
   */
  microBatches?: number;
}

/** A forward value kept in memory from the forward pass until the backward kernels that read it. */
export interface StoredActivation {
  buffer: string;
  elements: number;
  /** The backward kernels reading it. */
  readBy: string[];
}

/**
 * One training step as kernels: the fused forward (`buildForward`, parallel form, no loss kernel of
 * its own), the backward in reverse op order with gradients written in place, then the global
 * gradient norm and one fused AdamW over the flat parameter buffer. Plain data like `ForwardPlan`:
 * the runtime binds `buffers` (param and gradient buffers named after a parameter are views of the
 * flat `params` and `grads` buffers, at the offsets of `parameters`) and runs `steps` in order, the
 * forward and backward once per micro-batch and the optimizer once per step.
 */
export interface TrainPlan {
  model: string;
  batch: number;
  seqLen: number;
  microBatches: number;
  optimizer: OptimizerSettings;
  buffers: BufferSpec[];
  steps: PlanStep[];
  /** Dispatches of each phase, in this order in `steps`. */
  phases: { forward: number; backward: number; optimizer: number };
  parameters: ParameterLayout;
  /** Flat buffers the whole step shares: parameters, gradients, AdamW moments and decay mask, gradient norm. */
  flat: { params: string; grads: string; expAvg: string; expAvgSq: string; decayMask?: string; gradNorm: string };
  inputs: { tokens: string; targets: string; gradScale?: string };
  /** `loss` [1]: mean cross-entropy of the micro-batch; `gradNorm` [3]: norm, clip factor, non-finite flag. */
  outputs: { loss: string; gradNorm: string };
  stored: StoredActivation[];
  /** What the backward recomputes rather than keeps. */
  recomputed: string[];
  /** Bytes of the buffers that live only within a step (activations, gradients of activations, scratch), after sharing. */
  peakActivationBytes: number;
}
