/**
 * PyTorch's AdamW and `clip_grad_norm_` in float64, element for element as `torch.optim.AdamW`
 * (single-tensor path, amsgrad off, maximize off) and `torch.nn.utils.clip_grad_norm_` compute them.
 */
import type { StepHyper } from './backend.js';

/** `clip_grad_norm_` adds this to the norm before dividing, so a zero gradient never divides by zero. */
const CLIP_NORM_EPS = 1e-6;

/** The L2 norm of all gradients together (the norm of the per-tensor norms, as `clip_grad_norm_`). */
export function globalGradNorm(grads: Iterable<Float64Array>): number {
  let sumOfSquares = 0;
  for (const g of grads) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
    sumOfSquares += s;
  }
  return Math.sqrt(sumOfSquares);
}

/** What `clip_grad_norm_(max_norm)` multiplies every gradient by: min(1, max_norm / (norm + 1e-6)). */
export function clipFactor(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + CLIP_NORM_EPS));
}

/**
 * One AdamW update of one tensor, in place:
 *   p ← p·(1 − lr·wd)                      (only when `decays`)
 *   m ← m + (1 − β1)·(g − m)               (torch's lerp form of β1·m + (1 − β1)·g)
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
 * `gradScale` multiplies g first (the clip factor).
 */
export function adamwUpdate(
  param: Float64Array,
  grad: Float64Array,
  expAvg: Float64Array,
  expAvgSq: Float64Array,
  hyper: StepHyper,
  decays: boolean,
  gradScale = 1,
): void {
  const [beta1, beta2] = hyper.betas;
  const t = hyper.step;
  const stepSize = hyper.lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const keep = decays ? 1 - hyper.lr * hyper.weightDecay : 1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * gradScale;
    const m = expAvg[i]! + (1 - beta1) * (g - expAvg[i]!);
    const v = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = param[i]! * keep - stepSize * (m / (Math.sqrt(v) / bc2Sqrt + hyper.eps));
  }
}
