import type { InitSpec } from '../params.js';

/**
 * The model IR: a list of ops in execution order over tensors with static shapes, in SSA form (every
 * activation is produced by exactly one op, before any use). It is the official forward computation
 * for a fixed batch B and sequence length T, from `tokens` to `logits` and the mean cross-entropy
 * `loss`; the kernel planner fuses and schedules these ops, and backward passes are derived from them.
 *
 * Layout conventions: every tensor is row-major; activations are [B, T, features]; feature vectors
 * of width NH·DH are head-major (feature h·DH + j is unit j of head h); parameters keep their official
 * state_dict shapes (vanilla sLSTM layout).
 */

export type DType = 'f32' | 'i32';

export interface TensorType {
  dtype: DType;
  /** Static shape; [] is a scalar. */
  shape: readonly number[];
}

export interface IrParameter {
  /** The official state_dict key. */
  name: string;
  shape: readonly number[];
  /** What each axis means and how features are ordered, for humans and kernel authors. */
  layout: string;
  init: InitSpec;
  /** In the official weight-decay group. */
  decay: boolean;
  /** With tied weights, `lm_head.weight` names the embedding here: it is not a tensor of its own. */
  tiedTo?: string;
}

export interface IrValue {
  id: number;
  type: TensorType;
  /** Model inputs (`tokens`, `targets`) are produced by no op. */
  role: 'input' | 'activation';
  /** A short readable name (`x_m`, `q`, `logits`), e.g. for variables in generated code. */
  name: string;
}

export type Operand = { kind: 'value'; id: number } | { kind: 'param'; name: string };

/** Activation functions by their mathematical name (the FFN's `swish` is `silu`, `relu^2` is `relu2`). */
export type ActivationKind = 'silu' | 'gelu' | 'relu' | 'relu2' | 'sigmoid' | 'selu';

/** How the mLSTM cell is evaluated; all three compute the same function up to the stabiliser's eps term. */
export type MlstmForm = 'parallel' | 'chunkwise' | 'recurrent';

/** How a norm scales its normalised input: official LayerNorm stores an offset, scale = 1 + w. */
export type NormScale = 'one_plus_weight' | 'none';

export type SlstmGate = 'i' | 'f' | 'z' | 'o';

/**
 * Attributes per op kind. Operand order is part of each op's contract (listed here); features are
 * the last axis throughout.
 */
export interface OpAttrs {
  /** (tokens i32 [B,T], weight [V,E]) → [B,T,E]: row lookup. */
  embedding: { vocabSize: number; dim: number };
  /** (x [...,D], weight [D]) → [...,D]: (x − mean)/sqrt(biased var + eps) · (1 + w), no bias. */
  layer_norm: { dim: number; eps: number; scale: 'one_plus_weight' };
  /** (x [...,in], weight [out,in], bias? [out]) → [...,out]: x·Wᵀ (+ b). */
  linear: { inFeatures: number; outFeatures: number; bias: boolean };
  /** (x [...,Σsizes]) → one result per size: consecutive slices of the last axis. */
  split: { sizes: number[] };
  /** (x [B,T,C], weight [C,1,K], bias [C]) → [B,T,C]: depthwise causal conv, tap K−1 is the current step, zero history. */
  causal_conv1d: { channels: number; kernelSize: number };
  /** (x) → same shape, elementwise. */
  activation: { kind: ActivationKind };
  /** (x [...,N·b], weight [N,b,b], bias? [N·b]) → [...,N·b]: block-diagonal linear, out[p·b+o] = Σ_i W[p,o,i]·x[p·b+i] (+ bias). */
  headwise_linear: { numBlocks: number; blockSize: number; bias: boolean };
  /** (x₀ [...,s₀], x₁ [...,s₁], …) → [...,Σs]: concatenation along the last axis. */
  concat: { sizes: number[] };
  /**
   * (qkv [B,T,3I], igate.weight [NH,3I], igate.bias [NH], fgate.weight [NH,3I], fgate.bias [NH])
   * → (ĩ [B,T,NH], f̃ [B,T,NH]): the mLSTM gate pre-activations, one scalar per head.
   */
  mlstm_gates: { inFeatures: number; numHeads: number };
  /**
   * (q, k, v [B,T,NH·DH], ĩ [B,T,NH], f̃ [B,T,NH]) → h [B,T,NH·DH], before the output norm. Stabilised
   * exponential gating from a zero state; k is scaled by 1/sqrt(DH) inside; `eps` is added to the
   * normaliser after stabilisation. `chunkSize` only for the chunkwise form.
   */
  mlstm_cell: { form: MlstmForm; numHeads: number; headDim: number; eps: number; chunkSize?: number };
  /** (x [...,NH·DH], weight? [NH·DH]) → same: layer norm of each head's DH features separately, then the scale. */
  multihead_layer_norm: { numHeads: number; headDim: number; eps: number; scale: NormScale };
  /** (a, b) → elementwise product; one operand may broadcast as a suffix of the other's shape. */
  mul: Record<string, never>;
  /** (a, b) → elementwise sum; one operand may broadcast as a suffix of the other's shape. */
  add: Record<string, never>;
  /**
   * (ĩ, f̃, z̃, õ [B,T,E], recurrent kernel [NH,4·DH,DH], bias [4·E]) → y [B,T,E], E = NH·DH: the
   * sLSTM recurrence from a zero state (vanilla semantics: stabiliser m, normaliser n, y = σ(o)·c/n).
   * Kernel layout [head, gate·DH + out unit, in unit] and bias index gate·E + head·DH + unit, gates in
   * `gateOrder`.
   */
  slstm_cell: { numHeads: number; headDim: number; gateOrder: readonly SlstmGate[]; layout: 'vanilla' };
  /** (x) → x with probability-p dropout while training; identity at inference. Only present when p > 0. */
  dropout: { p: number };
  /** (x [B,T,E], weight [V,E]) → logits [B,T,V] = x·Wᵀ, no bias; `tied`: the weight is the embedding. */
  lm_head: { vocabSize: number; dim: number; tied: boolean };
  /** (logits [B,T,V], targets i32 [B,T]) → f32 []: mean over all B·T positions of logsumexp − target logit. */
  cross_entropy: { vocabSize: number; reduction: 'mean'; count: number };
}

export type OpKind = keyof OpAttrs;

interface OpCommon {
  inputs: Operand[];
  /** Ids of the values this op defines. */
  outputs: number[];
  /** The block the op belongs to; null for embedding, final norm, head and loss. */
  block: number | null;
  /** Where the op comes from in the official model, e.g. "block 0 mLSTM proj_up"; generated kernels cite it. */
  source: string;
}

export type IrOp = { [K in OpKind]: OpCommon & { op: K; attrs: OpAttrs[K] } }[OpKind];
export type IrOpOf<K extends OpKind> = Extract<IrOp, { op: K }>;

export interface IrModule {
  model: string;
  batch: number;
  seqLen: number;
  mlstmForm: MlstmForm;
  /** Every official state_dict tensor, in state_dict order. */
  params: IrParameter[];
  /** Every value; `values[id].id === id`. */
  values: IrValue[];
  ops: IrOp[];
  inputs: { tokens: number; targets: number };
  outputs: { logits: number; loss: number };
  /**
   * Values named as in the golden `activations.safetensors` (`embedding`, `blocks.{i}.xlstm`,
   * `blocks.{i}`, `post_blocks_norm`), for locating where an implementation diverges.
   */
  taps: Record<string, number>;
}
