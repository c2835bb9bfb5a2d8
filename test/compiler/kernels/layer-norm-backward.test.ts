import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { layerNormBackwardKernels } from '../../../compiler/kernels/layer-norm-backward.js';
import { multiHeadLayerNormBackward, multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { openGpuKit, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface Case {
  rows: number;
  heads: number;
  headDim: number;
  weight?: boolean;
  accumulate?: boolean;
  target?: KernelTarget;
}

/** f32 sums over n terms drift like √n·ε relative to their scale. */
const tolerance = (n: number): number => 2e-5 * Math.max(1, Math.sqrt(n / 256));

/** Runs the LayerNorm backward kernels on fresh random inputs and checks dx and dWeight against float64. */
async function check(c: Case): Promise<number> {
  const { rows, heads, headDim } = c;
  const target = c.target ?? kit.target;
  const { seed, rng } = testRng();
  const width = heads * headDim;
  const weighted = c.weight ?? true;
  const kernels = layerNormBackwardKernels(
    {
      groups: rows * heads,
      groupSize: headDim,
      eps: 1e-5,
      ...(weighted ? { weightLength: width } : {}),
      ...(c.accumulate ? { accumulate: { dx: true, params: true } } : {}),
    },
    target,
  );
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const g = new GradCheck(kit, rng);
  const x = g.input('x', rows * width, 2, 3); // a mean far from 0: the backward must not lose it
  const dy = g.input('dy', rows * width);
  const weight = weighted ? g.input('weight', width, 0.3) : new Float64Array(width);
  g.output('dx', rows * width, c.accumulate);
  if (weighted) g.output('dWeight', width, c.accumulate);
  const out = await g.run(kernels, weighted ? ['dx', 'dWeight'] : ['dx']);

  const dims = { rows, heads, headDim };
  const ref = multiHeadLayerNormBackward(dy, weight, multiHeadLayerNormForward(x, weight, dims, 1e-5).cache, dims);
  // 1e-4, not 2e-5: x has mean 3, and in the odd group of few features with a small spread the
  // f32 rounding of x − mean is amplified by rstd (the conditioning of the norm itself, not an error of the kernel)
  expectClose(out['dx']!, g.expected('dx', ref.dx), 1e-4, 'dx', seed);
  if (weighted) expectClose(out['dWeight']!, g.expected('dWeight', ref.dWeight), tolerance(rows), 'dWeight', seed);
  return kernels.length;
}

describe('LayerNorm backward kernels against the float64 reference', () => {
  it.each([
    [1, 1],
    [3, 5],
    [7, 8],
    [13, 33],
    [40, 128],
    [2, 300],
  ])('LayerNorm over %i rows of %i', async (rows, dim) => {
    await check({ rows, heads: 1, headDim: dim });
  });

  it.each([
    [6, 4, 8],
    [5, 3, 5],
    [9, 2, 32],
  ])('MultiHeadLayerNorm, %i rows of %i heads of %i', async (rows, heads, headDim) => {
    await check({ rows, heads, headDim });
  });

  it('the sLSTM group norm without a weight', async () => {
    await check({ rows: 11, heads: 4, headDim: 6, weight: false });
  });

  it('adds into existing dx and dWeight with accumulate', async () => {
    await check({ rows: 10, heads: 2, headDim: 12, accumulate: true });
  });

  it('splits the group sums across dispatches and sums dWeight in segments when the loop cap is small or the rows many', async () => {
    // kernels: stats, group sums (per chunk of ≤ 8 feature units under a cap of 9), dx, dWeight segments and combine
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 9 };
    expect(await check({ rows: 50, heads: 2, headDim: 4, target: small, accumulate: true })).toBe(1 + 1 + 1 + 2);
    expect(await check({ rows: 20, heads: 1, headDim: 40, target: small })).toBe(1 + 2 + 1 + 2);
    expect(await check({ rows: 12, heads: 3, headDim: 17, target: small })).toBe(1 + 3 + 1 + 2);
    expect(await check({ rows: 3000, heads: 1, headDim: 3 })).toBe(1 + 1 + 1 + 2);
  });

  it('is correct where a naive loop over the rows would pass the device loop cap', async () => {
    // Groups of 8: among 70,001 groups of 2 or 3 some are nearly constant, and f32 cannot normalise those
    // as well as float64 (the conditioning of the norm itself, not an error of the kernel).
    await check({ rows: 70_001, heads: 1, headDim: 8 });
  });
});
