/**
 * The per-layer half of reading an official config: the mLSTM layer, the sLSTM layer and the gated FFN,
 * each turned into its ModelSpec template after the checks that the official constructors (or this
 * project) would fail on. Field values arrive type-checked and default-filled (read-fields.ts).
 */

import { nearestDivisors, showNearest } from '../check/suggest.js';
import { joinPath, type ImportProblems } from './import-problems.js';
import type { FieldValues } from './read-fields.js';
import {
  roundProjUpDim,
  SLSTM_FUNCTION_STATES,
  type Activation,
  type FfnSpec,
  type MlstmSpec,
  type ProjRounding,
  type SlstmBackend,
  type SlstmBiasInit,
  type SlstmCudaOptions,
  type SlstmFunction,
  type SlstmRecurrentInit,
  type SlstmSpec,
} from '../spec.js';

/** What the top level copies into every layer config. */
export interface TopLevelCopies {
  embeddingDim: number;
  bias: boolean;
  dropout: number;
}

function useInstead(n: number, k: number): string {
  const options = showNearest(nearestDivisors(n, k));
  return options === undefined ? '' : `; use ${options}`;
}

/** nn.Dropout takes p = 1 too, but a layer that drops everything cannot be trained; the checker agrees. */
export function checkDropout(value: number, path: string, problems: ImportProblems): void {
  if (value < 0 || value >= 1) problems.error(path, `${value} must be at least 0 and below 1`);
}

/**
 * `_set_proj_up_dim` of the official `UpProjConfigMixin`: returns the rounded dim, or undefined after
 * reporting why it cannot build a layer.
 */
function projUpDim(values: FieldValues, embeddingDim: number, what: string, prefix: string, problems: ImportProblems): { rounding: ProjRounding; dim?: number } {
  const rounding: ProjRounding = {
    projFactor: values.proj_factor as number,
    roundProjUpDimUp: values.round_proj_up_dim_up as boolean,
    roundProjUpToMultipleOf: values.round_proj_up_to_multiple_of as number,
  };
  if (rounding.roundProjUpToMultipleOf < 1) {
    problems.error(joinPath(prefix, 'round_proj_up_to_multiple_of'), `must be at least 1, got ${rounding.roundProjUpToMultipleOf} (the official code divides by it)`);
    return { rounding };
  }
  const dim = roundProjUpDim(embeddingDim, rounding);
  if (dim < 1) {
    const direction = rounding.roundProjUpDimUp ? 'up' : 'down';
    problems.error(
      joinPath(prefix, 'proj_factor'),
      `${rounding.projFactor} × embedding_dim ${embeddingDim} rounded ${direction} to a multiple of ${rounding.roundProjUpToMultipleOf} gives ${what} ${dim}; it must be at least 1`,
    );
    return { rounding };
  }
  return { rounding, dim };
}

/** `mLSTMLayerConfig` → the mLSTM template (undefined after reporting errors). */
export function mlstmFromOfficial(layer: FieldValues, top: TopLevelCopies, prefix: string, problems: ImportProblems): MlstmSpec | undefined {
  const before = problems.errors.length;
  const { rounding, dim: innerDim } = projUpDim(layer, top.embeddingDim, 'inner dim', prefix, problems);
  const numHeads = layer.num_heads as number;
  const blocksize = layer.qkv_proj_blocksize as number;
  const conv = layer.conv1d_kernel_size as number;
  if (conv < 2) {
    problems.error(
      joinPath(prefix, 'conv1d_kernel_size'),
      `${conv} is not supported: the official mLSTM layer crashes with a kernel size below 2 (0 leaves it without a conv, 1 makes the causal slice empty); use 2 or more`,
    );
  }
  if (numHeads < 1) problems.error(joinPath(prefix, 'num_heads'), `must be at least 1, got ${numHeads}`);
  if (blocksize < 1) problems.error(joinPath(prefix, 'qkv_proj_blocksize'), `must be at least 1, got ${blocksize}`);
  if (innerDim === undefined || numHeads < 1 || blocksize < 1) return undefined;

  if (innerDim % numHeads !== 0) {
    problems.error(
      joinPath(prefix, 'num_heads'),
      `${numHeads} does not divide the inner dim ${innerDim} (proj_factor ${rounding.projFactor} × embedding_dim ${top.embeddingDim}, rounded to a multiple of ${rounding.roundProjUpToMultipleOf})${useInstead(innerDim, numHeads)}`,
    );
  }
  // The official layer builds innerDim // blocksize blocks, each of innerDim / blocks features.
  const numQkvBlocks = Math.floor(innerDim / blocksize);
  if (numQkvBlocks < 1) {
    problems.error(joinPath(prefix, 'qkv_proj_blocksize'), `${blocksize} is larger than the inner dim ${innerDim}${useInstead(innerDim, blocksize)}`);
  } else if (innerDim % numQkvBlocks !== 0) {
    problems.error(
      joinPath(prefix, 'qkv_proj_blocksize'),
      `${blocksize} gives ${innerDim} // ${blocksize} = ${numQkvBlocks} q/k/v blocks, which do not divide the inner dim ${innerDim} (the official LinearHeadwiseExpand rejects this)${useInstead(innerDim, blocksize)}`,
    );
  } else if (innerDim % blocksize !== 0) {
    // The official code runs this with blocks of innerDim / numQkvBlocks; this project asks for that size.
    problems.error(
      joinPath(prefix, 'qkv_proj_blocksize'),
      `${blocksize} does not divide the inner dim ${innerDim} (the official code then builds ${numQkvBlocks} q/k/v blocks of ${innerDim / numQkvBlocks} features); write ${innerDim / numQkvBlocks} for that same model`,
    );
  }
  if (problems.errors.length > before) return undefined;
  return {
    ...rounding,
    numHeads,
    headDim: innerDim / numHeads,
    innerDim,
    qkvProjBlocksize: blocksize,
    numQkvBlocks,
    convKernel: conv,
    bias: top.bias,
    dropout: top.dropout,
  };
}

/** `FeedForwardConfig` → the FFN of every sLSTM block (undefined after reporting errors). */
export function ffnFromOfficial(ff: FieldValues, embeddingDim: number, prefix: string, problems: ImportProblems): FfnSpec | undefined {
  const before = problems.errors.length;
  const { rounding, dim: upDim } = projUpDim(ff, embeddingDim, 'up-projection dim', prefix, problems);
  checkDropout(ff.dropout as number, joinPath(prefix, 'dropout'), problems);
  if (upDim === undefined || problems.errors.length > before) return undefined;
  return {
    ...rounding,
    upDim,
    act: ff.act_fn as Activation,
    bias: ff.bias as boolean,
    dropout: ff.dropout as number,
    ffType: 'ffn_gated',
  };
}

/** The `sLSTMCellConfig.__post_init__` dtype chain: each unset dtype falls back to another. */
function resolveDtypes(layer: FieldValues): Pick<SlstmCudaOptions, 'dtype' | 'dtypeB' | 'dtypeR' | 'dtypeW' | 'dtypeG' | 'dtypeS' | 'dtypeA'> {
  const dtype = layer.dtype as string;
  const pick = (name: string, fallback: string): string => (layer[name] as string | null) ?? fallback;
  const dtypeB = pick('dtype_b', dtype);
  const dtypeR = pick('dtype_r', dtype);
  const dtypeW = pick('dtype_w', dtype);
  return {
    dtype,
    dtypeB,
    dtypeR,
    dtypeW,
    dtypeG: pick('dtype_g', dtypeR),
    dtypeS: pick('dtype_s', dtypeW),
    dtypeA: pick('dtype_a', dtypeB),
  };
}

function cudaOptionsFromOfficial(layer: FieldValues, prefix: string, problems: ImportProblems): SlstmCudaOptions | undefined {
  const before = problems.errors.length;
  // These two decide how the layer's [batch, time, ...] tensors are read and written; other values change
  // what the official model computes (or crash it), so only the defaults describe a runnable model.
  if (layer.input_shape !== 'BSGNH') {
    problems.error(joinPath(prefix, 'input_shape'), `"${layer.input_shape}" makes the official sLSTM cell read its [batch, time] input as [time, batch]; only "BSGNH" is supported`);
  }
  if (layer.output_shape !== 'BNSH') {
    problems.error(joinPath(prefix, 'output_shape'), `"${layer.output_shape}" does not match what the official sLSTM layer expects from its cell; only "BNSH" is supported`);
  }
  if (typeof layer.initial_val !== 'number') {
    problems.error(joinPath(prefix, 'initial_val'), 'a list of initial values is not supported (the field is unused by the official code); use a number');
  }
  const batchSize = layer.batch_size as number;
  if (batchSize < 1) problems.error(joinPath(prefix, 'batch_size'), `must be at least 1, got ${batchSize}`);
  if (problems.errors.length > before) return undefined;
  return {
    batchSize,
    ...resolveDtypes(layer),
    enableAutomaticMixedPrecision: layer.enable_automatic_mixed_precision as boolean,
    gradientRecurrentCut: layer.gradient_recurrent_cut as boolean,
    gradientRecurrentClipval: layer.gradient_recurrent_clipval as number | null,
    forwardClipval: layer.forward_clipval as number | null,
    inputShape: layer.input_shape as string,
    internalInputShape: layer.internal_input_shape as string,
    outputShape: layer.output_shape as string,
    initialVal: layer.initial_val as number,
    constants: { ...(layer.constants as Record<string, unknown>) },
  };
}

/** `sLSTMLayerConfig` plus the block's `feedforward` → the sLSTM template (undefined after reporting errors). */
export function slstmFromOfficial(
  layer: FieldValues,
  feedforward: FieldValues | null,
  top: TopLevelCopies,
  prefixes: { layer: string; feedforward: string },
  problems: ImportProblems,
): SlstmSpec | undefined {
  const before = problems.errors.length;
  const E = top.embeddingDim;
  const at = (name: string): string => joinPath(prefixes.layer, name);
  let numHeads = layer.num_heads as number;
  if (numHeads <= 0) {
    problems.warn(at('num_heads'), `${numHeads} becomes 1 (the official sLSTMCellConfig replaces num_heads <= 0 with 1)`);
    numHeads = 1;
  }
  if (E % numHeads !== 0) {
    problems.error(at('num_heads'), `${numHeads} does not divide embedding_dim ${E}${useInstead(E, numHeads)}`);
  } else if (E / numHeads === 1 && layer.bias_init === 'powerlaw_blockdependent') {
    problems.error(
      at('num_heads'),
      `${numHeads} heads of embedding_dim ${E} give head dim 1, for which bias_init "powerlaw_blockdependent" divides by zero (NaN biases); use fewer heads or another bias_init`,
    );
  }
  const conv = layer.conv1d_kernel_size as number;
  if (conv === 1) {
    problems.error(at('conv1d_kernel_size'), '1 crashes the official code (the causal conv slice is empty); use 0 for no convolution, or 2 or more');
  } else if (conv < 0) {
    problems.error(at('conv1d_kernel_size'), `${conv} is not supported; use 0 for no convolution, or 2 or more`);
  }
  if (layer.num_gates !== 4) {
    problems.error(at('num_gates'), `only 4 is supported (the gates i, f, z, o), got ${layer.num_gates}`);
  }
  const cuda = cudaOptionsFromOfficial(layer, prefixes.layer, problems);
  const ffn = feedforward === null ? null : ffnFromOfficial(feedforward, E, prefixes.feedforward, problems);
  if (problems.errors.length > before || cuda === undefined || ffn === undefined) return undefined;
  const fn = layer.function as SlstmFunction;
  return {
    numHeads,
    headDim: E / numHeads,
    convKernel: conv,
    backend: layer.backend as SlstmBackend,
    function: fn,
    biasInit: layer.bias_init as SlstmBiasInit,
    recurrentWeightInit: layer.recurrent_weight_init as SlstmRecurrentInit,
    groupNormWeight: layer.group_norm_weight as boolean,
    numGates: 4,
    numStates: SLSTM_FUNCTION_STATES[fn],
    dropout: top.dropout,
    cuda,
    ffn,
  };
}
