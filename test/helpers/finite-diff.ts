import { expect } from 'vitest';
import type { TestRng } from './random.js';

/**
 * Finite differences in float64 against analytic gradients. The loss closure must read the input
 * arrays afresh on every call: entries are perturbed in place and restored.
 *
 * Each derivative is the five-point central difference (f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h))/12h
 * (truncation O(h⁴), so sharp curvature, e.g. the mLSTM normaliser near small |c|, stays harmless).
 * The reference functions have kinks (relu, max, |·|) that a stencil occasionally straddles; a smooth
 * function's derivative is matched at some step, a wrong gradient at none. So an entry whose
 * difference disagrees is retried with steps 10× and 100× smaller and scores its best agreement, each
 * step judged above its own rounding noise (~1e-16·|loss|/h).
 */

export interface GradientUnderTest {
  name: string;
  values: Float64Array;
  /** The analytic ∂loss/∂values. */
  grad: Float64Array;
}

export interface GradientCheckResult {
  /**
   * Worst per-entry error, relative to max(|fd|, |analytic|, 1e-3·max|grad of that tensor|, 1e-9·|loss|/h);
   * NaN if any gradient is NaN.
   */
  maxEntryError: number;
  worstEntry: string;
  /** Relative error of the directional derivative along one random direction over all inputs. */
  directionalError: number;
}

export interface GradientCheckOptions {
  /** First step per entry, relative to max(1, |x|); default 1e-5. */
  step?: number;
  /** First step along the random direction (unit-normal entries); default 1e-6. */
  directionalStep?: number;
  /** Entries checked per tensor beyond the largest-gradient one (all entries when the tensor is smaller). */
  samples?: number;
}

/** Below this an agreement is taken as is; above it smaller steps are tried. */
const GOOD_ENOUGH = 1e-8;
const STEP_DIVISORS = [1, 10, 100];

function relativeError(fd: number, analytic: number, floor: number): number {
  const err = Math.abs(fd - analytic) / Math.max(Math.abs(fd), Math.abs(analytic), floor, 1e-12);
  return Number.isNaN(fd) || Number.isNaN(analytic) ? NaN : err;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function entriesToCheck(t: GradientUnderTest, rng: TestRng, samples: number): number[] {
  if (t.values.length <= samples) return Array.from({ length: t.values.length }, (_, i) => i);
  let argMax = 0;
  t.grad.forEach((g, i) => {
    if (Math.abs(g) > Math.abs(t.grad[argMax])) argMax = i;
  });
  return [argMax, ...Array.from({ length: samples }, () => rng.int(t.values.length))];
}

/**
 * The best agreement of the five-point difference of `at` (the loss at an offset) with `analytic`
 * over the retry steps, and the difference that achieved it.
 */
function bestAgreement(at: (offset: number) => number, analytic: number, step: number, floor: number, lossScale: number) {
  let best = { error: Infinity, fd: NaN };
  for (const divisor of STEP_DIVISORS) {
    const h = step / divisor;
    const fd = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
    const error = relativeError(fd, analytic, Math.max(floor, (1e-9 * lossScale) / h));
    if (Number.isNaN(error)) return { error, fd };
    if (error < best.error) best = { error, fd };
    if (error < GOOD_ENOUGH) break;
  }
  return best;
}

export function checkGradients(
  loss: () => number,
  tensors: GradientUnderTest[],
  rng: TestRng,
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const step = options.step ?? 1e-5;
  const samples = options.samples ?? 24;
  const lossScale = Math.abs(loss());
  let maxEntryError = 0;
  let worstEntry = '';
  for (const t of tensors) {
    if (t.grad.length !== t.values.length) throw new Error(`${t.name}: gradient has ${t.grad.length} entries, values ${t.values.length}`);
    if (!t.grad.every(Number.isFinite)) return { maxEntryError: NaN, worstEntry: `${t.name}: non-finite analytic gradient`, directionalError: NaN };
    const floor = 1e-3 * maxAbs(t.grad);
    for (const i of entriesToCheck(t, rng, samples)) {
      const x = t.values[i];
      const at = (offset: number) => {
        t.values[i] = x + offset;
        const value = loss();
        t.values[i] = x;
        return value;
      };
      const { error, fd } = bestAgreement(at, t.grad[i], step * Math.max(1, Math.abs(x)), floor, lossScale);
      if (!(error <= maxEntryError)) {
        maxEntryError = error;
        worstEntry = `${t.name}[${i}]: fd ${fd}, analytic ${t.grad[i]}`;
      }
      if (Number.isNaN(error)) return { maxEntryError, worstEntry, directionalError: NaN };
    }
  }
  const directions = tensors.map((t) => Float64Array.from(t.values, () => rng.normal()));
  let analytic = 0;
  tensors.forEach((t, k) => t.grad.forEach((g, i) => (analytic += g * directions[k][i])));
  const originals = tensors.map((t) => t.values.slice());
  const along = (offset: number) => {
    tensors.forEach((t, k) => t.values.forEach((_, i) => (t.values[i] = originals[k][i] + offset * directions[k][i])));
    const value = loss();
    tensors.forEach((t, k) => t.values.set(originals[k]));
    return value;
  };
  const directional = bestAgreement(along, analytic, options.directionalStep ?? 1e-6, 0, lossScale);
  return { maxEntryError, worstEntry, directionalError: directional.error };
}

/** Σ weights ⊙ output: a scalar whose gradient w.r.t. the output is `weights`. */
export function weightedSum(output: Float64Array, weights: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < output.length; i++) acc += output[i] * weights[i];
  return acc;
}

/** Fails (with the seed, for replay) unless both errors are below tol; NaN never passes. */
export function expectGradientsMatch(result: GradientCheckResult, seed: number, tol = 1e-6): void {
  expect(result.maxEntryError, `seed ${seed}; worst ${result.worstEntry}`).toBeLessThan(tol);
  expect(result.directionalError, `seed ${seed}; directional derivative`).toBeLessThan(tol);
}
