import type { KernelSpec, KernelTarget, ScalarType } from '../kernels/kernel.js';

/**
 * The kernel plan of one forward pass: which kernels run, in order, on which buffers. It is what the
 * IR becomes once ops are fused into kernels and activations are given buffers; the runtime binds
 * it (runtime/model/) and `printPlan` shows it. Plain data, independent of any device.
 */

/**
 * 'param': an official parameter, uploaded once; 'input': uploaded before each run (token ids,
 * targets, sampling draws); 'activation' and 'scratch': intermediate values, several sharing one
 * buffer when their lifetimes do not overlap; 'state': the recurrent state, owned by the caller's
 * state handle, not by the plan; 'output': read back after a run (logits, loss, sampled tokens).
 * Training plans (backward-plan.ts) add 'gradient': a parameter's gradient, and 'optimizer': AdamW's
 * moments, decay mask and the gradient norm, all kept across steps.
 */
export type BufferKind = 'param' | 'input' | 'activation' | 'state' | 'scratch' | 'output' | 'gradient' | 'optimizer';

export interface BufferSpec {
  name: string;
  elements: number;
  type: ScalarType;
  kind: BufferKind;
  /** The values this buffer holds during the run, in order of first use. */
  holds: string[];
}

export interface PlanStep {
  kernel: KernelSpec;
  /** Buffer name for each of the kernel's bindings. */
  tensors: Readonly<Record<string, string>>;
  /** The IR ops this dispatch computes (their `source` texts). */
  source: string;
  /** Uniform values when the run continues a state (and whenever `freshUniforms` is absent). */
  uniforms?: Readonly<Record<string, number>>;
  /** Uniform values instead of `uniforms` when the run starts from the all-zero state. */
  freshUniforms?: Readonly<Record<string, number>>;
  /** Uniforms whose values the caller gives per run (sampling settings). */
  runUniforms?: readonly string[];
}

/**
 * 'parallel': from the zero state, mLSTM cells in the official parallel form (the state is written
 * only with `stateOut`); 'recurrent': every cell continues the state held in the state buffers and
 * leaves the new state there (the step API, and stream pieces after the first).
 */
export type PlanMode = 'parallel' | 'recurrent';

export interface PlanOptions {
  batch: number;
  seqLen: number;
  target: KernelTarget;
  mode: PlanMode;
  /** Fuse ops into kernels (default true); false runs one kernel per IR op where a kernel exists. */
  fuse?: boolean;
  /** Parallel mode: also write the final state into the state buffers. */
  stateOut?: boolean;
  /** Compute the mean cross-entropy against `targets` into `loss`. */
  loss?: boolean;
  /** Sample one token per sequence from the logits on the device into `token` (seqLen 1 only). */
  sample?: boolean;
}

export interface ForwardPlan {
  model: string;
  batch: number;
  seqLen: number;
  mode: PlanMode;
  fused: boolean;
  stateOut: boolean;
  buffers: BufferSpec[];
  steps: PlanStep[];
  inputs: { tokens: string; targets?: string; draws?: string };
  outputs: { logits: string; loss?: string; token?: string };
  /** What `fuse: false` still computes fused, for want of a kernel per op. */
  notes: string[];
}
