import { EMBEDDING_NAME, POST_NORM_NAME } from '../../../compiler/params.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { embeddingBackward, embeddingForward } from '../ops/embedding.js';
import { layerNormBackward, layerNormForward } from '../ops/layer-norm.js';
import { linearBackward, linearForward } from '../ops/linear.js';
import { lmHeadName, type WeightStore } from '../weight-store.js';
import type { LayerPass } from './layer-pass.js';

/**
 * Token embedding [rows] → [rows, E]; its backward adds the scatter-add into the embedding's gradient
 * and returns an empty array (token ids have no gradient).
 */
export function embeddingPass(spec: ModelSpec, p: WeightStore, tokens: Int32Array): LayerPass {
  const V = spec.vocabSize;
  const E = spec.embeddingDim;
  return {
    y: embeddingForward(p.get(EMBEDDING_NAME), tokens, V, E),
    backward: (dy) => {
      p.addGrad(EMBEDDING_NAME, embeddingBackward(dy, tokens, V, E));
      return new Float64Array(0);
    },
  };
}

/** The post-blocks norm (identity when the model has none); its output is the golden activation `post_blocks_norm`. */
export function postNormPass(spec: ModelSpec, p: WeightStore, x: Float64Array, rows: number): LayerPass {
  if (!spec.addPostBlocksNorm) return { y: x, backward: (dy) => dy };
  const E = spec.embeddingDim;
  const weight = p.get(POST_NORM_NAME);
  const norm = layerNormForward(x, weight, rows, E, spec.layerNormEps);
  return {
    y: norm.y,
    backward: (dy) => {
      const g = layerNormBackward(dy, weight, norm.cache, rows, E);
      p.addGrad(POST_NORM_NAME, g.dWeight);
      return g.dx;
    },
  };
}

/** logits = x·lm_headᵀ (no bias); with tied weights the gradient goes to the embedding. */
export function lmHeadPass(spec: ModelSpec, p: WeightStore, x: Float64Array, rows: number): LayerPass {
  const V = spec.vocabSize;
  const E = spec.embeddingDim;
  const name = lmHeadName(spec);
  const weight = p.get(name);
  return {
    y: linearForward(x, weight, null, rows, E, V),
    backward: (dy) => {
      const g = linearBackward(dy, x, weight, false, rows, E, V);
      p.addGrad(name, g.dWeight);
      return g.dx;
    },
  };
}
