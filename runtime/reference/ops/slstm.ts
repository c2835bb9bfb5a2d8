import { logSigmoid, logSigmoidGrad, sigmoid } from './activations.js';
import { maximumShares, minWithOneShare } from './tie-gradients.js';
import { setTimeStep, timeStep } from './time-steps.js';

/**
 * The official sLSTM cell, vanilla backend (`xlstm/blocks/slstm/src/vanilla/`), per time step with
 * E = NH·DH and gates g ∈ (i, f, z, o):
 *
 *   raw_g = x_g + R_g·y_{t−1} + b_g        R [NH, 4·DH, DH] = [head, g·DH + out, in], block-diagonal
 *   m_t = raw_i  if every entry of n_{t−1} (whole batch) is 0,  else max(raw_i, m_{t−1} + log σ(raw_f))
 *   i = min(e^{raw_i − m_t}, 1),  f = min(e^{m_{t−1} + log σ(raw_f) − m_t}, 1)
 *   c_t = f c_{t−1} + i tanh(raw_z),  n_t = f n_{t−1} + i,  y_t = σ(raw_o) · c_t / n_t
 *
 * x [B, T, 4E] gate-major (g·E + head·DH + unit), bias [4E] likewise; y [B, T, E]. The backward pass
 * follows PyTorch autograd exactly, including its gradient split at min/max ties (tie-gradients.ts).
 */

export interface SlstmDims {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
}

/** y, c, n, m, each [B, E]; all zero initially. */
export interface SlstmState {
  y: Float64Array;
  c: Float64Array;
  n: Float64Array;
  m: Float64Array;
}

export function createSlstmState(batch: number, width: number): SlstmState {
  const zeros = () => new Float64Array(batch * width);
  return { y: zeros(), c: zeros(), n: zeros(), m: zeros() };
}

function copyState(s: SlstmState): SlstmState {
  return { y: s.y.slice(), c: s.c.slice(), n: s.n.slice(), m: s.m.slice() };
}

/** One step's values that the backward pass reads, all [B, E] except raw [B, 4E]. */
interface StepRecord {
  prev: SlstmState;
  raw: Float64Array;
  logFPlusM: Float64Array;
  firstStep: boolean;
  iGate: Float64Array;
  fGate: Float64Array;
  zAct: Float64Array;
  oGate: Float64Array;
}

/** r[b, g·E + h·DH + o] = Σ_i R[h, g·DH + o, i] · y[b, h·DH + i]. */
function recurrentInput(y: Float64Array, kernel: Float64Array, batch: number, NH: number, DH: number): Float64Array {
  const E = NH * DH;
  const r = new Float64Array(batch * 4 * E);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < NH; h++) {
      for (let g = 0; g < 4; g++) {
        for (let o = 0; o < DH; o++) {
          let acc = 0;
          for (let i = 0; i < DH; i++) acc += kernel[((h * 4 + g) * DH + o) * DH + i] * y[b * E + h * DH + i];
          r[b * 4 * E + g * E + h * DH + o] = acc;
        }
      }
    }
  }
  return r;
}

function stepWithRecord(
  state: SlstmState,
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array,
  dims: Omit<SlstmDims, 'time'>,
): StepRecord {
  const { batch, heads: NH, headDim: DH } = dims;
  const E = NH * DH;
  const prev = copyState(state);
  const raw = recurrentInput(prev.y, kernel, batch, NH, DH);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < 4 * E; j++) raw[b * 4 * E + j] += x[b * 4 * E + j] + bias[j];
  }
  const firstStep = prev.n.every((v) => v === 0);
  const rec: StepRecord = {
    prev,
    raw,
    logFPlusM: new Float64Array(batch * E),
    firstStep,
    iGate: new Float64Array(batch * E),
    fGate: new Float64Array(batch * E),
    zAct: new Float64Array(batch * E),
    oGate: new Float64Array(batch * E),
  };
  for (let b = 0; b < batch; b++) {
    for (let e = 0; e < E; e++) {
      const be = b * E + e;
      const [iRaw, fRaw, zRaw, oRaw] = [0, 1, 2, 3].map((g) => raw[b * 4 * E + g * E + e]);
      const logFPlusM = prev.m[be] + logSigmoid(fRaw);
      const m = firstStep ? iRaw : Math.max(iRaw, logFPlusM);
      const iGate = Math.min(Math.exp(iRaw - m), 1);
      const fGate = Math.min(Math.exp(logFPlusM - m), 1);
      const zAct = Math.tanh(zRaw);
      const oGate = sigmoid(oRaw);
      state.c[be] = fGate * prev.c[be] + iGate * zAct;
      state.n[be] = fGate * prev.n[be] + iGate;
      state.m[be] = m;
      state.y[be] = (oGate * state.c[be]) / state.n[be];
      rec.logFPlusM[be] = logFPlusM;
      rec.iGate[be] = iGate;
      rec.fGate[be] = fGate;
      rec.zAct[be] = zAct;
      rec.oGate[be] = oGate;
    }
  }
  return rec;
}

/** One step for every batch row: x [B, 4E]; updates the state in place and returns y [B, E]. */
export function slstmStep(
  state: SlstmState,
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array,
  dims: Omit<SlstmDims, 'time'>,
): Float64Array {
  stepWithRecord(state, x, kernel, bias, dims);
  return state.y.slice();
}

/** Runs the sequence from `state` (default: zero), leaving the final state in it; returns y [B, T, E]. */
export function slstmForward(
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array,
  dims: SlstmDims,
  state: SlstmState = createSlstmState(dims.batch, dims.heads * dims.headDim),
): Float64Array {
  const { batch: B, time: T } = dims;
  const E = dims.heads * dims.headDim;
  const y = new Float64Array(B * T * E);
  for (let t = 0; t < T; t++) setTimeStep(y, slstmStep(state, timeStep(x, B, T, 4 * E, t), kernel, bias, dims), B, T, E, t);
  return y;
}

/** Backward through time from the zero state: gradients of Σ dy ⊙ y w.r.t. x, the kernel and the bias. */
export function slstmBackward(
  dy: Float64Array,
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array,
  dims: SlstmDims,
): { dx: Float64Array; dKernel: Float64Array; dBias: Float64Array } {
  const { batch: B, time: T, heads: NH, headDim: DH } = dims;
  const E = NH * DH;
  const state = createSlstmState(B, E);
  const records: StepRecord[] = [];
  const outputs: SlstmState[] = [];
  for (let t = 0; t < T; t++) {
    records.push(stepWithRecord(state, timeStep(x, B, T, 4 * E, t), kernel, bias, dims));
    outputs.push(copyState(state));
  }
  const dx = new Float64Array(B * T * 4 * E);
  const dKernel = new Float64Array(kernel.length);
  const dBias = new Float64Array(4 * E);
  let dyRecurrent = new Float64Array(B * E);
  const dc = new Float64Array(B * E);
  const dn = new Float64Array(B * E);
  const dm = new Float64Array(B * E);
  for (let t = T - 1; t >= 0; t--) {
    const rec = records[t];
    const out = outputs[t];
    const dRaw = new Float64Array(B * 4 * E);
    for (let b = 0; b < B; b++) {
      for (let e = 0; e < E; e++) {
        const be = b * E + e;
        const row = b * 4 * E;
        const dyT = dy[(b * T + t) * E + e] + dyRecurrent[be];
        const iGate = rec.iGate[be];
        const fGate = rec.fGate[be];
        const zAct = rec.zAct[be];
        const oGate = rec.oGate[be];
        const c = out.c[be];
        const n = out.n[be];
        const dO = (dyT * c) / n;
        const dcT = dc[be] + (dyT * oGate) / n;
        const dnT = dn[be] - (dyT * oGate * c) / (n * n);
        const dF = dcT * rec.prev.c[be] + dnT * rec.prev.n[be];
        const dI = dcT * zAct + dnT;
        dc[be] = dcT * fGate;
        dn[be] = dnT * fGate;
        const iRaw = rec.raw[row + e];
        const fRaw = rec.raw[row + E + e];
        const m = out.m[be];
        const iExp = Math.exp(iRaw - m);
        const fExp = Math.exp(rec.logFPlusM[be] - m);
        const dIArg = dI * minWithOneShare(iExp) * iExp;
        const dFArg = dF * minWithOneShare(fExp) * fExp;
        let dIRaw = dIArg;
        let dLogFPlusM = dFArg;
        const dM = dm[be] - dIArg - dFArg;
        if (rec.firstStep) {
          dIRaw += dM;
        } else {
          const [toI, toF] = maximumShares(iRaw, rec.logFPlusM[be]);
          dIRaw += toI * dM;
          dLogFPlusM += toF * dM;
        }
        dm[be] = dLogFPlusM;
        dRaw[row + e] = dIRaw;
        dRaw[row + E + e] = dLogFPlusM * logSigmoidGrad(fRaw);
        dRaw[row + 2 * E + e] = dcT * iGate * (1 - zAct * zAct);
        dRaw[row + 3 * E + e] = dO * oGate * (1 - oGate);
      }
    }
    setTimeStep(dx, dRaw, B, T, 4 * E, t);
    for (let b = 0; b < B; b++) for (let j = 0; j < 4 * E; j++) dBias[j] += dRaw[b * 4 * E + j];
    dyRecurrent = new Float64Array(B * E);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let g = 0; g < 4; g++) {
          for (let o = 0; o < DH; o++) {
            const d = dRaw[b * 4 * E + g * E + h * DH + o];
            for (let i = 0; i < DH; i++) {
              const k = ((h * 4 + g) * DH + o) * DH + i;
              dKernel[k] += d * rec.prev.y[b * E + h * DH + i];
              dyRecurrent[b * E + h * DH + i] += kernel[k] * d;
            }
          }
        }
      }
    }
  }
  return { dx, dKernel, dBias };
}
