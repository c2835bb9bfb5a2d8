import type { Span } from '../grammar/ast.js';

/**
 * The checked, fully resolved model: every value known, every derived dim computed exactly as the
 * official `xLSTMLMModelConfig.__post_init__` and the per-block `__post_init__`s compute it.
 * This is the contract between the front end (check/resolve, interop) and everything after it
 * (parameter specs, IR, reference executor, kernels).
 */

export type Activation = 'gelu' | 'swish' | 'relu' | 'relu^2' | 'sigmoid' | 'selu';
export const ACTIVATIONS: readonly Activation[] = ['gelu', 'swish', 'relu', 'relu^2', 'sigmoid', 'selu'];

export type SlstmBiasInit = 'powerlaw_blockdependent' | 'small_init' | 'standard';
export const SLSTM_BIAS_INITS: readonly SlstmBiasInit[] = ['powerlaw_blockdependent', 'small_init', 'standard'];

export type SlstmRecurrentInit = 'zeros' | 'standard';
export const SLSTM_RECURRENT_INITS: readonly SlstmRecurrentInit[] = ['zeros', 'standard'];

export type SlstmBackend = 'vanilla' | 'cuda';
export type SlstmFunction = 'slstm' | 'lstm';
/** `xlstm/blocks/slstm/cell.py` `rnn_function_registry`: the pointwise function and its state count. */
export const SLSTM_FUNCTION_STATES: Readonly<Record<SlstmFunction, number>> = { lstm: 2, slstm: 4 };
export type Precision = 'f32' | 'f16';
export type Schedule = 'cosine' | 'linear' | 'constant';
export type Optimizer = 'adamw';

/** How the official code rounds a projection: ceil/floor(factor·E / multiple)·multiple. */
export interface ProjRounding {
  projFactor: number;
  roundProjUpDimUp: boolean;
  roundProjUpToMultipleOf: number;
}

export interface FfnSpec extends ProjRounding {
  /** F, the up-projection dim (the official `_proj_up_dim`). */
  upDim: number;
  act: Activation;
  bias: boolean;
  dropout: number;
  ffType: 'ffn_gated';
}

export interface MlstmSpec extends ProjRounding {
  numHeads: number;
  /** DH = innerDim / numHeads. */
  headDim: number;
  /** I, the official `_inner_embedding_dim` (= `_proj_up_dim`). */
  innerDim: number;
  qkvProjBlocksize: number;
  /** P = innerDim / qkvProjBlocksize (integer division, as the official code). */
  numQkvBlocks: number;
  convKernel: number;
  /** Biases of proj_up, q/k/v and proj_down: the top-level `bias`. */
  bias: boolean;
  dropout: number;
}

/** Fields that only the official CUDA backend reads; carried so configs round-trip exactly. */
export interface SlstmCudaOptions {
  batchSize: number;
  dtype: string;
  dtypeB: string;
  dtypeR: string;
  dtypeW: string;
  dtypeG: string;
  dtypeS: string;
  dtypeA: string;
  enableAutomaticMixedPrecision: boolean;
  gradientRecurrentCut: boolean;
  gradientRecurrentClipval: number | null;
  forwardClipval: number | null;
  inputShape: string;
  internalInputShape: string;
  outputShape: string;
  initialVal: number;
  constants: Record<string, unknown>;
}

export interface SlstmSpec {
  numHeads: number;
  /** DH = embeddingDim / numHeads. */
  headDim: number;
  /** 0 means no conv (and no SiLU). */
  convKernel: number;
  backend: SlstmBackend;
  function: SlstmFunction;
  biasInit: SlstmBiasInit;
  recurrentWeightInit: SlstmRecurrentInit;
  groupNormWeight: boolean;
  numGates: number;
  numStates: number;
  dropout: number;
  cuda: SlstmCudaOptions;
  /** Every sLSTM block's FFN; null when the official `feedforward` is null. */
  ffn: FfnSpec | null;
}

export type BlockSpec =
  | ({ kind: 'mlstm'; index: number } & MlstmSpec)
  | ({ kind: 'slstm'; index: number } & SlstmSpec);

export interface TrainSpec {
  optimizer: Optimizer;
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  batch: number;
  /** Global gradient-norm clip; null = no clipping. */
  clip: number | null;
  warmup: number;
  schedule: Schedule;
  /** Final learning rate as a fraction of lr at the end of the decay. */
  minLrRatio: number;
  steps: number;
  gradAccum: number;
  seqLen: number;
}

export interface ModelSpec {
  name: string;
  vocabSize: number;
  embeddingDim: number;
  numBlocks: number;
  contextLength: number;
  /** Sorted 0-based sLSTM positions; every other block is mLSTM. */
  slstmAt: number[];
  tieWeights: boolean;
  addPostBlocksNorm: boolean;
  bias: boolean;
  dropout: number;
  weightDecayOnEmbedding: boolean;
  addEmbeddingDropout: boolean;
  /** LayerNorm eps (official: 1e-5, fixed). */
  layerNormEps: number;
  /** Added to the mLSTM normaliser after stabilisation (official: 1e-6). */
  mlstmCellEps: number;
  precision: Precision;
  /** The mLSTM block template; null when there is no mLSTM block (official `mlstm_block: null`). */
  mlstm: MlstmSpec | null;
  /** The sLSTM block template; null when there is no sLSTM block. */
  slstm: SlstmSpec | null;
  /** One entry per block, in stack order. */
  blocks: BlockSpec[];
  train: TrainSpec;
  /** Where the model was declared, for comments in generated code. */
  source?: Span;
}

/** The official rounding rule (`xlstm/utils.py`): ceil (or floor) of factor·E to a multiple. */
export function roundProjUpDim(embeddingDim: number, r: ProjRounding): number {
  const raw = r.projFactor * embeddingDim;
  const m = r.roundProjUpToMultipleOf;
  const units = r.roundProjUpDimUp ? Math.ceil(raw / m) : Math.floor(raw / m);
  return units * m;
}
