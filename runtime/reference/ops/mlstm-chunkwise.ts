import { decayMatrix } from './mlstm-parallel.js';
import { dot, headSlice, scatterHead, type HeadSlice, type MlstmDims, type MlstmInputs } from './mlstm-heads.js';
import { createMlstmState, type MlstmState } from './mlstm-recurrent.js';

/**
 * The mLSTM cell in chunkwise form: the sequence is cut into chunks; inside a chunk the parallel form
 * runs, and between chunks the recurrent state (C, n, m) carries the past. The stabiliser is the
 * recurrent one: within a chunk starting from state (C₀, n₀, m₀), with F_t the chunk's cumulative
 * log forget gate,
 *
 *   m_t = max(F_t + m₀, max_{s≤t} (F_t − F_s + ĩ_s)),   w_t = e^{F_t + m₀ − m_t}
 *   num_t = w_t q_tᵀC₀ + Σ_s (q_t·k_s/√DH) e^{D[t,s] − m_t} v_s,  qn_t = w_t q_t·n₀ + Σ_s (q_t·k_s/√DH) e^{D[t,s] − m_t}
 *   h_t = num_t / (max(|qn_t|, e^{−m_t}) + eps)
 *
 * which is the recurrent step unrolled, so it equals the recurrent form for any chunk size (to
 * rounding) and the parallel form when eps = 0. Memory is O(chunk²) per head, for any length.
 */

function chunkForward(x: HeadSlice, state: { c: Float64Array; n: Float64Array; m: number }, DH: number, eps: number): Float64Array {
  const L = x.igate.length;
  const scale = 1 / Math.sqrt(DH);
  const { d, rowMax, cumLogF } = decayMatrix(x.igate, x.fgate);
  const m0 = state.m;
  const h = new Float64Array(L * DH);
  const weights = new Float64Array(L);
  const m = new Float64Array(L);
  for (let t = 0; t < L; t++) {
    m[t] = Math.max(cumLogF[t] + m0, rowMax[t]);
    const stateWeight = Math.exp(cumLogF[t] + m0 - m[t]);
    let qn = stateWeight * dot(x.q, t * DH, state.n, 0, DH);
    for (let s = 0; s <= t; s++) {
      weights[s] = dot(x.q, t * DH, x.k, s * DH, DH) * scale * Math.exp(d[t * L + s] - m[t]);
      qn += weights[s];
    }
    const denom = Math.max(Math.abs(qn), Math.exp(-m[t])) + eps;
    for (let j = 0; j < DH; j++) {
      let num = 0;
      for (let a = 0; a < DH; a++) num += x.q[t * DH + a] * state.c[a * DH + j];
      num *= stateWeight;
      for (let s = 0; s <= t; s++) num += weights[s] * x.v[s * DH + j];
      h[t * DH + j] = num / denom;
    }
  }
  const last = L - 1;
  const mEnd = m[last];
  const carry = Math.exp(cumLogF[last] + m0 - mEnd);
  for (let i = 0; i < DH * DH; i++) state.c[i] *= carry;
  for (let a = 0; a < DH; a++) state.n[a] *= carry;
  for (let s = 0; s < L; s++) {
    const w = Math.exp(d[last * L + s] - mEnd) * scale;
    for (let a = 0; a < DH; a++) {
      const kw = w * x.k[s * DH + a];
      for (let j = 0; j < DH; j++) state.c[a * DH + j] += kw * x.v[s * DH + j];
      state.n[a] += kw;
    }
  }
  state.m = mEnd;
  return h;
}

/** Slices time steps [from, to) of a head slice. */
function chunkOf(x: HeadSlice, from: number, to: number, DH: number): HeadSlice {
  return {
    q: x.q.subarray(from * DH, to * DH),
    k: x.k.subarray(from * DH, to * DH),
    v: x.v.subarray(from * DH, to * DH),
    igate: x.igate.subarray(from, to),
    fgate: x.fgate.subarray(from, to),
  };
}

/** Runs the sequence from `state` (default: zero) in chunks of `chunkSize`, leaving the final state in it. */
export function mlstmChunkwiseForward(
  x: MlstmInputs,
  dims: MlstmDims,
  chunkSize: number,
  eps: number,
  state: MlstmState = createMlstmState(dims.batch, dims.heads, dims.headDim),
): Float64Array {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`);
  const { batch, time: T, heads: NH, headDim: DH } = dims;
  const h = new Float64Array(batch * T * NH * DH);
  for (let b = 0; b < batch; b++) {
    for (let hd = 0; hd < NH; hd++) {
      const bh = b * NH + hd;
      const headState = {
        c: state.c.subarray(bh * DH * DH, (bh + 1) * DH * DH),
        n: state.n.subarray(bh * DH, (bh + 1) * DH),
        m: state.m[bh],
      };
      const slice = headSlice(x, dims, b, hd);
      const out = new Float64Array(T * DH);
      for (let from = 0; from < T; from += chunkSize) {
        const to = Math.min(T, from + chunkSize);
        out.set(chunkForward(chunkOf(slice, from, to, DH), headState, DH, eps), from * DH);
      }
      state.m[bh] = headState.m;
      scatterHead(h, out, dims, b, hd, DH);
    }
  }
  return h;
}
