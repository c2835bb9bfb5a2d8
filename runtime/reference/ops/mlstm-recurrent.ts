import { logSigmoid } from './activations.js';
import { dot, type MlstmDims, type MlstmInputs } from './mlstm-heads.js';
import { setTimeStep, timeStep } from './time-steps.js';

/**
 * The mLSTM cell in the official recurrent form (`recurrent_step_stabilized_simple`, the step API),
 * per batch row and head, with L = log σ(f̃):
 *
 *   m_t = max(L_t + m_{t−1}, ĩ_t),  f' = e^{L_t + m_{t−1} − m_t},  i' = e^{ĩ_t − m_t},  k' = k_t/√DH
 *   C_t = f' C_{t−1} + i' k' v_tᵀ,  n_t = f' n_{t−1} + i' k'
 *   h_t = (q_tᵀ C_t) / (max(|q_t·n_t|, e^{−m_t}) + eps)
 *
 * Its stabiliser m_t includes the initial-state term Σ_{r≤t} L_r + m_0, which the parallel form lacks,
 * so the two differ by ~1e-8 with the official eps = 1e-6 and agree to rounding with eps = 0.
 */

/** Per (batch, head): C [B, NH, DH(key), DH(value)], n [B, NH, DH], m [B, NH]; all zero initially. */
export interface MlstmState {
  c: Float64Array;
  n: Float64Array;
  m: Float64Array;
}

export function createMlstmState(batch: number, heads: number, headDim: number): MlstmState {
  return {
    c: new Float64Array(batch * heads * headDim * headDim),
    n: new Float64Array(batch * heads * headDim),
    m: new Float64Array(batch * heads),
  };
}

/**
 * One time step for every batch row: x holds one step ([B, NH·DH] and [B, NH] gates); updates the
 * state in place and returns h [B, NH·DH].
 */
export function mlstmRecurrentStep(
  state: MlstmState,
  x: MlstmInputs,
  dims: Omit<MlstmDims, 'time'>,
  eps: number,
): Float64Array {
  const { batch, heads: NH, headDim: DH } = dims;
  const scale = 1 / Math.sqrt(DH);
  const h = new Float64Array(batch * NH * DH);
  for (let bh = 0; bh < batch * NH; bh++) {
    const vec = bh * DH;
    const c = state.c.subarray(bh * DH * DH, (bh + 1) * DH * DH);
    const n = state.n.subarray(vec, vec + DH);
    const logF = logSigmoid(x.fgate[bh]);
    const mPrev = state.m[bh];
    const m = Math.max(logF + mPrev, x.igate[bh]);
    const fAct = Math.exp(logF + mPrev - m);
    const iAct = Math.exp(x.igate[bh] - m);
    for (let a = 0; a < DH; a++) {
      const kScaled = x.k[vec + a] * scale;
      for (let j = 0; j < DH; j++) c[a * DH + j] = fAct * c[a * DH + j] + iAct * kScaled * x.v[vec + j];
      n[a] = fAct * n[a] + iAct * kScaled;
    }
    state.m[bh] = m;
    const denom = Math.max(Math.abs(dot(x.q, vec, n, 0, DH)), Math.exp(-m)) + eps;
    for (let j = 0; j < DH; j++) {
      let num = 0;
      for (let a = 0; a < DH; a++) num += x.q[vec + a] * c[a * DH + j];
      h[vec + j] = num / denom;
    }
  }
  return h;
}

/** Runs the step over a whole sequence from `state` (default: zero), leaving the final state in it. */
export function mlstmRecurrentForward(
  x: MlstmInputs,
  dims: MlstmDims,
  eps: number,
  state: MlstmState = createMlstmState(dims.batch, dims.heads, dims.headDim),
): Float64Array {
  const { batch: B, time: T, heads: NH, headDim: DH } = dims;
  const h = new Float64Array(B * T * NH * DH);
  for (let t = 0; t < T; t++) {
    const step: MlstmInputs = {
      q: timeStep(x.q, B, T, NH * DH, t),
      k: timeStep(x.k, B, T, NH * DH, t),
      v: timeStep(x.v, B, T, NH * DH, t),
      igate: timeStep(x.igate, B, T, NH, t),
      fgate: timeStep(x.fgate, B, T, NH, t),
    };
    setTimeStep(h, mlstmRecurrentStep(state, step, dims, eps), B, T, NH * DH, t);
  }
  return h;
}
