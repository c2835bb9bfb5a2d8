import type { KernelSpec, KernelTarget } from './kernel.js';
import { linearBackwardKernels } from './linear-backward.js';

/**
 * Backward of the mLSTM gate pre-activations (`mlstm_qkv_gates`' igate and fgate linears on
 * concat(q, k, v)), given dĩ, df̃ [B·T, NH] from the cell's backward:
 *
 *   dqkv (+)= dĩ·W_igate + df̃·W_fgate,   dW_gate = d(gate)ᵀ·qkv,   db_gate = Σ_rows d(gate)
 *
 * Two `linear_backward` kernel lists, bound separately like the forward's: igate's writes dqkv (or
 * adds to it with `accumulate.dqkv`, the usual case when the cell backward has already written dq,
 * dk, dv there), fgate's always adds its part.
 *
 * Bindings of each list: dy (dĩ or df̃) [B·T·NH], x (qkv) [B·T·3I], w (the gate's weight) [NH·3I],
 * dx (dqkv) [B·T·3I], dw [NH·3I], db [NH].
 */
export interface MlstmGatesBackwardOptions {
  batch: number;
  time: number;
  heads: number;
  innerDim: number;
  accumulate?: { dqkv?: boolean; params?: boolean };
  name?: string;
  source?: string;
}

export interface MlstmGatesBackwardKernels {
  igate: KernelSpec[];
  fgate: KernelSpec[];
}

export function mlstmGatesBackwardKernels(o: MlstmGatesBackwardOptions, target: KernelTarget): MlstmGatesBackwardKernels {
  const { batch: B, time: T, heads: NH, innerDim: I } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, I })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM gates backward: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `mlstm_gates_backward_${B}x${T}x${I}`;
  const gate = (which: 'igate' | 'fgate', accumulateDx: boolean): KernelSpec[] =>
    linearBackwardKernels(
      {
        m: B * T,
        n: NH,
        k: 3 * I,
        bias: true,
        accumulate: { dx: accumulateDx, params: o.accumulate?.params === true },
        name: `${name}_${which}`,
        ...(o.source !== undefined ? { source: o.source } : {}),
      },
      target,
    );
  return { igate: gate('igate', o.accumulate?.dqkv === true), fgate: gate('fgate', true) };
}
