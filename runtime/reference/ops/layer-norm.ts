import { multiHeadLayerNormBackward, multiHeadLayerNormForward, type NormCache } from './multi-head-layer-norm.js';

/**
 * The official `LayerNorm` (`xlstm/components/ln.py`): (x − mean)/√(var + eps) · (1 + w) over the last
 * dim, no bias. It is exactly the one-head MultiHeadLayerNorm, so it shares that implementation.
 */

export function layerNormForward(
  x: Float64Array,
  weight: Float64Array,
  rows: number,
  dim: number,
  eps: number,
): { y: Float64Array; cache: NormCache } {
  return multiHeadLayerNormForward(x, weight, { rows, heads: 1, headDim: dim }, eps);
}

export function layerNormBackward(
  dy: Float64Array,
  weight: Float64Array,
  cache: NormCache,
  rows: number,
  dim: number,
): { dx: Float64Array; dWeight: Float64Array } {
  return multiHeadLayerNormBackward(dy, weight, cache, { rows, heads: 1, headDim: dim });
}
