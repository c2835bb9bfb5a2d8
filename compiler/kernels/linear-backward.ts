import { activationBackwardKernel } from './activation-backward.js';
import { gradInputKernels } from './grad-input.js';
import { gradWeightKernels } from './grad-weight.js';
import type { KernelSpec, KernelTarget } from './kernel.js';
import { layerNormBackwardKernels } from './layer-norm-backward.js';
import { layerNormStatsKernel } from './layer-norm-stats.js';
import type { LinearLayerOptions } from './linear.js';

/**
 * Backward of `linear` (linear.ts), y = act(LN(x)·Wᵀ + b) + residual, given dy = ∂L/∂y:
 *
 *   dPre = dy ⊙ act'(pre)                          (with `activation`; else dPre is dy)
 *   dw (+)= dPreᵀ·LN(x),  db (+)= Σ_rows dPre
 *   dA = dPre·W;  dx (+)= LN backward of dA (scale 1 + lnWeight), dLnWeight (+)= Σ_rows dA ⊙ x̂
 *                                                  (without `layerNorm`, dx (+)= dPre·W directly)
 *
 * The residual's gradient is dy itself: nothing to compute (with the forward's in-place residual the
 * caller's gradient buffer already holds it, and dx can accumulate into it).
 *
 * The activation's derivative needs its input: the caller binds `pre`, the pre-activation
 * LN(x)·Wᵀ + b, which the forward must keep (run it without the activation into `pre` and apply
 * the activation with an elementwise kernel). Recomputing it here would cost a second forward matmul.
 * The LayerNorm statistics are recomputed from x (a cheap row pass), so the forward's may be scratch.
 *
 * `accumulate.dx` adds into dx (a residual stream's gradient, an input read by several ops);
 * `accumulate.params` adds into dw, db and dLnWeight (tied or shared weights, gradient accumulation).
 * Every reduction is split under the device's loop cap: dw over rows and dx over N across
 * dispatches, dLnWeight in row segments.
 *
 * Bindings (one map serves every kernel): dy [M·N], pre [M·N] and dPre [M·N] (scratch) with
 * activation, x [M·K], w [N·K], lnWeight [K], stats [2M] (scratch), dA [M·K] (scratch) and partial
 * (scratch, when the dLnWeight reduction splits) with layerNorm, dx [M·K], dw [N·K], db [N] with bias,
 * dLnWeight [K] with layerNorm.
 */
export interface LinearBackwardOptions extends LinearLayerOptions {
  accumulate?: { dx?: boolean; params?: boolean };
}

export function linearBackwardKernels(o: LinearBackwardOptions, target: KernelTarget): KernelSpec[] {
  const { m: M, n: N, k: K } = o;
  for (const [dim, v] of Object.entries({ M, N, K })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`linear backward: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `linear_backward_${M}x${N}x${K}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const ln = o.layerNorm;
  const dPre = o.activation ? 'dPre' : 'dy';
  const kernels: KernelSpec[] = [];
  if (o.activation) {
    kernels.push(activationBackwardKernel({ elements: M * N, activation: o.activation, names: { dx: 'dPre' }, name: `${name}_act`, ...src }, target));
  }
  if (ln) kernels.push(layerNormStatsKernel({ rows: M, cols: K, eps: ln.eps, name: `${name}_ln_stats`, ...src }, target));
  kernels.push(
    ...gradWeightKernels(
      { rows: M, outDim: N, inDim: K, dy: { name: dPre }, bias: o.bias === true, layerNorm: ln !== undefined, accumulate: o.accumulate?.params === true, name: `${name}_dw`, ...src },
      target,
    ),
    ...gradInputKernels(
      { rows: M, outDim: N, inDim: K, dy: { name: dPre }, dx: { name: ln ? 'dA' : 'dx' }, accumulate: !ln && o.accumulate?.dx === true, name: `${name}_dx`, ...src },
      target,
    ),
  );
  if (ln) {
    kernels.push(
      ...layerNormBackwardKernels(
        {
          groups: M,
          groupSize: K,
          weightLength: K,
          eps: ln.eps,
          recomputeStats: false,
          ...(o.accumulate ? { accumulate: o.accumulate } : {}),
          names: { dy: 'dA', weight: 'lnWeight', dWeight: 'dLnWeight' },
          name: `${name}_ln`,
          ...src,
        },
        target,
      ),
    );
  }
  return kernels;
}
