import type { KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * The mLSTM state the official recurrent form (`mlstm-recurrent-step`) would hold after the T tokens
 * of a piece run from the zero state, computed in one go next to the parallel form, so a stream can
 * start with the parallel kernel and continue step by step. With L = log σ(f̃) and G_s = Σ_{r>s} L_r,
 * unrolling m_t = max(L_t + m_{t−1}, ĩ_t), C_t = f' C_{t−1} + i' k'vᵀ from m_0 = 0, C_0 = n_0 = 0 gives
 *
 *   m_T = max(G_{−1}, max_s (ĩ_s + G_s))     (G_{−1} = Σ_r L_r is the m_0 = 0 term)
 *   w_s = e^{ĩ_s + G_s − m_T},   C_T = Σ_s w_s k'_s v_sᵀ,   n_T = Σ_s w_s k'_s,   k' = k/√DH
 *
 * Two kernels: `decay` walks each (batch, head) backwards once for G and m, writing w into the
 * `decay` scratch and m into mState; `accumulate` gives each (batch, head, key unit a, column j)
 * one invocation summing over the tokens, column DH being n.
 *
 * Bindings: qkv [B·T·3I] (concat(q,k,v)), igate, fgate [B·T·NH], decay [B·NH·T] (scratch),
 * cState [B·NH·DH·DH] (key × value), nState [B·NH·DH], mState [B·NH]: the layout of
 * `mlstmRecurrentStepKernels`, which can continue from it.
 */
export interface MlstmParallelStateOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  name?: string;
  source?: string;
}

export function mlstmParallelStateKernels(o: MlstmParallelStateOptions, target: KernelTarget): KernelSpec[] {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM parallel state: ${dim} must be a positive integer, got ${v}`);
  }
  const I = NH * DH;
  const name = o.name ?? `mlstm_parallel_state_${B}x${T}x${NH}x${DH}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const gates = (gate: 'igate' | 'fgate') => ({ name: gate, access: 'read' as const, type: 'f32' as const, elements: B * T * NH });
  const decay = buildKernel(
    {
      name: `${name}_decay`,
      ...src,
      summary: `w_s = exp(ĩ_s + Σ_{r>s} log σ(f̃_r) − m_T) and the recurrent stabiliser m_T, ${B} batch rows × ${NH} heads, T=${T}`,
      bindings: [
        gates('igate'),
        gates('fgate'),
        { name: 'decay', access: 'read_write', type: 'f32', elements: B * NH * T },
        { name: 'mState', access: 'read_write', type: 'f32', elements: B * NH },
      ],
      constants: { T: u32(T), NH: u32(NH), HEADS: u32(B * NH) },
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: size,
      workgroups: Math.ceil((B * NH) / size),
      loopIterations: 2 * (T + 1),
      body: [
        'if (gid >= HEADS) { return; }',
        'let b = gid / NH;',
        'let hd = gid % NH;',
        'var suffix = 0.0;',
        'var top = -3.0e38;',
        'for (var i = 0u; i < T; i++) {',
        '  let s = T - 1u - i;',
        '  let at = (b * T + s) * NH + hd;',
        '  let logW = igate[at] + suffix;',
        '  decay[gid * T + s] = logW;',
        '  top = max(top, logW);',
        '  suffix += log_sigmoid(fgate[at]);',
        '}',
        'let m = max(top, suffix);',
        'for (var s = 0u; s < T; s++) { decay[gid * T + s] = exp(decay[gid * T + s] - m); }',
        'mState[gid] = m;',
      ],
    },
    target,
  );
  const threads = B * NH * DH * (DH + 1);
  const accumulate = buildKernel(
    {
      name: `${name}_accumulate`,
      ...src,
      summary: `C_T = Σ_s w_s k'_s v_sᵀ and n_T = Σ_s w_s k'_s, one invocation per (batch, head, key unit, column)`,
      bindings: [
        { name: 'qkv', access: 'read', type: 'f32', elements: B * T * 3 * I },
        { name: 'decay', access: 'read', type: 'f32', elements: B * NH * T },
        { name: 'cState', access: 'read_write', type: 'f32', elements: B * NH * DH * DH },
        { name: 'nState', access: 'read_write', type: 'f32', elements: B * NH * DH },
      ],
      constants: { T: u32(T), NH: u32(NH), DH: u32(DH), I: u32(I), THREADS: u32(threads), SCALE: f32(1 / Math.sqrt(DH)) },
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: T + 1,
      body: [
        'if (gid >= THREADS) { return; }',
        'let j = gid % (DH + 1u);',
        'let a = (gid / (DH + 1u)) % DH;',
        'let bh = gid / ((DH + 1u) * DH);',
        'let b = bh / NH;',
        'let hd = bh % NH;',
        // column DH is n: the column a value of all ones would give
        'let isN = j == DH;',
        'let vCol = 2u * I + hd * DH + min(j, DH - 1u);',
        'var acc = 0.0;',
        'for (var s = 0u; s < T; s++) {',
        '  let row = (b * T + s) * 3u * I;',
        '  acc += decay[bh * T + s] * qkv[row + I + hd * DH + a] * select(qkv[row + vCol], 1.0, isN);',
        '}',
        'acc *= SCALE;',
        'if (isN) { nState[bh * DH + a] = acc; } else { cState[(bh * DH + a) * DH + j] = acc; }',
      ],
    },
    target,
  );
  return [decay, accumulate];
}
