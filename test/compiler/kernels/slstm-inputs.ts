import type { Rng } from '../../../runtime/random.js';
import type { SlstmState } from '../../../runtime/reference/ops/slstm.js';
import { randomF32 } from '../../runtime/gpu/gpu-test-kit.js';

/** A tensor as the f32 the GPU gets and the exact same values in f64 for the reference. */
export interface Both {
  f32: Float32Array;
  f64: Float64Array;
}

export interface SlstmCellParams {
  kernel: Both;
  bias: Both;
}

/** Weights in the official ranges: R ~ U(±1/√E)-sized, a forget-gate bias that keeps memory. */
export function randomSlstmParams(rng: Rng, NH: number, DH: number): SlstmCellParams {
  const E = NH * DH;
  const kernel = randomF32(rng, NH * 4 * DH * DH, 1 / Math.sqrt(DH));
  const bias = randomF32(rng, 4 * E, 0.5);
  for (let e = 0; e < E; e++) bias.f32[E + e]! += 3;
  return { kernel, bias: { f32: bias.f32, f64: Float64Array.from(bias.f32) } };
}

/** A state the official step API could have produced: n ≥ 1, |m| moderate; packed [4, B, E] and split. */
export function randomSlstmState(rng: Rng, B: number, E: number): { f32: Float32Array; f64: SlstmState } {
  const f32 = new Float32Array(4 * B * E);
  f32.set(randomF32(rng, B * E, 0.5).f32, 0);
  f32.set(randomF32(rng, B * E).f32, B * E);
  f32.set(Float32Array.from({ length: B * E }, () => 1 + 3 * rng.nextFloat()), 2 * B * E);
  f32.set(randomF32(rng, B * E, 2).f32, 3 * B * E);
  return { f32, f64: unpackSlstmState(Float64Array.from(f32), B * E) };
}

export function unpackSlstmState(packed: Float64Array, BE: number): SlstmState {
  const at = (s: number): Float64Array => packed.slice(s * BE, (s + 1) * BE);
  return { y: at(0), c: at(1), n: at(2), m: at(3) };
}

export function packSlstmState(s: SlstmState): Float64Array {
  const out = new Float64Array(4 * s.y.length);
  [s.y, s.c, s.n, s.m].forEach((part, i) => out.set(part, i * s.y.length));
  return out;
}
