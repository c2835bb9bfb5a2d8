import { blockPrefix, parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { blockForward } from './layers/block.js';
import { embeddingPass, lmHeadPass, postNormPass } from './layers/embedding-and-head.js';
import type { LayerPass } from './layers/layer-pass.js';
import { crossEntropyBackward, crossEntropyForward } from './ops/cross-entropy.js';
import { validateReferenceWeights, WeightStore, type ReferenceWeights } from './weight-store.js';

/**
 * The float64 reference of the official `xLSTMLMModel` (golden/README.md): the oracle that kernels
 * are tested against and the CPU fallback. Written for clarity, not speed.
 *
 * The mLSTM layers use the parallel stabilised form, so `referenceForward` reproduces the official
 * `model(inputs)` (golden `logits`); `referenceForwardRecurrent` (recurrent.ts) reproduces the step API
 * (golden `logits_step`). Unlike the official parallel form, no sequence-length limit applies:
 * T > context_length is accepted (the official limit only sizes a cached mask).
 */

export interface ReferenceForwardOptions {
  /** Also return the golden activations: `embedding`, `blocks.{i}.xlstm`, `blocks.{i}`, `post_blocks_norm`. */
  collectActivations?: boolean;
}

export interface ReferenceForwardResult {
  /** [B, T, V]. */
  logits: Float64Array;
  activations?: Map<string, Float64Array>;
}

export interface ReferenceLossAndGrads {
  loss: number;
  logits: Float64Array;
  /** ∂loss/∂p under official names, in `model.named_parameters()` order (tied: only the embedding). */
  grads: Map<string, Float64Array>;
}

/** Checks the batch shape and token ids of a [B, T] input (or target) matrix. */
export function validateTokens(spec: ModelSpec, tokens: Int32Array, batch: number, time: number, what: string): void {
  for (const [name, n] of [['batch size', batch], ['sequence length', time]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${name} must be a positive integer, got ${n}`);
  }
  if (tokens.length !== batch * time) {
    throw new UserError(`${what}: expected ${batch}×${time} = ${batch * time} token ids, got ${tokens.length}`);
  }
  const bad = tokens.findIndex((t) => t < 0 || t >= spec.vocabSize);
  if (bad >= 0) throw new UserError(`${what}: token ${tokens[bad]} at position ${bad} is outside the vocabulary [0, ${spec.vocabSize})`);
}

function modelPass(
  spec: ModelSpec,
  store: WeightStore,
  inputs: Int32Array,
  batch: number,
  time: number,
  activations: Map<string, Float64Array> | null,
): LayerPass {
  const rows = batch * time;
  const record = (name: string, value: Float64Array) => activations?.set(name, value);
  const passes: LayerPass[] = [];
  const embedding = embeddingPass(spec, store, inputs);
  record('embedding', embedding.y);
  passes.push(embedding);
  let x = embedding.y;
  for (const block of spec.blocks) {
    const pass = blockForward(spec, block, store.scoped(blockPrefix(block.index)), x, { batch, time });
    record(`blocks.${block.index}.xlstm`, pass.layerOutput);
    record(`blocks.${block.index}`, pass.y);
    passes.push(pass);
    x = pass.y;
  }
  const postNorm = postNormPass(spec, store, x, rows);
  record('post_blocks_norm', postNorm.y);
  const head = lmHeadPass(spec, store, postNorm.y, rows);
  passes.push(postNorm, head);
  return {
    y: head.y,
    backward: (dy) => passes.reduceRight((grad, pass) => pass.backward(grad), dy),
  };
}

export function referenceForward(
  spec: ModelSpec,
  weights: ReferenceWeights,
  inputs: Int32Array,
  batch: number,
  time: number,
  options: ReferenceForwardOptions = {},
): ReferenceForwardResult {
  validateReferenceWeights(spec, weights);
  validateTokens(spec, inputs, batch, time, 'inputs');
  const activations = options.collectActivations ? new Map<string, Float64Array>() : null;
  const logits = modelPass(spec, new WeightStore(weights), inputs, batch, time, activations).y;
  return activations === null ? { logits } : { logits, activations };
}

/** Mean next-token cross-entropy over all B·T positions (`F.cross_entropy`, reduction "mean"). */
export function referenceLoss(logits: Float64Array, targets: Int32Array, batch: number, time: number, vocab: number): number {
  if (logits.length !== batch * time * vocab) throw new UserError(`logits: expected ${batch}×${time}×${vocab} values, got ${logits.length}`);
  if (targets.length !== batch * time) throw new UserError(`targets: expected ${batch}×${time} token ids, got ${targets.length}`);
  return crossEntropyForward(logits, targets, batch * time, vocab);
}

export function referenceLossAndGrads(
  spec: ModelSpec,
  weights: ReferenceWeights,
  inputs: Int32Array,
  targets: Int32Array,
  batch: number,
  time: number,
): ReferenceLossAndGrads {
  validateReferenceWeights(spec, weights);
  validateTokens(spec, inputs, batch, time, 'inputs');
  validateTokens(spec, targets, batch, time, 'targets');
  const collected = new Map<string, Float64Array>();
  const pass = modelPass(spec, new WeightStore(weights, collected), inputs, batch, time, null);
  const V = spec.vocabSize;
  const loss = crossEntropyForward(pass.y, targets, batch * time, V);
  pass.backward(crossEntropyBackward(pass.y, targets, batch * time, V));
  const grads = new Map<string, Float64Array>();
  for (const p of parameterSpecs(spec)) {
    if (p.tiedTo !== undefined) continue;
    const g = collected.get(p.name);
    if (g === undefined) throw new Error(`internal: no gradient reached ${p.name}`);
    grads.set(p.name, g);
  }
  return { loss, logits: pass.y, grads };
}
