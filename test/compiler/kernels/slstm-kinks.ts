import { logSigmoid } from '../../../runtime/reference/ops/activations.js';
import { createSlstmState, slstmStep, type SlstmDims, type SlstmState } from '../../../runtime/reference/ops/slstm.js';
import { timeStep } from '../../../runtime/reference/ops/time-steps.js';

/**
 * Whether an sLSTM run passes within f32 rounding of a kink of its gradient: raw_i ≈ m_{t−1} + log σ(raw_f)
 * at some step and unit, where the stabiliser max (and the min(·, 1) clamps it feeds) switches
 * branch and the gradient jumps by O(1). An f32 kernel may legitimately take the other branch there
 * than the float64 reference, so tests redraw such inputs.
 */
export function nearSlstmKink(
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array,
  dims: SlstmDims,
  initial: SlstmState = createSlstmState(dims.batch, dims.heads * dims.headDim),
  tolerance = 1e-4,
): boolean {
  const { batch: B, time: T, heads: NH, headDim: DH } = dims;
  const E = NH * DH;
  const state: SlstmState = { y: initial.y.slice(), c: initial.c.slice(), n: initial.n.slice(), m: initial.m.slice() };
  for (let t = 0; t < T; t++) {
    const xt = timeStep(x, B, T, 4 * E, t);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let o = 0; o < DH; o++) {
          const e = h * DH + o;
          const raw = [0, 1].map((g) => {
            let acc = xt[b * 4 * E + g * E + e]! + bias[g * E + e]!;
            for (let i = 0; i < DH; i++) acc += kernel[((h * 4 + g) * DH + o) * DH + i]! * state.y[b * E + h * DH + i]!;
            return acc;
          });
          const logFPlusM = state.m[b * E + e]! + logSigmoid(raw[1]!);
          if (Math.abs(raw[0]! - logFPlusM) < tolerance * (1 + Math.abs(logFPlusM))) return true;
        }
      }
    }
    slstmStep(state, xt, kernel, bias, dims);
  }
  return false;
}
