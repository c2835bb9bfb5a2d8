import { blockPrefix } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { blockStep, type BlockState } from './layers/block.js';
import { embeddingPass, lmHeadPass, postNormPass } from './layers/embedding-and-head.js';
import { validateTokens } from './model.js';
import { createMlstmState } from './ops/mlstm-recurrent.js';
import { createSlstmState } from './ops/slstm.js';
import { setTimeStep } from './ops/time-steps.js';
import { validateReferenceWeights, WeightStore, type ReferenceWeights } from './weight-store.js';

/**
 * Recurrent inference, as the official step API (`xLSTMLMModel.step`) computes it: one token per
 * sequence at a time, O(1) memory per token, any number of steps. The mLSTM cell uses the recurrent
 * stabiliser, so results match the golden `logits_step` (and differ from the parallel `logits` by
 * ~1e-8, see golden/README.md).
 */

/** Per block, in stack order: mLSTM (C, n, m) + conv window [B, K, I]; sLSTM (y, c, n, m) + conv window [B, K, E] or null. */
export interface ReferenceState {
  batch: number;
  blocks: BlockState[];
}

/** The all-zero state the official step API starts from (`state = None`). */
export function createReferenceState(spec: ModelSpec, batch: number): ReferenceState {
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`batch size must be a positive integer, got ${batch}`);
  const E = spec.embeddingDim;
  const blocks = spec.blocks.map((b): BlockState =>
    b.kind === 'mlstm'
      ? { kind: 'mlstm', cell: createMlstmState(batch, b.numHeads, b.headDim), conv: new Float64Array(batch * b.convKernel * b.innerDim) }
      : { kind: 'slstm', cell: createSlstmState(batch, E), conv: b.convKernel > 0 ? new Float64Array(batch * b.convKernel * E) : null },
  );
  return { batch, blocks };
}

/** Feeds one token per sequence (tokens [B]); returns logits [B, V] and advances `state` in place. */
export function referenceStep(spec: ModelSpec, weights: ReferenceWeights, tokens: Int32Array, state: ReferenceState): Float64Array {
  validateReferenceWeights(spec, weights);
  validateTokens(spec, tokens, state.batch, 1, 'tokens');
  if (state.blocks.length !== spec.blocks.length) throw new UserError(`state has ${state.blocks.length} blocks, the model ${spec.blocks.length}`);
  return stepUnchecked(spec, new WeightStore(weights), tokens, state);
}

function stepUnchecked(spec: ModelSpec, store: WeightStore, tokens: Int32Array, state: ReferenceState): Float64Array {
  const B = state.batch;
  let x = embeddingPass(spec, store, tokens).y;
  spec.blocks.forEach((block, i) => {
    x = blockStep(spec, block, store.scoped(blockPrefix(block.index)), x, state.blocks[i], B);
  });
  return lmHeadPass(spec, store, postNormPass(spec, store, x, B).y, B).y;
}

/** Steps through a whole [B, T] input from the zero state; returns logits [B, T, V] (golden `logits_step`). */
export function referenceForwardRecurrent(spec: ModelSpec, weights: ReferenceWeights, inputs: Int32Array, batch: number, time: number): Float64Array {
  validateReferenceWeights(spec, weights);
  validateTokens(spec, inputs, batch, time, 'inputs');
  const V = spec.vocabSize;
  const store = new WeightStore(weights);
  const state = createReferenceState(spec, batch);
  const logits = new Float64Array(batch * time * V);
  for (let t = 0; t < time; t++) {
    const tokens = Int32Array.from({ length: batch }, (_, b) => inputs[b * time + t]);
    setTimeStep(logits, stepUnchecked(spec, store, tokens, state), batch, time, V, t);
  }
  return logits;
}
