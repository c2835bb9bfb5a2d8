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
 * One workgroup per (batch, head); each invocation owns a block of 8 value columns of C (every q_a,
 * k_a it loads serves all 8: llvmpipe is bound by loads), and one more owns n (the column a v of ones
 * would give), so q·n comes out of a loop like q·C's. Tokens loop inside
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
  const CB = Math.min(COLUMNS_PER_BLOCK, DH);
  const blocks = Math.ceil(DH / CB);
  // One more "block" is n.
  const size = Math.min(blocks + 1, target.maxComputeInvocationsPerWorkgroup);
  const blocksPerInvocation = Math.ceil((blocks + 1) / size);
  // Per token: the block loop (header each block plus its exit), each block's key loop, the
  // normalising block loop, the token loop's own header. C blocks and n share SIMD batches, where
  // llvmpipe runs both sides of the branch: the loop on the side a lane skips still costs it one
  // header (measured: DH=32 stopped after 39 headers per token, not 38).
  const perToken = 2 * (blocksPerInvocation + 1) + blocksPerInvocation * (DH + 2) + 1;
  // Exact for DH 32; at DH 64 llvmpipe charged ~73 headers per token, not 71: the target's budget
  // (`plannedLoopBudget`) keeps the reserve that absorbs this.
  const tokensPerDispatch = Math.floor((target.maxLoopIterationsPerInvocation - 1) / perToken);
  if (tokensPerDispatch < 1) throw new Error(`mLSTM recurrent step: head dim ${DH} needs more loop iterations than the device allows`);
  const name = o.name ?? `mlstm_recurrent_${B}x${T}x${NH}x${DH}`;
  const kernels: KernelSpec[] = [];
  for (let t0 = 0; t0 < T; t0 += tokensPerDispatch) {
    const t1 = Math.min(T, t0 + tokensPerDispatch);
    const dispatch = { name: t0 === 0 && t1 === T ? name : `${name}_t${t0}`, t0, t1, CB, blocks, size, loopIterations: (t1 - t0) * perToken + 1 };
    kernels.push(stepKernel(o, target, dispatch));
  }
  return kernels;
}

const COLUMNS_PER_BLOCK = 8;

interface StepDispatch {
  name: string;
  /** Tokens [t0, t1). */
  t0: number;
  t1: number;
  /** Columns per block, blocks of C (block `blocks` is n), invocations per workgroup. */
  CB: number;
  blocks: number;
  size: number;
  loopIterations: number;
}

function stepKernel(o: MlstmRecurrentStepOptions, target: KernelTarget, s: StepDispatch): KernelSpec {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  const { name, t0, t1, CB, size, loopIterations } = s;
  const I = NH * DH;
  const cols = Array.from({ length: CB }, (_, c) => c);
  // Columns past DH in the last block (when CB does not divide DH) are computed clamped and not stored.
  const ragged = DH % CB !== 0;
  const guarded = (c: number, line: string): string => (ragged && c > 0 ? `if (j0 + ${c}u < DH) { ${line} }` : line);
  const column = (c: number): string => (ragged && c > 0 ? `min(j0 + ${c}u, DH - 1u)` : `j0 + ${c}u`);
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
        CB: u32(CB),
        BLOCKS: u32(s.blocks),
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
        '  for (var blk = lid; blk <= BLOCKS; blk += WORKGROUP_INVOCATIONS) {',
        '    if (blk < BLOCKS) {',
        '      let j0 = blk * CB;',
        ...cols.flatMap((c) => [`      let v${c} = iAct * qkv[row + 2u * I + ${column(c)}];`, `      var num${c} = 0.0;`]),
        '      for (var a = 0u; a < DH; a++) {',
        '        let qa = qkv[row + a];',
        '        let ka = qkv[row + I + a];',
        '        let at = cBase + a * DH;',
        ...cols.flatMap((c) => [
          `        let c${c} = fAct * cState[at + ${column(c)}] + ka * v${c};`,
          `        ${guarded(c, `cState[at + j0 + ${c}u] = c${c};`)}`,
          `        num${c} += qa * c${c};`,
        ]),
        '      }',
        ...cols.map((c) => `      ${guarded(c, `h[hRow + j0 + ${c}u] = num${c};`)}`),
        '    } else {',
        '      var num = 0.0;',
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
        '  for (var blk = lid; blk < BLOCKS; blk += WORKGROUP_INVOCATIONS) {',
        ...cols.map((c) => `    ${ragged && c > 0 ? `if (blk * CB + ${c}u < DH) { h[hRow + blk * CB + ${c}u] *= inv; }` : `h[hRow + blk * CB + ${c}u] *= inv;`}`),
        '  }',
        '}',
        'if (lid == 0u) { mState[wg] = m; }',
      ],
    },
    target,
  );
}
