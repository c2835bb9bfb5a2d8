import { EMBEDDING_NAME, LM_HEAD_NAME, numElements, parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';

/** Parameters by official state_dict name, as flat row-major float64 arrays. */
export type ReferenceWeights = ReadonlyMap<string, Float64Array>;

/**
 * Checks that every tensor the model reads is present with the element count of its official shape.
 * With tied weights `lm_head.weight` may be absent: the embedding is used for both.
 */
export function validateReferenceWeights(spec: ModelSpec, weights: ReferenceWeights): void {
  for (const p of parameterSpecs(spec)) {
    if (p.tiedTo !== undefined) continue;
    const w = weights.get(p.name);
    if (w === undefined) throw new UserError(`weights: missing tensor ${p.name} [${p.shape.join(', ')}]`);
    if (w.length !== numElements(p.shape)) {
      throw new UserError(`weights: ${p.name} has ${w.length} elements, expected [${p.shape.join(', ')}] = ${numElements(p.shape)}`);
    }
  }
}

/**
 * Read access to the weights under a name prefix (a block's `xlstm_block_stack.blocks.{i}.`), and,
 * when gradients are being collected, accumulation of ∂loss/∂weight under the same names.
 */
export class WeightStore {
  constructor(
    private readonly weights: ReferenceWeights,
    private readonly grads: Map<string, Float64Array> | null = null,
    private readonly prefix = '',
  ) {}

  scoped(prefix: string): WeightStore {
    return new WeightStore(this.weights, this.grads, this.prefix + prefix);
  }

  get(name: string): Float64Array {
    const w = this.weights.get(this.prefix + name);
    if (w === undefined) throw new UserError(`weights: missing tensor ${this.prefix + name}`);
    return w;
  }

  /** Adds g to the gradient of `name`; a no-op when not collecting gradients or when g is null (no such parameter). */
  addGrad(name: string, g: Float64Array | null): void {
    if (this.grads === null || g === null) return;
    const key = this.prefix + name;
    const acc = this.grads.get(key);
    if (acc === undefined) this.grads.set(key, g.slice());
    else for (let i = 0; i < acc.length; i++) acc[i] += g[i];
  }
}

/** The tensor the LM head multiplies by: the embedding table itself when weights are tied. */
export function lmHeadName(spec: ModelSpec): string {
  return spec.tieWeights ? EMBEDDING_NAME : LM_HEAD_NAME;
}
