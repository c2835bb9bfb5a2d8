import { expect } from 'vitest';
import type { TestRng } from './random.js';

/**
 * Central finite differences in float64 against analytic gradients. The loss closure must read the
 * input arrays afresh on every call: entries are perturbed in place and restored.
 */

export interface GradientUnderTest {
  name: string;
  values: Float64Array;
  /** The analytic ∂loss/∂values. */
  grad: Float64Array;
}

export interface GradientCheckResult {
  /**
   * Worst per-entry error, relative to max(|fd|, |analytic|, 1e-3·max|grad of that tensor|, 1e-4·|loss|);
   * the last floor sits above the rounding noise of the difference quotient (~1e-16·|loss|/step). NaN if any NaN.
   */
  maxEntryError: number;
  worstEntry: string;
  /** Relative error of the directional derivative along one random direction over all inputs. */
  directionalError: number;
}

export interface GradientCheckOptions {
  /** Step relative to max(1, |x|). */
  step?: number;
  /** Entries checked per tensor beyond the largest-gradient one (all entries when the tensor is smaller). */
  samples?: number;
}

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

export function checkGradients(
  loss: () => number,
  tensors: GradientUnderTest[],
  rng: TestRng,
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const step = options.step ?? 1e-5;
  const samples = options.samples ?? 24;
  let maxEntryError = 0;
  let worstEntry = '';
  const noiseFloor = 1e-4 * Math.abs(loss());
  for (const t of tensors) {
    if (t.grad.length !== t.values.length) throw new Error(`${t.name}: gradient has ${t.grad.length} entries, values ${t.values.length}`);
    if (!t.grad.every(Number.isFinite)) {
      maxEntryError = NaN;
      worstEntry = `${t.name}: non-finite analytic gradient`;
    }
    const floor = Math.max(1e-3 * maxAbs(t.grad), noiseFloor);
    for (const i of entriesToCheck(t, rng, samples)) {
      const x = t.values[i];
      const h = step * Math.max(1, Math.abs(x));
      t.values[i] = x + h;
      const up = loss();
      t.values[i] = x - h;
      const down = loss();
      t.values[i] = x;
      const err = relativeError((up - down) / (2 * h), t.grad[i], floor);
      if (Number.isNaN(maxEntryError)) continue;
      if (!(err <= maxEntryError)) {
        maxEntryError = err;
        worstEntry = `${t.name}[${i}]: fd ${(up - down) / (2 * h)}, analytic ${t.grad[i]}`;
      }
    }
  }
  const directions = tensors.map((t) => Float64Array.from(t.values, () => rng.normal()));
  let analytic = 0;
  tensors.forEach((t, k) => t.grad.forEach((g, i) => (analytic += g * directions[k][i])));
  const originals = tensors.map((t) => t.values.slice());
  const shift = (sign: number) =>
    tensors.forEach((t, k) => t.values.forEach((_, i) => (t.values[i] = originals[k][i] + sign * step * directions[k][i])));
  shift(1);
  const up = loss();
  shift(-1);
  const down = loss();
  tensors.forEach((t, k) => t.values.set(originals[k]));
  const directionalError = relativeError((up - down) / (2 * step), analytic, 0);
  return { maxEntryError, worstEntry, directionalError };
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
