import { logSigmoid, logSigmoidGrad } from './activations.js';
import {
  dot,
  gatherHead,
  headSlice,
  scatterHead,
  type HeadSlice,
  type MlstmDims,
  type MlstmInputGrads,
  type MlstmInputs,
} from './mlstm-heads.js';
import { maximumShares } from './tie-gradients.js';

/**
 * The mLSTM cell in the official parallel stabilised form (`parallel_stabilized_simple`), per batch
 * row and head, with L_r = log σ(f̃_r):
 *
 *   D[t,s] = Σ_{r=s+1..t} L_r + ĩ_s  (s ≤ t),   m_t = max_s D[t,s]
 *   C[t,s] = (q_t·k_s/√DH) · e^{D[t,s] − m_t},   c_t = Σ_s C[t,s],   n_t = max(|c_t|, e^{−m_t})
 *   h_t = Σ_s C[t,s] v_s / (n_t + eps)
 *
 * No length limit: the official code caps T at context_length only because it caches a mask.
 * The backward pass follows PyTorch autograd exactly, including the gradient through the row max
 * (to its first maximising column) and the half/half split of `torch.maximum` at a tie.
 */

/** The log decay matrix of one head: D[t·T + s] (−∞ above the diagonal) and each row's max and argmax. */
export interface DecayMatrix {
  d: Float64Array;
  rowMax: Float64Array;
  argMax: Int32Array;
  /** F_t = Σ_{r≤t} log σ(f̃_r). */
  cumLogF: Float64Array;
}

export function decayMatrix(igate: Float64Array, fgate: Float64Array): DecayMatrix {
  const T = igate.length;
  const cumLogF = new Float64Array(T);
  let acc = 0;
  for (let t = 0; t < T; t++) {
    acc += logSigmoid(fgate[t]);
    cumLogF[t] = acc;
  }
  const d = new Float64Array(T * T).fill(-Infinity);
  const rowMax = new Float64Array(T);
  const argMax = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    let best = -Infinity;
    for (let s = 0; s <= t; s++) {
      const value = cumLogF[t] - cumLogF[s] + igate[s];
      d[t * T + s] = value;
      if (value > best) {
        best = value;
        argMax[t] = s;
      }
    }
    rowMax[t] = best;
  }
  return { d, rowMax, argMax, cumLogF };
}

/** Every intermediate of one head's forward pass, as the backward pass needs them. */
interface HeadForward {
  decay: DecayMatrix;
  /** Scores S[t,s] = q_t·k_s/√DH and decays E[t,s] = e^{D[t,s] − m_t}, [T, T]. */
  scores: Float64Array;
  decays: Float64Array;
  /** c_t = Σ_s S·E. */
  rowSum: Float64Array;
  /** n_t + eps. */
  denom: Float64Array;
  h: Float64Array;
}

function headForward(x: HeadSlice, T: number, DH: number, eps: number): HeadForward {
  const decay = decayMatrix(x.igate, x.fgate);
  const scale = 1 / Math.sqrt(DH);
  const scores = new Float64Array(T * T);
  const decays = new Float64Array(T * T);
  const rowSum = new Float64Array(T);
  const denom = new Float64Array(T);
  const h = new Float64Array(T * DH);
  for (let t = 0; t < T; t++) {
    let c = 0;
    for (let s = 0; s <= t; s++) {
      scores[t * T + s] = dot(x.q, t * DH, x.k, s * DH, DH) * scale;
      decays[t * T + s] = Math.exp(decay.d[t * T + s] - decay.rowMax[t]);
      c += scores[t * T + s] * decays[t * T + s];
    }
    rowSum[t] = c;
    denom[t] = Math.max(Math.abs(c), Math.exp(-decay.rowMax[t])) + eps;
    for (let s = 0; s <= t; s++) {
      const weight = (scores[t * T + s] * decays[t * T + s]) / denom[t];
      for (let j = 0; j < DH; j++) h[t * DH + j] += weight * x.v[s * DH + j];
    }
  }
  return { decay, scores, decays, rowSum, denom, h };
}

export function mlstmParallelForward(x: MlstmInputs, dims: MlstmDims, eps: number): Float64Array {
  const { batch, time: T, heads, headDim: DH } = dims;
  const h = new Float64Array(batch * T * heads * DH);
  for (let b = 0; b < batch; b++) {
    for (let hd = 0; hd < heads; hd++) scatterHead(h, headForward(headSlice(x, dims, b, hd), T, DH, eps).h, dims, b, hd, DH);
  }
  return h;
}

function headBackward(x: HeadSlice, dh: Float64Array, T: number, DH: number, eps: number): HeadSlice {
  const fw = headForward(x, T, DH, eps);
  const { decay, scores, decays, rowSum, denom } = fw;
  const scale = 1 / Math.sqrt(DH);
  const dq = new Float64Array(T * DH);
  const dk = new Float64Array(T * DH);
  const dv = new Float64Array(T * DH);
  const dD = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    const dDenom = -dot(dh, t * DH, fw.h, t * DH, DH) / denom[t];
    const [toAbs, toExp] = maximumShares(Math.abs(rowSum[t]), Math.exp(-decay.rowMax[t]));
    const dRowSum = dDenom * toAbs * Math.sign(rowSum[t]);
    let dRowMax = dDenom * toExp * -Math.exp(-decay.rowMax[t]);
    for (let s = 0; s <= t; s++) {
      const ts = t * T + s;
      const cts = scores[ts] * decays[ts];
      for (let j = 0; j < DH; j++) dv[s * DH + j] += (cts / denom[t]) * dh[t * DH + j];
      const dC = dot(dh, t * DH, x.v, s * DH, DH) / denom[t] + dRowSum;
      const dScore = dC * decays[ts] * scale;
      for (let j = 0; j < DH; j++) {
        dq[t * DH + j] += dScore * x.k[s * DH + j];
        dk[s * DH + j] += dScore * x.q[t * DH + j];
      }
      dD[ts] = dC * scores[ts] * decays[ts];
      dRowMax -= dD[ts];
    }
    dD[t * T + decay.argMax[t]] += dRowMax;
  }
  // D[t,s] = ĩ_s + Σ_{r=s+1..t} L_r: ĩ_s collects column s; L_r collects every (t ≥ r, s < r).
  const dIgate = new Float64Array(T);
  const dFgate = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let prefix = 0;
    for (let r = 0; r <= t; r++) {
      dFgate[r] += prefix;
      prefix += dD[t * T + r];
      dIgate[r] += dD[t * T + r];
    }
  }
  for (let r = 0; r < T; r++) dFgate[r] *= logSigmoidGrad(x.fgate[r]);
  return { q: dq, k: dk, v: dv, igate: dIgate, fgate: dFgate };
}

export function mlstmParallelBackward(dh: Float64Array, x: MlstmInputs, dims: MlstmDims, eps: number): MlstmInputGrads {
  const { batch, time: T, heads, headDim: DH } = dims;
  const grads: MlstmInputGrads = {
    dq: new Float64Array(x.q.length),
    dk: new Float64Array(x.k.length),
    dv: new Float64Array(x.v.length),
    dIgate: new Float64Array(x.igate.length),
    dFgate: new Float64Array(x.fgate.length),
  };
  for (let b = 0; b < batch; b++) {
    for (let hd = 0; hd < heads; hd++) {
      const g = headBackward(headSlice(x, dims, b, hd), gatherHead(dh, dims, b, hd, DH), T, DH, eps);
      scatterHead(grads.dq, g.q, dims, b, hd, DH);
      scatterHead(grads.dk, g.k, dims, b, hd, DH);
      scatterHead(grads.dv, g.v, dims, b, hd, DH);
      scatterHead(grads.dIgate, g.igate, dims, b, hd, 1);
      scatterHead(grads.dFgate, g.fgate, dims, b, hd, 1);
    }
  }
  return grads;
}
