import type { BlockSpec, ModelSpec } from '../../../compiler/spec.js';
import { activationBackward, activationForward } from '../ops/activations.js';
import { causalConv1dBackward, causalConv1dForward, causalConv1dStep } from '../ops/causal-conv1d.js';
import { concatColumns, splitColumns } from '../ops/columns.js';
import { headwiseBackward, headwiseForward } from '../ops/headwise.js';
import { multiHeadLayerNormBackward, multiHeadLayerNormForward } from '../ops/multi-head-layer-norm.js';
import { slstmBackward, slstmForward, slstmStep, type SlstmState } from '../ops/slstm.js';
import type { WeightStore } from '../weight-store.js';
import type { LayerPass, SequenceShape } from './layer-pass.js';

/**
 * The official `sLSTMLayer` (input already normed), names relative to `blocks.{i}.xlstm.`:
 *
 *   c = SiLU(conv(x)) if conv1d_kernel_size > 0 else x
 *   ĩ = Headwise(c; fgate), f̃ = Headwise(c; igate)     ← sic: the official layer swaps the two modules
 *   z̃ = Headwise(x; zgate), õ = Headwise(x; ogate)
 *   y = group_norm(sLSTMCell([ĩ | f̃ | z̃ | õ]))
 */

export type SlstmBlock = Extract<BlockSpec, { kind: 'slstm' }>;

/** Which module produces each cell gate, in the cell's gate order (i, f, z, o), and whether it reads c or x. */
const GATE_SOURCES = [
  { module: 'fgate', readsConv: true },
  { module: 'igate', readsConv: true },
  { module: 'zgate', readsConv: false },
  { module: 'ogate', readsConv: false },
] as const;

function groupNormWeight(block: SlstmBlock, p: WeightStore, E: number): Float64Array {
  return block.groupNormWeight ? p.get('group_norm.weight') : new Float64Array(E);
}

function cellInput(block: SlstmBlock, p: WeightStore, x: Float64Array, c: Float64Array, rows: number, E: number): Float64Array {
  const headwise = { rows, blocks: block.numHeads, blockSize: block.headDim };
  const gates = GATE_SOURCES.map((g) => headwiseForward(g.readsConv ? c : x, p.get(`${g.module}.weight`), null, headwise));
  return concatColumns(gates, rows, [E, E, E, E]);
}

export function slstmLayerForward(spec: ModelSpec, block: SlstmBlock, p: WeightStore, x: Float64Array, shape: SequenceShape): LayerPass {
  const { batch: B, time: T } = shape;
  const rows = B * T;
  const E = spec.embeddingDim;
  const NH = block.numHeads;
  const DH = block.headDim;
  const convDims = { batch: B, time: T, features: E, kernel: block.convKernel };
  const hasConv = block.convKernel > 0;
  const convOut = hasConv ? causalConv1dForward(x, p.get('conv1d.conv.weight'), p.get('conv1d.conv.bias'), convDims) : x;
  const c = hasConv ? activationForward('swish', convOut) : x;
  const cellIn = cellInput(block, p, x, c, rows, E);
  const kernel = p.get('slstm_cell._recurrent_kernel_');
  const bias = p.get('slstm_cell._bias_');
  const cellDims = { batch: B, time: T, heads: NH, headDim: DH };
  const h = slstmForward(cellIn, kernel, bias, cellDims);
  const normWeight = groupNormWeight(block, p, E);
  const norm = multiHeadLayerNormForward(h, normWeight, { rows, heads: NH, headDim: DH }, spec.layerNormEps);

  const backward = (dy: Float64Array): Float64Array => {
    const dNorm = multiHeadLayerNormBackward(dy, normWeight, norm.cache, { rows, heads: NH, headDim: DH });
    if (block.groupNormWeight) p.addGrad('group_norm.weight', dNorm.dWeight);
    const dCell = slstmBackward(dNorm.dx, cellIn, kernel, bias, cellDims);
    p.addGrad('slstm_cell._recurrent_kernel_', dCell.dKernel);
    p.addGrad('slstm_cell._bias_', dCell.dBias);
    const dGates = splitColumns(dCell.dx, rows, [E, E, E, E]);
    const dx = new Float64Array(rows * E);
    const dc = hasConv ? new Float64Array(rows * E) : dx;
    const headwise = { rows, blocks: NH, blockSize: DH };
    GATE_SOURCES.forEach((g, gate) => {
      const grads = headwiseBackward(dGates[gate], g.readsConv ? c : x, p.get(`${g.module}.weight`), false, headwise);
      p.addGrad(`${g.module}.weight`, grads.dWeight);
      const dInput = g.readsConv ? dc : dx;
      grads.dx.forEach((v, i) => (dInput[i] += v));
    });
    if (hasConv) {
      const conv = causalConv1dBackward(activationBackward('swish', convOut, dc), x, p.get('conv1d.conv.weight'), convDims);
      p.addGrad('conv1d.conv.weight', conv.dWeight);
      p.addGrad('conv1d.conv.bias', conv.dBias);
      conv.dx.forEach((v, i) => (dx[i] += v));
    }
    return dx;
  };
  return { y: norm.y, backward };
}

/** The recurrent state of one sLSTM layer: the cell's (y, c, n, m) and the conv window [B, K, E] (null without conv). */
export interface SlstmLayerState {
  cell: SlstmState;
  conv: Float64Array | null;
}

/** One step of the official `sLSTMLayer.step`: x [B, E] → y [B, E], state updated in place. */
export function slstmLayerStep(spec: ModelSpec, block: SlstmBlock, p: WeightStore, x: Float64Array, state: SlstmLayerState, batch: number): Float64Array {
  const E = spec.embeddingDim;
  const c =
    state.conv === null
      ? x
      : activationForward('swish', causalConv1dStep(state.conv, x, p.get('conv1d.conv.weight'), p.get('conv1d.conv.bias'), batch, E, block.convKernel));
  const dims = { batch, heads: block.numHeads, headDim: block.headDim };
  const h = slstmStep(state.cell, cellInput(block, p, x, c, batch, E), p.get('slstm_cell._recurrent_kernel_'), p.get('slstm_cell._bias_'), dims);
  return multiHeadLayerNormForward(h, groupNormWeight(block, p, E), { rows: batch, heads: block.numHeads, headDim: block.headDim }, spec.layerNormEps).y;
}
