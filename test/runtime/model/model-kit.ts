/** Tiny random models on the WebGPU runner, with the exact f32-rounded weights for the float64 reference. */
import type { ModelSpec } from '../../../compiler/spec.js';
import type { XlstmDevice } from '../../../runtime/device.js';
import { WebGpuModel, type WebGpuModelOptions } from '../../../runtime/model/webgpu-model.js';
import type { TestRng } from '../../helpers/random.js';
import { randomWeights } from '../../helpers/random-model.js';

export interface LoadedModel {
  model: WebGpuModel;
  /** The weights the GPU got, as float64 for the reference. */
  weights: Map<string, Float64Array>;
}

export function loadedModel(spec: ModelSpec, dev: XlstmDevice, rng: TestRng, options: WebGpuModelOptions = {}): LoadedModel {
  const f32 = new Map([...randomWeights(spec, rng)].map(([name, w]) => [name, Float32Array.from(w)]));
  const model = new WebGpuModel(spec, dev, options);
  model.loadWeights(f32);
  return { model, weights: new Map([...f32].map(([name, w]) => [name, Float64Array.from(w)])) };
}

/** Steps [from, to) of each sequence of a [B, T] token matrix. */
export function tokenSlice(tokens: Int32Array, batch: number, time: number, from: number, to: number): Int32Array {
  const out = new Int32Array(batch * (to - from));
  for (let b = 0; b < batch; b++) out.set(tokens.subarray(b * time + from, b * time + to), b * (to - from));
  return out;
}

/** Time steps [from, to) of a [B, T, V] array. */
export function logitSlice(logits: ArrayLike<number>, batch: number, time: number, vocab: number, from: number, to: number): Float64Array {
  const out = new Float64Array(batch * (to - from) * vocab);
  for (let b = 0; b < batch; b++) {
    for (let t = from; t < to; t++) {
      for (let v = 0; v < vocab; v++) out[(b * (to - from) + t - from) * vocab + v] = logits[(b * time + t) * vocab + v]!;
    }
  }
  return out;
}
