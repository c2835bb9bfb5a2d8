/**
 * A forward pass that remembers what its backward pass needs: `backward(dy)` adds the parameter
 * gradients to the WeightStore it was run with and returns ∂loss/∂input.
 */
export interface LayerPass {
  y: Float64Array;
  backward(dy: Float64Array): Float64Array;
}

/** Batch and sequence length of the activations [B, T, ·] a layer works on. */
export interface SequenceShape {
  batch: number;
  time: number;
}

export function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

export function multiply(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * b[i]);
}
