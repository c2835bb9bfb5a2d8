import type { MlstmDims, MlstmInputs } from '../../../runtime/reference/ops/mlstm-heads.js';
import { createMlstmState, type MlstmState } from '../../../runtime/reference/ops/mlstm-recurrent.js';
import type { Rng } from '../../../runtime/random.js';
import { randomF32 } from '../../runtime/gpu/gpu-test-kit.js';

/** Random mLSTM cell inputs: what the GPU gets (qkv = concat(q,k,v) rows, gates) and the same values in f64. */
export interface MlstmTestInputs {
  qkv: Float32Array;
  igate: Float32Array;
  fgate: Float32Array;
  ref: MlstmInputs;
}

/**
 * Gates spread wide enough that the stabiliser matters: ĩ ~ N(0, 2²) makes the row maximum move
 * around, f̃ ~ N(fMean, 2²) mixes remembering and forgetting.
 */
export function randomMlstmInputs(rng: Rng, dims: MlstmDims, fMean = 2): MlstmTestInputs {
  const { batch: B, time: T, heads: NH, headDim: DH } = dims;
  const I = NH * DH;
  const rows = B * T;
  const qkv = randomF32(rng, rows * 3 * I);
  const igate = randomF32(rng, rows * NH, 2);
  const fgate = randomF32(rng, rows * NH, 2, fMean);
  const part = (p: number): Float64Array => {
    const out = new Float64Array(rows * I);
    for (let r = 0; r < rows; r++) out.set(qkv.f64.subarray(r * 3 * I + p * I, r * 3 * I + (p + 1) * I), r * I);
    return out;
  };
  return {
    qkv: qkv.f32,
    igate: igate.f32,
    fgate: fgate.f32,
    ref: { q: part(0), k: part(1), v: part(2), igate: igate.f64, fgate: fgate.f64 },
  };
}

/** A random carried state (C, n, m), f32-representable so the GPU and the reference start equal. */
export function randomMlstmState(rng: Rng, dims: MlstmDims): MlstmState {
  const s = createMlstmState(dims.batch, dims.heads, dims.headDim);
  for (const part of [s.c, s.n]) for (let i = 0; i < part.length; i++) part[i] = Math.fround(0.3 * rng.nextNormal());
  for (let i = 0; i < s.m.length; i++) s.m[i] = Math.fround(rng.nextNormal());
  return s;
}
