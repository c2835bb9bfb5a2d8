import type { BlockSpec, ModelSpec } from '../../../compiler/spec.js';
import { activationBackward, activationForward } from '../ops/activations.js';
import { causalConv1dBackward, causalConv1dForward, causalConv1dStep } from '../ops/causal-conv1d.js';
import { concatColumns, splitColumns } from '../ops/columns.js';
import { headwiseBackward, headwiseForward } from '../ops/headwise.js';
import { linearBackward, linearForward } from '../ops/linear.js';
import type { MlstmInputs } from '../ops/mlstm-heads.js';
import { mlstmParallelBackward, mlstmParallelForward } from '../ops/mlstm-parallel.js';
import { mlstmRecurrentStep, type MlstmState } from '../ops/mlstm-recurrent.js';
import { multiHeadLayerNormBackward, multiHeadLayerNormForward } from '../ops/multi-head-layer-norm.js';
import type { WeightStore } from '../weight-store.js';
import { add, multiply, type LayerPass, type SequenceShape } from './layer-pass.js';

/**
 * The official `mLSTMLayer` (input already normed), names relative to `blocks.{i}.xlstm.`:
 *
 *   [x_m | z] = x·proj_upᵀ (+b);  c = SiLU(conv(x_m))
 *   q = Headwise(c), k = Headwise(c), v = Headwise(x_m)          (v reads the pre-conv x_m)
 *   ĩ, f̃ = [q | k | v]·{igate, fgate}ᵀ + bias;  h = outnorm(mLSTMCell(q, k, v, ĩ, f̃))
 *   y = ((h + learnable_skip ⊙ c) ⊙ SiLU(z))·proj_downᵀ (+b)
 */

export type MlstmBlock = Extract<BlockSpec, { kind: 'mlstm' }>;

/** Dims and optional biases of one mLSTM layer, read once from the spec and the weights. */
function layerParts(block: MlstmBlock, p: WeightStore) {
  const I = block.innerDim;
  const bias = (name: string) => (block.bias ? p.get(name) : null);
  return {
    I,
    NH: block.numHeads,
    DH: block.headDim,
    K: block.convKernel,
    qkv: { blocks: block.numQkvBlocks, blockSize: I / block.numQkvBlocks },
    upBias: bias('proj_up.bias'),
    downBias: bias('proj_down.bias'),
    qkvBias: (name: 'q' | 'k' | 'v') => bias(`${name}_proj.bias`),
  };
}

/** q, k, v and the gate pre-activations from the conv branch c and the pre-conv branch x_m. */
function cellInputs(block: MlstmBlock, p: WeightStore, c: Float64Array, xm: Float64Array, rows: number) {
  const { I, NH, qkv, qkvBias } = layerParts(block, p);
  const headwise = { rows, ...qkv };
  const q = headwiseForward(c, p.get('q_proj.weight'), qkvBias('q'), headwise);
  const k = headwiseForward(c, p.get('k_proj.weight'), qkvBias('k'), headwise);
  const v = headwiseForward(xm, p.get('v_proj.weight'), qkvBias('v'), headwise);
  const gateIn = concatColumns([q, k, v], rows, [I, I, I]);
  const gate = (name: 'igate' | 'fgate') =>
    linearForward(gateIn, p.get(`mlstm_cell.${name}.weight`), p.get(`mlstm_cell.${name}.bias`), rows, 3 * I, NH);
  const cell: MlstmInputs = { q, k, v, igate: gate('igate'), fgate: gate('fgate') };
  return { cell, gateIn };
}

export function mlstmLayerForward(spec: ModelSpec, block: MlstmBlock, p: WeightStore, x: Float64Array, shape: SequenceShape): LayerPass {
  const { batch: B, time: T } = shape;
  const rows = B * T;
  const E = spec.embeddingDim;
  const { I, NH, DH, K, qkv, upBias, downBias } = layerParts(block, p);
  const headwise = { rows, ...qkv };
  const convDims = { batch: B, time: T, features: I, kernel: K };
  const cellDims = { batch: B, time: T, heads: NH, headDim: DH };

  const u = linearForward(x, p.get('proj_up.weight'), upBias, rows, E, 2 * I);
  const [xm, z] = splitColumns(u, rows, [I, I]);
  const convOut = causalConv1dForward(xm, p.get('conv1d.conv.weight'), p.get('conv1d.conv.bias'), convDims);
  const c = activationForward('swish', convOut);
  const { cell, gateIn } = cellInputs(block, p, c, xm, rows);
  const hCell = mlstmParallelForward(cell, cellDims, spec.mlstmCellEps);
  const outnormWeight = p.get('mlstm_cell.outnorm.weight');
  const norm = multiHeadLayerNormForward(hCell, outnormWeight, { rows, heads: NH, headDim: DH }, spec.layerNormEps);
  const skip = p.get('learnable_skip');
  const hSkip = norm.y.map((v, i) => v + skip[i % I] * c[i]);
  const zAct = activationForward('swish', z);
  const gated = multiply(hSkip, zAct);
  const y = linearForward(gated, p.get('proj_down.weight'), downBias, rows, I, E);

  const backward = (dy: Float64Array): Float64Array => {
    const down = linearBackward(dy, gated, p.get('proj_down.weight'), downBias !== null, rows, I, E);
    p.addGrad('proj_down.weight', down.dWeight);
    p.addGrad('proj_down.bias', down.dBias);
    const dhSkip = multiply(down.dx, zAct);
    const dz = activationBackward('swish', z, multiply(down.dx, hSkip));
    const dSkip = new Float64Array(I);
    dhSkip.forEach((g, i) => (dSkip[i % I] += g * c[i]));
    p.addGrad('learnable_skip', dSkip);
    const dc = dhSkip.map((g, i) => g * skip[i % I]);
    const dNorm = multiHeadLayerNormBackward(dhSkip, outnormWeight, norm.cache, { rows, heads: NH, headDim: DH });
    p.addGrad('mlstm_cell.outnorm.weight', dNorm.dWeight);
    const dCell = mlstmParallelBackward(dNorm.dx, cell, cellDims, spec.mlstmCellEps);
    const dGateIn = new Float64Array(rows * 3 * I);
    for (const [gate, dPre] of [['igate', dCell.dIgate], ['fgate', dCell.dFgate]] as const) {
      const g = linearBackward(dPre, gateIn, p.get(`mlstm_cell.${gate}.weight`), true, rows, 3 * I, NH);
      p.addGrad(`mlstm_cell.${gate}.weight`, g.dWeight);
      p.addGrad(`mlstm_cell.${gate}.bias`, g.dBias);
      g.dx.forEach((v, i) => (dGateIn[i] += v));
    }
    const [dqGate, dkGate, dvGate] = splitColumns(dGateIn, rows, [I, I, I]);
    const dxm = new Float64Array(rows * I);
    for (const [name, dOut, input, dInput] of [
      ['q', add(dCell.dq, dqGate), c, dc],
      ['k', add(dCell.dk, dkGate), c, dc],
      ['v', add(dCell.dv, dvGate), xm, dxm],
    ] as const) {
      const g = headwiseBackward(dOut, input, p.get(`${name}_proj.weight`), block.bias, headwise);
      p.addGrad(`${name}_proj.weight`, g.dWeight);
      p.addGrad(`${name}_proj.bias`, g.dBias);
      g.dx.forEach((v, i) => (dInput[i] += v));
    }
    const conv = causalConv1dBackward(activationBackward('swish', convOut, dc), xm, p.get('conv1d.conv.weight'), convDims);
    p.addGrad('conv1d.conv.weight', conv.dWeight);
    p.addGrad('conv1d.conv.bias', conv.dBias);
    const up = linearBackward(concatColumns([add(dxm, conv.dx), dz], rows, [I, I]), x, p.get('proj_up.weight'), upBias !== null, rows, E, 2 * I);
    p.addGrad('proj_up.weight', up.dWeight);
    p.addGrad('proj_up.bias', up.dBias);
    return up.dx;
  };
  return { y, backward };
}

/** The recurrent state of one mLSTM layer: the cell's (C, n, m) and the conv window [B, K, I]. */
export interface MlstmLayerState {
  cell: MlstmState;
  conv: Float64Array;
}

/** One step of the official `mLSTMLayer.step`: x [B, E] → y [B, E], state updated in place. */
export function mlstmLayerStep(spec: ModelSpec, block: MlstmBlock, p: WeightStore, x: Float64Array, state: MlstmLayerState, batch: number): Float64Array {
  const E = spec.embeddingDim;
  const { I, NH, DH, K, upBias, downBias } = layerParts(block, p);
  const [xm, z] = splitColumns(linearForward(x, p.get('proj_up.weight'), upBias, batch, E, 2 * I), batch, [I, I]);
  const c = activationForward('swish', causalConv1dStep(state.conv, xm, p.get('conv1d.conv.weight'), p.get('conv1d.conv.bias'), batch, I, K));
  const { cell } = cellInputs(block, p, c, xm, batch);
  const hCell = mlstmRecurrentStep(state.cell, cell, { batch, heads: NH, headDim: DH }, spec.mlstmCellEps);
  const h = multiHeadLayerNormForward(hCell, p.get('mlstm_cell.outnorm.weight'), { rows: batch, heads: NH, headDim: DH }, spec.layerNormEps).y;
  const skip = p.get('learnable_skip');
  const zAct = activationForward('swish', z);
  const gated = h.map((v, i) => (v + skip[i % I] * c[i]) * zAct[i]);
  return linearForward(gated, p.get('proj_down.weight'), downBias, batch, I, E);
}
