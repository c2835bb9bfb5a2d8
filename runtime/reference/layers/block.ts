import type { BlockSpec, FfnSpec, ModelSpec } from '../../../compiler/spec.js';
import { gatedFfnBackward, gatedFfnForward, type GatedFfnWeights } from '../ops/gated-ffn.js';
import { layerNormBackward, layerNormForward } from '../ops/layer-norm.js';
import type { WeightStore } from '../weight-store.js';
import { add, type LayerPass, type SequenceShape } from './layer-pass.js';
import { mlstmLayerForward, mlstmLayerStep, type MlstmLayerState } from './mlstm-layer.js';
import { slstmLayerForward, slstmLayerStep, type SlstmLayerState } from './slstm-layer.js';

/**
 * The official `xLSTMBlock`, names relative to `xlstm_block_stack.blocks.{i}.`: pre-norm residual
 * x + layer(LN(x; xlstm_norm)), and for sLSTM blocks with a feed-forward also x + FFN(LN(x; ffn_norm)).
 */

export interface BlockPass extends LayerPass {
  /** The mLSTM/sLSTM layer's output before the residual add (golden activation `blocks.{i}.xlstm`). */
  layerOutput: Float64Array;
}

/** y = x + inner(LN(x; norm)), rows of width E; `body` is the inner pass. */
function normedResidual(
  spec: ModelSpec,
  p: WeightStore,
  normName: string,
  x: Float64Array,
  rows: number,
  inner: (xn: Float64Array) => LayerPass,
): LayerPass & { body: LayerPass } {
  const E = spec.embeddingDim;
  const normWeight = p.get(normName);
  const norm = layerNormForward(x, normWeight, rows, E, spec.layerNormEps);
  const body = inner(norm.y);
  return {
    y: add(x, body.y),
    body,
    backward: (dy) => {
      const dNorm = layerNormBackward(body.backward(dy), normWeight, norm.cache, rows, E);
      p.addGrad(normName, dNorm.dWeight);
      return add(dy, dNorm.dx);
    },
  };
}

function ffnWeights(ffn: FfnSpec, p: WeightStore): GatedFfnWeights {
  const bias = (name: string) => (ffn.bias ? p.get(name) : null);
  return {
    upWeight: p.get('ffn.proj_up.weight'),
    upBias: bias('ffn.proj_up.bias'),
    downWeight: p.get('ffn.proj_down.weight'),
    downBias: bias('ffn.proj_down.bias'),
  };
}

function ffnPass(spec: ModelSpec, ffn: FfnSpec, p: WeightStore, x: Float64Array, rows: number): LayerPass {
  const w = ffnWeights(ffn, p);
  const dims = { rows, dim: spec.embeddingDim, upDim: ffn.upDim };
  return {
    y: gatedFfnForward(x, w, ffn.act, dims),
    backward: (dy) => {
      const g = gatedFfnBackward(dy, x, w, ffn.act, dims);
      p.addGrad('ffn.proj_up.weight', g.dUpWeight);
      p.addGrad('ffn.proj_up.bias', g.dUpBias);
      p.addGrad('ffn.proj_down.weight', g.dDownWeight);
      p.addGrad('ffn.proj_down.bias', g.dDownBias);
      return g.dx;
    },
  };
}

export function blockForward(spec: ModelSpec, block: BlockSpec, p: WeightStore, x: Float64Array, shape: SequenceShape): BlockPass {
  const rows = shape.batch * shape.time;
  const layer = p.scoped('xlstm.');
  const mixer = normedResidual(spec, p, 'xlstm_norm.weight', x, rows, (xn) =>
    block.kind === 'mlstm' ? mlstmLayerForward(spec, block, layer, xn, shape) : slstmLayerForward(spec, block, layer, xn, shape),
  );
  const layerOutput = mixer.body.y;
  if (block.kind === 'mlstm' || block.ffn === null) return { y: mixer.y, layerOutput, backward: mixer.backward };
  const ffnSpec = block.ffn;
  const ffn = normedResidual(spec, p, 'ffn_norm.weight', mixer.y, rows, (xn) => ffnPass(spec, ffnSpec, p, xn, rows));
  return { y: ffn.y, layerOutput, backward: (dy) => mixer.backward(ffn.backward(dy)) };
}

export type BlockState = ({ kind: 'mlstm' } & MlstmLayerState) | ({ kind: 'slstm' } & SlstmLayerState);

/** One step of the official `xLSTMBlock.step`: x [B, E] → [B, E], state updated in place. */
export function blockStep(spec: ModelSpec, block: BlockSpec, p: WeightStore, x: Float64Array, state: BlockState, batch: number): Float64Array {
  const E = spec.embeddingDim;
  const residual = (input: Float64Array, normName: string, inner: (xn: Float64Array) => Float64Array) =>
    add(input, inner(layerNormForward(input, p.get(normName), batch, E, spec.layerNormEps).y));
  const layer = p.scoped('xlstm.');
  const mixed = residual(x, 'xlstm_norm.weight', (xn) => {
    if (block.kind === 'mlstm' && state.kind === 'mlstm') return mlstmLayerStep(spec, block, layer, xn, state, batch);
    if (block.kind === 'slstm' && state.kind === 'slstm') return slstmLayerStep(spec, block, layer, xn, state, batch);
    throw new Error(`block ${block.index} is an ${block.kind} block but its state is ${state.kind}`);
  });
  if (block.kind === 'mlstm' || block.ffn === null) return mixed;
  const ffn = block.ffn;
  return residual(mixed, 'ffn_norm.weight', (xn) => gatedFfnForward(xn, ffnWeights(ffn, p), ffn.act, { rows: batch, dim: E, upDim: ffn.upDim }));
}
