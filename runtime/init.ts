import type { ModelSpec } from '../compiler/spec.js';
import { numElements, parameterSpecs, type InitSpec } from '../compiler/params.js';
import { Rng, checkSeed } from './random.js';

/**
 * Parameter initialisation following the official `reset_parameters` (golden/README.md,
 * "Initialisation"). Deterministic inits (constants, linspace, the sLSTM forget-gate bias schemes)
 * reproduce the official values; random ones draw the official distributions from our own seeded
 * generator (PyTorch's stream cannot be reproduced, and need not be).
 */

export type FloatArray = Float32Array | Float64Array;
export type InitDType = 'f32' | 'f64';

/**
 * `torch.linspace(start, end, n)`: the first half counts up from `start`, the second half down from
 * `end`, so both endpoints are exact.
 */
function linspaceValue(start: number, end: number, n: number, i: number): number {
  if (n === 1) return start;
  const step = (end - start) / (n - 1);
  return i < n / 2 ? start + step * i : end - step * (n - 1 - i);
}

const SLSTM_GATES = 4;
const SLSTM_FORGET_GATE = 1; // gate order i, f, z, o

/** Forget-gate bias of unit `j` of a head, by scheme (the same for every head). */
function slstmForgetBias(init: Extract<InitSpec, { kind: 'slstm_bias' }>, j: number): number {
  const DH = init.headDim;
  if (init.scheme === 'small_init') return linspaceValue(3, 6, DH, j);
  // powerlaw_blockdependent: later blocks get forget gates that open more slowly across the units
  const ratio = init.numBlocks > 1 ? init.blockIdx / (init.numBlocks - 1) : 0;
  return 5 - 12 * Math.pow(j / (DH - 1), 0.3 + 1.3 * ratio);
}

/** `_bias_` [4·E], index gate·E + head·DH + unit, gates (i, f, z, o); vanilla layout. */
function fillSlstmBias(out: FloatArray, init: Extract<InitSpec, { kind: 'slstm_bias' }>, rng: Rng): void {
  const E = init.numHeads * init.headDim;
  if (out.length !== SLSTM_GATES * E) throw new Error(`sLSTM bias has ${out.length} entries, expected ${SLSTM_GATES * E}`);
  if (init.scheme === 'standard') {
    const bound = 1 / Math.sqrt(E);
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
    return;
  }
  out.fill(0);
  for (let h = 0; h < init.numHeads; h++) {
    for (let j = 0; j < init.headDim; j++) {
      out[SLSTM_FORGET_GATE * E + h * init.headDim + j] = slstmForgetBias(init, j);
    }
  }
}

/** Fills `out` (a tensor in row-major order) as `init` says, drawing random values from `rng`. */
export function fillInit(out: FloatArray, init: InitSpec, rng: Rng): void {
  switch (init.kind) {
    case 'constant':
      out.fill(init.value);
      return;
    case 'normal':
      for (let i = 0; i < out.length; i++) out[i] = init.std * rng.nextNormal();
      return;
    case 'uniform':
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-init.bound, init.bound);
      return;
    case 'linspace':
      for (let i = 0; i < out.length; i++) out[i] = linspaceValue(init.start, init.end, out.length, i);
      return;
    case 'slstm_bias':
      fillSlstmBias(out, init, rng);
      return;
  }
}

/**
 * Freshly initialised parameters for every state_dict tensor of `spec`, keyed by official name.
 * Each tensor draws from its own stream (seed, name), so the same seed gives the same tensor no
 * matter which other tensors the model has. With tied weights `lm_head.weight` is the very same
 * array as `token_embedding.weight`.
 */
export function initializeParameters(spec: ModelSpec, seed: number): Map<string, Float32Array>;
export function initializeParameters(spec: ModelSpec, seed: number, options: { dtype: 'f32' }): Map<string, Float32Array>;
export function initializeParameters(spec: ModelSpec, seed: number, options: { dtype: 'f64' }): Map<string, Float64Array>;
export function initializeParameters(spec: ModelSpec, seed: number, options: { dtype: InitDType }): Map<string, FloatArray>;
export function initializeParameters(spec: ModelSpec, seed: number, options?: { dtype: InitDType }): Map<string, FloatArray> {
  checkSeed(seed);
  const dtype = options?.dtype ?? 'f32';
  const specs = parameterSpecs(spec);
  const out = new Map<string, FloatArray>();
  for (const p of specs) {
    if (p.tiedTo !== undefined) continue;
    const n = numElements(p.shape);
    const arr = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
    fillInit(arr, p.init, Rng.fromSeed(seed, p.name));
    out.set(p.name, arr);
  }
  for (const p of specs) {
    if (p.tiedTo === undefined) continue;
    const target = out.get(p.tiedTo);
    if (target === undefined) throw new Error(`${p.name} is tied to ${p.tiedTo}, which has no tensor`);
    out.set(p.name, target);
  }
  // keep state_dict order, which the loop above broke for tied tensors
  return new Map(specs.map((p) => [p.name, out.get(p.name) as FloatArray]));
}
