import type { BlockSpec, ModelSpec } from './spec.js';

/**
 * Forward cost and recurrent state of a resolved model.
 *
 * FLOPs count 2 per multiply-add of every matmul-like op of one token's forward pass (elementwise
 * work, norms, activations and the softmax are not counted):
 *   mLSTM block: proj_up 2·E·2I + conv 2·K·I + q/k/v headwise 3·2·I·b (b = I/P features per block)
 *                + igate/fgate 2·2·3I·NH + cell 4·T·I + proj_down 2·I·E,
 *     where the cell term is the parallel form at the context length T: per token, one row of
 *     q·kᵀ (T·DH multiply-adds per head) and of C·v (the same); the official form computes the
 *     full T×T matrix and masks it, so every row costs T, not t.
 *   sLSTM block: conv 2·K·E + four headwise gate projections 4·2·E·DH + recurrent kernel 2·E·4·DH
 *                + FFN (proj_up 2·E·2F + proj_down 2·F·E).
 *   LM head: 2·E·V. The embedding lookup is a gather (0).
 * State per sequence is what the step API carries between tokens, in floats:
 *   mLSTM: C [NH,DH,DH] + n [NH,DH] + m [NH] + conv state [K,I] (the official conv_state keeps K inputs);
 *   sLSTM: y, c, n, m [4,E] + conv state [K,E] when K > 0.
 */
export function blockFlopsPerToken(b: BlockSpec, E: number, T: number): number {
  if (b.kind === 'mlstm') {
    const I = b.innerDim;
    const blockSize = I / b.numQkvBlocks;
    return 2 * E * 2 * I + 2 * b.convKernel * I + 3 * 2 * I * blockSize + 2 * 2 * 3 * I * b.numHeads + 4 * T * I + 2 * I * E;
  }
  const ffn = b.ffn === null ? 0 : 2 * E * 2 * b.ffn.upDim + 2 * b.ffn.upDim * E;
  return 2 * b.convKernel * E + 4 * 2 * E * b.headDim + 2 * E * 4 * b.headDim + ffn;
}

export function lmHeadFlopsPerToken(spec: ModelSpec): number {
  return 2 * spec.embeddingDim * spec.vocabSize;
}

export function flopsPerToken(spec: ModelSpec): number {
  const blocks = spec.blocks.reduce((n, b) => n + blockFlopsPerToken(b, spec.embeddingDim, spec.contextLength), 0);
  return blocks + lmHeadFlopsPerToken(spec);
}

export function blockStateFloats(b: BlockSpec, E: number): number {
  if (b.kind === 'mlstm') {
    const { numHeads: NH, headDim: DH } = b;
    return NH * DH * DH + NH * DH + NH + b.convKernel * b.innerDim;
  }
  return 4 * E + b.convKernel * E;
}

export function stateFloats(spec: ModelSpec): number {
  return spec.blocks.reduce((n, b) => n + blockStateFloats(b, spec.embeddingDim), 0);
}

export const F32_BYTES = 4;
