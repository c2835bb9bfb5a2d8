import type { KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * The mLSTM cell in the official recurrent form (the step API), for T tokens from a carried state,
 * per (batch, head), with L = log σ(f̃):
 *   m_t = max(L_t + m_{t−1}, ĩ_t),  f' = e^{L_t + m_{t−1} − m_t},  i' = e^{ĩ_t − m_t},  k' = k_t/√DH
 *   C_t = f' C_{t−1} + i' k' v_tᵀ,  n_t = f' n_{t−1} + i' k'
 *   h_t = (q_tᵀ C_t) / (max(|q_t·n_t|, e^{−m_t}) + eps)
 * The state is updated in place, so generation is one dispatch per token and a long input can be fed
 * in pieces. A zero state (all of C, n, m zero) is the official start.
 *
 * One workgroup per (batch, head); invocation j owns value column j of C, and one more owns n (n is
 * the column a v of ones would give), so q·n comes out of the same loop as q·C. Tokens loop inside
 * the kernel; when T tokens would pass the device's loop cap they are split over consecutive
 * dispatches, the state carrying over in its buffers.
 *
 * Bindings: qkv [B·T·3I] (concat(q,k,v), as `mlstmQkvGatesKernels` writes it), igate, fgate [B·T·NH],
 * cState [B·NH·DH·DH] (key dim × value dim, the official layout), nState [B·NH·DH], mState [B·NH],
 * h [B·T·I].
 */
export interface MlstmRecurrentStepOptions {
  batch: number;
  /** Tokens per call (1 for generation). */
  time: number;
  heads: number;
  headDim: number;
  /** The official 1e-6 by default. */
  eps?: number;
  name?: string;
  source?: string;
}

export function mlstmRecurrentStepKernels(o: MlstmRecurrentStepOptions, target: KernelTarget): KernelSpec[] {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM recurrent step: ${dim} must be a positive integer, got ${v}`);
  }
  const size = Math.min(DH + 1, target.maxComputeInvocationsPerWorkgroup);
  const columnsPerInvocation = Math.ceil((DH + 1) / size);
  // Per token: the column loop (header each column plus its exit), each column's key loop, the
  // normalising column loop; plus the token loop's own header.
  const perToken = 2 * (columnsPerInvocation + 1) + columnsPerInvocation * (DH + 1) + 1;
  const tokensPerDispatch = Math.floor((target.maxLoopIterationsPerInvocation - 1) / perToken);
  if (tokensPerDispatch < 1) throw new Error(`mLSTM recurrent step: head dim ${DH} needs more loop iterations than the device allows`);
  const name = o.name ?? `mlstm_recurrent_${B}x${T}x${NH}x${DH}`;
  const kernels: KernelSpec[] = [];
  for (let t0 = 0; t0 < T; t0 += tokensPerDispatch) {
    const t1 = Math.min(T, t0 + tokensPerDispatch);
    kernels.push(stepKernel(o, target, t0 === 0 && t1 === T ? name : `${name}_t${t0}`, t0, t1, size, (t1 - t0) * perToken + 1));
  }
  return kernels;
}

function stepKernel(
  o: MlstmRecurrentStepOptions,
  target: KernelTarget,
  name: string,
  t0: number,
  t1: number,
  size: number,
  loopIterations: number,
): KernelSpec {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  const I = NH * DH;
  return buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `mLSTM recurrent steps ${t0}..${t1 - 1} of ${T}, ${B} batch rows × ${NH} heads of ${DH}, state C, n, m in place`,
      bindings: [
        { name: 'qkv', access: 'read', type: 'f32', elements: B * T * 3 * I },
        { name: 'igate', access: 'read', type: 'f32', elements: B * T * NH },
        { name: 'fgate', access: 'read', type: 'f32', elements: B * T * NH },
        { name: 'cState', access: 'read_write', type: 'f32', elements: B * NH * DH * DH },
        { name: 'nState', access: 'read_write', type: 'f32', elements: B * NH * DH },
        { name: 'mState', access: 'read_write', type: 'f32', elements: B * NH },
        { name: 'h', access: 'read_write', type: 'f32', elements: B * T * I },
      ],
      constants: {
        T: u32(T),
        NH: u32(NH),
        DH: u32(DH),
        I: u32(I),
        T0: u32(t0),
        T1: u32(t1),
        SCALE: f32(1 / Math.sqrt(DH)),
        EPS: f32(o.eps ?? 1e-6),
      },
      workgroupVars: { qn: 'array<f32, 2>' },
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: size,
      workgroups: B * NH,
      loopIterations,
      body: [
        'let b = wg / NH;',
        'let hd = wg % NH;',
        'let cBase = wg * DH * DH;',
        'let nBase = wg * DH;',
        // Every invocation reads m before the first barrier; invocation 0 writes it after the last.
        'var m = mState[wg];',
        'for (var t = T0; t < T1; t++) {',
        '  let gate = (b * T + t) * NH + hd;',
        '  let ig = igate[gate];',
        '  let logF = log_sigmoid(fgate[gate]);',
        '  let mNew = max(logF + m, ig);',
        '  let fAct = exp(logF + m - mNew);',
        '  let iAct = exp(ig - mNew) * SCALE;',
        '  m = mNew;',
        '  let row = (b * T + t) * 3u * I + hd * DH;',
        '  let hRow = (b * T + t) * I + hd * DH;',
        '  for (var j = lid; j <= DH; j += WORKGROUP_INVOCATIONS) {',
        '    var num = 0.0;',
        '    if (j < DH) {',
        '      let vj = iAct * qkv[row + 2u * I + j];',
        '      for (var a = 0u; a < DH; a++) {',
        '        let c = fAct * cState[cBase + a * DH + j] + qkv[row + I + a] * vj;',
        '        cState[cBase + a * DH + j] = c;',
        '        num += qkv[row + a] * c;',
        '      }',
        '      h[hRow + j] = num;',
        '    } else {',
        '      for (var a = 0u; a < DH; a++) {',
        '        let n = fAct * nState[nBase + a] + qkv[row + I + a] * iAct;',
        '        nState[nBase + a] = n;',
        '        num += qkv[row + a] * n;',
        '      }',
        // Two slots: a slot is rewritten two tokens later, after every reader passed the next barrier.
        '      qn[t % 2u] = num;',
        '    }',
        '  }',
        '  workgroupBarrier();',
        '  let inv = 1.0 / (max(abs(qn[t % 2u]), exp(-m)) + EPS);',
        '  for (var j = lid; j < DH; j += WORKGROUP_INVOCATIONS) { h[hRow + j] *= inv; }',
        '}',
        'if (lid == 0u) { mState[wg] = m; }',
      ],
    },
    target,
  );
}
